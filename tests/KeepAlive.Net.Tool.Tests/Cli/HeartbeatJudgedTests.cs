using System.Globalization;
using System.Net;
using System.Net.Sockets;
using KeepAlive.Net.Tool.Tests.Support;

namespace KeepAlive.Net.Tool.Tests.Cli;

/// <summary>
/// Whether a command judges the profile's heartbeat (validates its <c>Heartbeat:Interval</c> against the peer idle timeout
/// and describes it): always for a <c>--settings</c> file's profile, as the application that reads the file judges it
/// (<c>show</c>, <c>check</c> and <c>doctor</c> alike); for a profile of <c>check</c>'s flags alone, only when it sends one
/// (<c>--heartbeat</c>). Each caller of that one decision, with and without a heartbeat, with a profile that sets
/// <c>Heartbeat:Interval</c> and one that does not (check refusing a file's profile as show does:
/// CheckLoopbackTests.Check_ProfileFromSettingsWithoutHeartbeat_IsRefusedAsShowAndTheApplicationRefuseIt).
/// </summary>
public sealed class HeartbeatJudgedTests : IDisposable
{
    private const string WithoutInterval = """{ "Tcp": { "IdleTime": "1s", "Interval": "1s" }, "Heartbeat": { "PeerIdleTimeout": "3s" } }""";
    private const string WithInterval = """{ "Tcp": { "IdleTime": "1s", "Interval": "1s" }, "Heartbeat": { "Interval": "1400ms", "PeerIdleTimeout": "3s" } }""";
    private const string WithTooLongInterval = """{ "Tcp": { "IdleTime": "1s", "Interval": "1s" }, "Heartbeat": { "Interval": "10s", "PeerIdleTimeout": "3s" } }""";
    private const string WithTooLongJitter = """{ "Tcp": { "IdleTime": "1s", "Interval": "1s" }, "Heartbeat": { "Jitter": "15s", "PeerIdleTimeout": "3s" } }""";
    private const string WithoutIntervalLongPeerIdle = """{ "Tcp": { "IdleTime": "1s", "Interval": "1s" }, "Heartbeat": { "PeerIdleTimeout": "30s" } }""";
    private const string NotSent = "No heartbeat is sent (--heartbeat TEXT sends one) and the profile sets no Heartbeat:Interval.";

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("keepalive-judged-");
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public HeartbeatJudgedTests() => _listener.Start();

    private string Target => _listener.LocalEndpoint.ToString()!;

