using KeepAlive.Net.Tool.Tests.Support;

namespace KeepAlive.Net.Tool.Tests.Cli;

/// <summary>
/// The HOST:PORT argument of <c>check</c> and <c>probe-idle</c>: every refusal names the argument and the value as typed,
/// says what is wrong with it and gives the fix, in one wording ("HOST:PORT: 'VALUE' PROBLEM. Fix: FIX."), exit code 2.
/// </summary>
public sealed class TargetArgumentTests
{
    // The target as typed, what is wrong with it, and the fix.
    private static readonly (string Target, string Problem, string Fix)[] BadTargets =
    [
        ("example.com", "has no port", "Fix: add the port after a colon, e.g. example.com:443."),
        ("example.com:", "has no port", "Fix: add the port after a colon, e.g. example.com:443."),
        ("host:99999", "has port 99999, outside 1 to 65535", "Fix: give a port from 1 to 65535, e.g. host:443."),
        ("host:0", "has port 0, outside 1 to 65535", "Fix: give a port from 1 to 65535, e.g. host:443."),
        ("localhost:http", "has port 'http', which is not a port number", "Fix: give the port as a number from 1 to 65535, e.g. localhost:443."),
        (":80", "has no host", "Fix: write the host before the port, e.g. example.com:80 or 10.0.0.2:80."),
        ("[::1]", "has no port", "Fix: write the port after the brackets, e.g. [::1]:443."),
        ("[::1]:", "has no port", "Fix: write the port after the brackets, e.g. [::1]:443."),
        ("[::1", "has no closing bracket", "Fix: close the brackets and write the port after them, e.g. [::1]:443."),
        ("::1", "looks like an IPv6 address without a port", "Fix: write it in brackets followed by the port, e.g. [::1]:443."),
        ("[foo]:80", "has 'foo' in brackets, which is not an IPv6 address", "Fix: brackets are for IPv6 addresses only; write foo:80."),
        ("[10.0.0.2]:80", "has '10.0.0.2' in brackets, which is not an IPv6 address", "Fix: brackets are for IPv6 addresses only; write 10.0.0.2:80."),
        ("[::g]:80", "has '::g' in brackets, which is not an IPv6 address", "Fix: write an IPv6 address in the brackets, e.g. [2001:db8::1]:80."),
        ("https://example.com/health", "is a URL, not HOST:PORT", "Fix: give its host and port, example.com:443."),
        ("", "is empty", "Fix: give the host and port to connect to, e.g. example.com:443."),
    ];

    /// <summary>Each bad target for each command that takes one.</summary>
    public static TheoryData<string, string, string, string> BadTargetsOfEachCommand =>
        [.. new[] { "check", "probe-idle" }.SelectMany(static command => BadTargets.Select(t => (command, t.Target, t.Problem, t.Fix)))];

    [Theory]
    [MemberData(nameof(BadTargetsOfEachCommand))]
    public async Task BadTarget_ExitsTwoNamingTheArgumentTheValueAndTheFix(string command, string target, string problem, string fix)
    {
        var (exitCode, output, error) = await ToolRun.InProcessAsync(command, target);

        exitCode.Should().Be(2, error);
        output.Should().BeEmpty();
        error.Should().Contain($"HOST:PORT: '{target}' {problem}. {fix}");
    }
}
