using KeepAlive.Net.Hosting;
using KeepAlive.Net.Tool.Cli;
using KeepAlive.Net.Tool.Show;

namespace KeepAlive.Net.Tool.Tests.Show;

/// <summary>What <c>show</c> says bounds a dead peer with data in flight where the kernel's defaults cannot be read (not Linux).</summary>
public sealed class DetectionTests
{
    private static readonly KernelDefaults Unread = new(null, null, null, null, "not Linux");

    [Theory]
    [InlineData(KeepAlivePlatform.Windows, "TcpMaxDataRetransmissions")]
    [InlineData(KeepAlivePlatform.WindowsLegacy, "TcpMaxDataRetransmissions")]
    [InlineData(KeepAlivePlatform.MacOS, "the kernel's retransmission limit")]
    public void Describe_NoUserTimeoutOnThePlatform_NamesThatPlatformsLimitNotLinuxsFifteenMinutes(KeepAlivePlatform platform, string limit)
    {
        var applied = new KeepAliveSettings
        {
            Platform = platform, Enabled = true, IsReadBackFromKernel = true, IdleTime = TimeSpan.FromSeconds(30), Interval = TimeSpan.FromSeconds(5), ProbeCount = 4,
        };

        var line = Detection.Describe(applied, new KeepAliveProfileOptions(), Unread).Single(static l => l.StartsWith("Dead peer, data in flight", StringComparison.Ordinal));

        line.Should().Contain(limit).And.NotContain("15 minutes", "about 15 minutes is Linux's tcp_retries2 default, which does not apply here");
    }

    [Theory]
    [InlineData(KeepAlivePlatform.Unknown, "no, the kernel's 2h / 1m15s stay")]
    [InlineData(KeepAlivePlatform.Linux, "yes, steps of 1s")]
    public void Capabilities_SaysWhetherIdleTimeAndIntervalCanBeSet(KeepAlivePlatform platform, string support)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        ToolConsole.Plain(output, error).Ansi.Write(Tables.Capabilities(KeepAliveCapabilities.For(platform)));

        output.ToString().Should().MatchRegex($@"idle time / interval\s*│\s*{System.Text.RegularExpressions.Regex.Escape(support)}");
    }

    [Fact]
    public void Describe_ConfiguredIntervalAndPeerIdleTimeout_AreWrittenExactlyAsTheProfileReadsThem()
    {
        // A Heartbeat:Interval of 1.5ms read "Heartbeat every 2ms: 666.7 heartbeats fit": rounded to the millisecond as a
        // measured time, though the count was the 1.5ms one's and "2ms" pasted into a profile is another heartbeat.
        var applied = new KeepAliveSettings { Platform = KeepAlivePlatform.Linux, Enabled = false, IsReadBackFromKernel = true };
        var profile = new KeepAliveProfileOptions();
        profile.Heartbeat.Interval = TimeSpan.FromTicks(15_000);
        profile.Heartbeat.PeerIdleTimeout = PeerIdleTimeout.Parse("1000500us");

        var lines = Detection.Describe(applied, profile, Unread).ToList();

        lines.Should().Contain(static l => l.StartsWith("Peer idle timeout 1s500us (the peer):", StringComparison.Ordinal));
        lines.Should().Contain(static l => l.StartsWith("Heartbeat every 1ms500us: 444.6 heartbeats fit", StringComparison.Ordinal));
    }

    [Fact]
    public void Describe_ProfileWithJitterAndSpread_CountsHeartbeatsByTheGapTheLatenessBudgetLeaves()
    {
        // Interval 10s, Jitter 2s, Spread 3s, PeerIdleTimeout 40s: the budget is 40 - 10 - 2 - 3 = 25s, so heartbeats may be
        // 15s apart and 2.6 fit (2.67, counted down: rounded, 2.7 would claim more than fits); the line said "4 heartbeats fit" (40s / 10s) beside that 25s budget, two rules in one sentence.
        var applied = new KeepAliveSettings { Platform = KeepAlivePlatform.Linux, Enabled = false, IsReadBackFromKernel = true };
        var profile = new KeepAliveProfileOptions();
        profile.Heartbeat.Interval = TimeSpan.FromSeconds(10);
        profile.Heartbeat.Jitter = TimeSpan.FromSeconds(2);
        profile.Heartbeat.Spread = TimeSpan.FromSeconds(3);
        profile.Heartbeat.PeerIdleTimeout = PeerIdleTimeout.Parse("40s");

        var line = Detection.Describe(applied, profile, Unread).Single(static l => l.StartsWith("Heartbeat every", StringComparison.Ordinal));

        line.Should().StartWith("Heartbeat every 10s: 2.6 heartbeats fit in the peer idle timeout, 15s apart at most (interval + jitter + spread);")
            .And.Contain("a heartbeat more than 25s late loses the connection");
    }
}
