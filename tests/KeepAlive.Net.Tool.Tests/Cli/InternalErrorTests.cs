using KeepAlive.Net.Tool.Cli;

namespace KeepAlive.Net.Tool.Tests.Cli;

/// <summary>An exception the tool does not expect ends in one line that says so, the trace after it, and the documented exit code 70, never the runtime's dump and 134.</summary>
public sealed class InternalErrorTests
{
    [Fact]
    public async Task Show_OutputFailsUnexpectedly_OneLineInternalErrorExit70()
    {
        using var output = new FailingOnceWriter();
        using var error = new StringWriter();

        var exitCode = await ToolApp.RunAsync(["show"], ToolConsole.Plain(output, error), TestContext.Current.CancellationToken);

        exitCode.Should().Be(ExitCodes.InternalError);
        var lines = error.ToString().Split('\n');
        lines[0].Should().Be($"keepalive: internal error: InvalidOperationException: {FailingOnceWriter.Failure}. Please report it with the command line and the trace below. Exit code 70.");
        lines.Skip(1).Should().Contain(line => line.StartsWith("   at ", StringComparison.Ordinal), "the trace to report follows the line");
        output.ToString().Should().NotContain("   at ", "the trace goes to standard error, never into output a script reads");
    }

    /// <summary>Standard output whose first write fails as no input could make it fail; later writes are kept.</summary>
    private sealed class FailingOnceWriter : StringWriter
    {
        public const string Failure = "injected failure writing standard output";

        private bool failed;

        public override void Write(char value)
        {
            FailOnce();
            base.Write(value);
        }

        public override void Write(string? value)
        {
            FailOnce();
            base.Write(value);
        }

        public override void Write(char[] buffer, int index, int count)
        {
            FailOnce();
            base.Write(buffer, index, count);
        }

        private void FailOnce()
        {
            if (!failed)
            {
                failed = true;
                throw new InvalidOperationException(Failure);
            }
        }
    }
}