    [Theory]
    [InlineData(null, false, NotSent)]
    [InlineData(null, true, "Heartbeat every 1s: 2 heartbeats fit in the peer idle timeout")]
    [InlineData(WithoutIntervalLongPeerIdle, false, "Heartbeat every 10s: 2 heartbeats fit in the peer idle timeout")]
    [InlineData(WithInterval, false, "Heartbeat every 1s400ms: 1.4 heartbeats fit in the peer idle timeout")]
    [InlineData(WithoutInterval, true, "Heartbeat every 1s: 2 heartbeats fit in the peer idle timeout")]
    [InlineData(WithInterval, true, "Heartbeat every 1s400ms: 1.4 heartbeats fit in the peer idle timeout")]
    public async Task Check_HeartbeatLine_IsDescribedWhenSentOrTheProfileIsAFilesOrSetsItsInterval(string? profile, bool send, string line)
    {
        string[] profileArgs = profile is null ? ["--peer-idle-timeout", "3s", "--idle", "1s", "--interval", "1s"] : ["--settings", await WriteSettingsAsync(profile)];
        var server = AcceptAndDrainAsync();

        var (exitCode, output, error) = await ToolRun.InProcessAsync(["check", Target, .. profileArgs, "--count", "1", "--hold", "1s", .. send ? ["--heartbeat", "ping"] : (string[])[]]);

        exitCode.Should().Be(0, output + error);
        output.Should().Contain(line).And.Contain("ALIVE:");
        (output.Contains(NotSent, StringComparison.Ordinal) || output.Contains("Heartbeat every ", StringComparison.Ordinal)).Should().BeTrue(output);
        await server.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Check_FlagsAloneWithoutHeartbeat_DropOnlyTheRefusalOfTheUnsentDefaultInterval()
    {
        // The flags' profile without --heartbeat loses the library's refusal of the 10 s Heartbeat:Interval nobody sends and
        // keeps every other refusal word for word; with --heartbeat (--every 10s, too long for the 3 s peer idle timeout) the
        // interval is sent and refused. The default Tcp:IdleTime (30s) is refused against the peer idle timeout either way.
        string[] flags = ["check", Target, "--peer-idle-timeout", "3s", "--hold", "1s"];
        const string Interval = "KeepAlive profile 'command-line' (from the command-line flags) Heartbeat:Interval: ";

        var (notSentExit, notSentOutput, notSent) = await ToolRun.InProcessAsync(flags);
        var (sentExit, sentOutput, sent) = await ToolRun.InProcessAsync([.. flags, "--heartbeat", "ping", "--every", "10s"]);

        (notSentExit, sentExit).Should().Be((2, 2), notSentOutput + notSent + sentOutput + sent);
        ToolRun.Lines(sent).Should().ContainSingle(static line => line.StartsWith(Interval + "Interval is 10s, over the limit of 1s500ms", StringComparison.Ordinal))
            .And.Contain(static line => line.Contains("Tcp:IdleTime: ", StringComparison.Ordinal));
        ToolRun.Lines(notSent).Should().NotBeEmpty().And.Equal(ToolRun.Lines(sent).Where(static line => !line.StartsWith(Interval, StringComparison.Ordinal)));
        _listener.Pending().Should().BeFalse("a refused profile connects nowhere");
    }

    [Theory]
    [InlineData(WithoutInterval, new string[0], 2, "KeepAlive:Profiles:p:Heartbeat:Interval: Interval is 10s (the default: Interval is not set), over the limit of 1s500ms")]
    [InlineData(WithoutInterval, new[] { "--heartbeat-interval", "1s" }, 0, "Heartbeat every 1s: 2 heartbeats fit in the peer idle timeout")]
    [InlineData(WithInterval, new string[0], 0, "Heartbeat every 1s400ms: 1.4 heartbeats fit in the peer idle timeout")]
    [InlineData(WithInterval, new[] { "--heartbeat-interval", "1s" }, 0, "Heartbeat every 1s: 2 heartbeats fit in the peer idle timeout")]
    public async Task Show_AlwaysJudgesTheHeartbeat_TheProfilesOrTheFlagsInterval(string profile, string[] flags, int expectedExitCode, string said)
    {
        var settings = await WriteSettingsAsync(profile);

        var (exitCode, output, error) = await ToolRun.InProcessAsync(["show", "--settings", settings, .. flags]);

        exitCode.Should().Be(expectedExitCode, output + error);
        (expectedExitCode == 0 ? output : error).Should().Contain(said);
        output.Should().NotContain(NotSent);
    }

    [Theory]
    [InlineData(WithoutInterval, true)]
    [InlineData(WithTooLongJitter, true)]
    [InlineData(WithTooLongInterval, true)]
    [InlineData(WithInterval, false)]
    [InlineData(WithoutIntervalLongPeerIdle, false)]
    public async Task Doctor_JudgesTheHeartbeatOfAProfileFromSettings_AsShowAndTheApplicationDo(string profile, bool refused)
    {
        // doctor dropped the refusal of the default 10 s Heartbeat:Interval a file leaves unset, which the application that
        // reads the file sends and Hosting refuses at start-up: WithoutInterval passed, WithTooLongJitter lost a line.
        var settings = await WriteSettingsAsync(profile);

        var (exitCode, output, error) = await ToolRun.InProcessAsync("doctor", "--pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture), "--settings", settings);

        if (refused)
        {
            var shown = await ToolRun.ShowRefusalAsync("--settings", settings);
            exitCode.Should().Be(2, output + error);
            shown.Should().Contain(static line => line.StartsWith("KeepAlive:Profiles:p:Heartbeat:Interval: Interval is 10s", StringComparison.Ordinal));
            ToolRun.Lines(error).Should().Equal(shown);
        }
        else
        {
            error.Should().NotContain("Heartbeat:Interval");
            output.Should().NotContain("Heartbeat:Interval");
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
        _folder.Delete(recursive: true);
    }

    private async Task<string> WriteSettingsAsync(string profile)
    {
        var file = Path.Combine(_folder.FullName, "appsettings.json");
        await File.WriteAllTextAsync(file, $$"""{ "KeepAlive": { "Profiles": { "p": {{profile}} } } }""", TestContext.Current.CancellationToken);
        return file;
    }

    private Task AcceptAndDrainAsync() => Task.Run(async () =>
    {
        using var peer = await _listener.AcceptSocketAsync();
        var buffer = new byte[256];
        while (await peer.ReceiveAsync(buffer, SocketFlags.None) > 0)
        {
        }
    });
}
