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

    [Fact]
    public async Task Refusal_OfASettingsFileWithSeveralProfilesAndNoProfile_NamesTheFileAsItsSubject()
    {
        // "--settings two.json holds 2 profiles ..." had no "subject: " before what is wrong, so JSON said subject null.
        var settings = Path.Combine(Path.GetTempPath(), $"keepalive-two-profiles-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(settings, """{"KeepAlive":{"Profiles":{"a":{},"b":{}}}}""", TestContext.Current.CancellationToken);
        try
        {
            var (exitCode, output, error) = await ToolRun.InProcessAsync("doctor", "--json", "--pid", "1", "--settings", settings);

            exitCode.Should().Be(2, error);
            using var document = JsonDocument.Parse(output);
            var refusal = document.RootElement.GetProperty("errors").EnumerateArray().Should().ContainSingle().Subject;
            refusal.GetProperty("subject").GetString().Should().Be($"--settings {settings}");
            refusal.GetProperty("error").GetString().Should().Be("holds 2 profiles (a, b) and no --profile says which.");
            refusal.GetProperty("fix").GetString().Should().Be("choose one, e.g. --profile a.");
        }
        finally
        {
            File.Delete(settings);
        }
    }

    [Fact]
    public async Task Refusal_OfAnInvalidProfile_IsOneRefusalPerFailureNamingItsPathValueAndFix()
    {
        // "profile 'a' is invalid (2 to fix):" came first, with each failure on an indented line under it: the whole was one
        // refusal with no subject, whose "fix" ran from the first failure's fix into the second failure's text.
        var settings = Path.Combine(Path.GetTempPath(), $"keepalive-invalid-profile-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(settings, """{"KeepAlive":{"Profiles":{"a":{"Tcp":{"IdleTime":"30","Interval":"5h"}}}}}""", TestContext.Current.CancellationToken);
        try
        {
            var (exitCode, output, error) = await ToolRun.InProcessAsync("doctor", "--json", "--pid", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), "--settings", settings);

            using var scope = new AssertionScope();
            exitCode.Should().Be(2, error);
            var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            lines.Should().SatisfyRespectively(
                idle => idle.Should().StartWith("KeepAlive:Profiles:a:Tcp:IdleTime: '30' "),
                interval => interval.Should().StartWith("KeepAlive:Profiles:a:Tcp:Interval: '5h' "));
            using var document = JsonDocument.Parse(output);
            var errors = document.RootElement.GetProperty("errors").EnumerateArray().ToList();
            errors.Select(static e => e.GetProperty("subject").GetString()).Should().Equal("KeepAlive:Profiles:a:Tcp:IdleTime", "KeepAlive:Profiles:a:Tcp:Interval");
            errors.Select(static e => e.GetProperty("error").GetString()).Should().SatisfyRespectively(
                idle => idle.Should().StartWith("'30' "),
                interval => interval.Should().StartWith("'5h' "));
            foreach (var refusal in errors)
            {
                refusal.GetProperty("fix").GetString().Should().NotBeNullOrWhiteSpace().And.NotContain("\n").And.NotContain("KeepAlive:Profiles");
            }
        }
        finally
        {
            File.Delete(settings);
        }
    }
}
