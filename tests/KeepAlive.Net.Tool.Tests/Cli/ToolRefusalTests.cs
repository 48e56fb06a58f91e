using FluentAssertions.Execution;
using KeepAlive.Net.Tool.Tests.Support;

namespace KeepAlive.Net.Tool.Tests.Cli;

/// <summary>
/// The tool's own refusals (exit code 2) name what was given, what is wrong, and "Fix: ...", as every other refusal does
/// (check --capture to a folder that does not exist: CheckLoopbackTests).
/// </summary>
public sealed class ToolRefusalTests
{
    [Fact]
    public async Task Refusal_OfEachInputTheToolTurnsAway_NamesTheValueAndAFix()
    {
        var folder = Directory.CreateTempSubdirectory("keepalive-refusal-");
        try
        {
            var none = Path.Combine(folder.FullName, "none.json");
            await File.WriteAllTextAsync(none, """{ "KeepAlive": { "Profiles": { } } }""", TestContext.Current.CancellationToken);
            var two = Path.Combine(folder.FullName, "two.json");
            await File.WriteAllTextAsync(two, """{ "KeepAlive": { "Profiles": { "a": { "Tcp": { "IdleTime": "30s" } }, "b": { "Tcp": { "IdleTime": "40s" } } } } }""", TestContext.Current.CancellationToken);
            string[][] runs =
            [
                ["doctor", "--pid", int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture)],
                ["show", "--profile", "payments"],
                ["show", "--settings", none],
                ["show", "--settings", two],
            ];

            using var scope = new AssertionScope();
            foreach (var args in runs)
            {
                var (exitCode, _, error) = await ToolRun.InProcessAsync(args);

                exitCode.Should().Be(2, "keepalive {0}: {1}", string.Join(' ', args), error);
                error.Should().Contain(" Fix: ", "keepalive {0} is refused with the fix", string.Join(' ', args));
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
