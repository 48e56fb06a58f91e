using System.Text.Json;
using FluentAssertions.Execution;
using KeepAlive.Net.Tool.Tests.Support;

namespace KeepAlive.Net.Tool.Tests.Cli;

/// <summary>
/// With <c>--json</c>, a refusal (exit code 2) is one JSON object on standard output, where the command's JSON goes, so a
/// script that parses it learns what was refused and the fix; the sentence a person reads stays on standard error.
/// </summary>
public sealed class JsonRefusalTests
{
    [Theory]
    [InlineData("<file>", "analyze", "--json")]
    [InlineData("--bogus", "analyze", "x.pcap", "--json", "--bogus")]
    [InlineData("--pid", "doctor", "--json", "--pid", "abc")]
    [InlineData("--idle-timeout", "analyze", "--json", "--idle-timeout", "30", "x.pcap")]
    [InlineData("HOST:PORT", "probe-idle", "--json", "example.com")]
    [InlineData("/nonexistent/keepalive-none.pcap", "analyze", "--json", "/nonexistent/keepalive-none.pcap")]
    public async Task Refusal_WithJson_IsOneJsonObjectOnStandardOutputNamingTheSubjectAndTheFix(string subject, params string[] args)
    {
        var (exitCode, output, error) = await ToolRun.InProcessAsync(args);

        using var scope = new AssertionScope();
        exitCode.Should().Be(2, "keepalive {0} is bad input: {1}", string.Join(' ', args), error);
        error.Should().Contain(" Fix: ", "the sentence for a person stays on standard error");
        var parse = () => JsonDocument.Parse(output);
        using var document = parse.Should().NotThrow("keepalive {0} with --json writes one JSON object, not: '{1}'", string.Join(' ', args), output).Subject;
        var root = document.RootElement;
        root.GetProperty("exitCode").GetInt32().Should().Be(2);
        var refusal = root.GetProperty("errors").EnumerateArray().Should().ContainSingle().Subject;
        refusal.GetProperty("subject").GetString().Should().StartWith(subject);
        refusal.GetProperty("error").GetString().Should().NotBeNullOrWhiteSpace();
        refusal.GetProperty("fix").GetString().Should().NotBeNullOrWhiteSpace();
        error.Should().Contain(refusal.GetProperty("fix").GetString());
    }
}
