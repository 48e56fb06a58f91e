using System.Globalization;
using System.Net;
using System.Net.Sockets;
using KeepAlive.Net.Tool.Tests.Support;

namespace KeepAlive.Net.Tool.Tests.Cli;

/// <summary>
/// Whether a command judges the profile's heartbeat (validates its <c>Heartbeat:Interval</c> against the peer idle timeout
/// and describes it): <c>check</c> when it sends one (<c>--heartbeat</c>) or the profile sets the interval, <c>show</c>
/// always, <c>doctor</c> only when the profile sets it. Each caller of that one decision, with and without a heartbeat, with a
/// profile that sets <c>Heartbeat:Interval</c> and one that does not (check refusing a set interval that is too long:
/// CheckLoopbackTests.Check_HeartbeatIntervalSetInTheFileOrByAFlag_IsStillJudgedAgainstThePeerIdleTimeout).
/// </summary>
public sealed class HeartbeatJudgedTests : IDisposable
{
    private const string WithoutInterval = """{ "Tcp": { "IdleTime": "1s", "Interval": "1s" }, "Heartbeat": { "PeerIdleTimeout": "3s" } }""";
    private const string WithInterval = """{ "Tcp": { "IdleTime": "1s", "Interval": "1s" }, "Heartbeat": { "Interval": "1400ms", "PeerIdleTimeout": "3s" } }""";
    private const string WithTooLongInterval = """{ "Tcp": { "IdleTime": "1s", "Interval": "1s" }, "Heartbeat": { "Interval": "10s", "PeerIdleTimeout": "3s" } }""";
    private const string NotSent = "No heartbeat is sent (--heartbeat TEXT sends one) and the profile sets no Heartbeat:Interval.";

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("keepalive-judged-");
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public HeartbeatJudgedTests() => _listener.Start();

    private string Target => _listener.LocalEndpoint.ToString()!;

    [Theory]
    [InlineData(WithoutInterval, false, NotSent)]
    [InlineData(WithInterval, false, "Heartbeat every 1s400ms: 2.1 heartbeats fit in the peer idle timeout")]
    [InlineData(WithoutInterval, true, "Heartbeat every 1s: 3 heartbeats fit in the peer idle timeout")]
    [InlineData(WithInterval, true, "Heartbeat every 1s400ms: 2.1 heartbeats fit in the peer idle timeout")]
    public async Task Check_HeartbeatLine_IsDescribedWhenSentOrWhenTheProfileSetsItsInterval(string profile, bool send, string line)
    {
        var settings = await WriteSettingsAsync(profile);
        var server = AcceptAndDrainAsync();

        var (exitCode, output, error) = await ToolRun.InProcessAsync(["check", Target, "--settings", settings, "--count", "1", "--hold", "1s", .. send ? ["--heartbeat", "ping"] : (string[])[]]);

        exitCode.Should().Be(0, output + error);
        output.Should().Contain(line).And.Contain("ALIVE:");
        (output.Contains(NotSent, StringComparison.Ordinal) || output.Contains("Heartbeat every ", StringComparison.Ordinal)).Should().BeTrue(output);
        await server.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData(WithoutInterval, new string[0], 2, "KeepAlive:Profiles:p:Heartbeat:Interval: Interval is 10s, over the limit of 1s500ms")]
    [InlineData(WithoutInterval, new[] { "--heartbeat-interval", "1s" }, 0, "Heartbeat every 1s: 3 heartbeats fit in the peer idle timeout")]
    [InlineData(WithInterval, new string[0], 0, "Heartbeat every 1s400ms: 2.1 heartbeats fit in the peer idle timeout")]
    [InlineData(WithInterval, new[] { "--heartbeat-interval", "1s" }, 0, "Heartbeat every 1s: 3 heartbeats fit in the peer idle timeout")]
    public async Task Show_AlwaysJudgesTheHeartbeat_TheProfilesOrTheFlagsInterval(string profile, string[] flags, int expectedExitCode, string said)
    {
        var settings = await WriteSettingsAsync(profile);

        var (exitCode, output, error) = await ToolRun.InProcessAsync(["show", "--settings", settings, .. flags]);

        exitCode.Should().Be(expectedExitCode, output + error);
        (expectedExitCode == 0 ? output : error).Should().Contain(said);
        output.Should().NotContain(NotSent);
    }

    [Theory]
    [InlineData(WithoutInterval, false)]
    [InlineData(WithInterval, false)]
    [InlineData(WithTooLongInterval, true)]
    public async Task Doctor_JudgesTheHeartbeatOnlyWhenTheProfileSetsItsInterval(string profile, bool refused)
    {
        var settings = await WriteSettingsAsync(profile);

        var (exitCode, output, error) = await ToolRun.InProcessAsync("doctor", "--pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture), "--settings", settings);

        if (refused)
        {
            exitCode.Should().Be(2);
            error.Should().Contain("KeepAlive:Profiles:p:Heartbeat:Interval: Interval is 10s, over the limit of 1s500ms");
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
