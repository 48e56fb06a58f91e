using KeepAlive.Net.Tcp;
using KeepAlive.Net.Tests.TestSupport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace KeepAlive.Net.Tests.Tcp;

/// <summary>
/// The platforms this machine cannot run, through the recording seam: the exact option levels, names
/// and bytes each one's kernel would receive, in order.
/// </summary>
public sealed class PlatformBackendRecordingTests
{
    private static readonly TcpKeepAliveOptions Options = new()
    {
        IdleTime = TimeSpan.FromSeconds(30),
        Interval = TimeSpan.FromMilliseconds(5500),
        ProbeCount = 4,
    };

    [Fact]
    public void Configure_Windows1709_WritesSolSocketAndTcpOptionsInSeconds()
    {
        var (recorder, settings) = Configure(KeepAlivePlatform.Windows, Options);

        recorder.Writes.Should().Equal(
            [
                Set(0xffff, 0x0008, "01000000"), // SOL_SOCKET, SO_KEEPALIVE = 1
                Set(6, 3, "1E000000"),           // IPPROTO_TCP, TCP_KEEPIDLE = 30 s
                Set(6, 17, "05000000"),          // TCP_KEEPINTVL = 5 s (5.5 s rounded down)
                Set(6, 16, "04000000"),          // TCP_KEEPCNT = 4
            ],
            SameCall);
        settings.IdleTime.Should().Be(TimeSpan.FromSeconds(30));
        settings.Interval.Should().Be(TimeSpan.FromSeconds(5));
        settings.UserTimeout.Should().BeNull("Windows has no TCP_USER_TIMEOUT");
        settings.GetReport(KeepAliveOption.UserTimeout)!.Status.Should().Be(KeepAliveOptionStatus.Unsupported);
        settings.GetReport(KeepAliveOption.Interval)!.Status.Should().Be(KeepAliveOptionStatus.Rounded);
        settings.IsReadBackFromKernel.Should().BeTrue();
        recorder.Calls.Where(c => c.Kind == "getsockopt").Select(c => (c.Level, c.Name)).Should().Equal((0xffff, 8), (6, 3), (6, 17), (6, 16));
    }

    [Fact]
    public void Configure_MacOS_UsesTcpKeepAliveForIdleAndAppleOptionNumbers()
    {
        var (recorder, settings) = Configure(KeepAlivePlatform.MacOS, Options);

        recorder.Writes.Should().Equal(
            [
                Set(0xffff, 0x0008, "01000000"), // SOL_SOCKET, SO_KEEPALIVE
                Set(6, 0x10, "1E000000"),        // TCP_KEEPALIVE (idle) = 30 s
                Set(6, 0x101, "05000000"),       // TCP_KEEPINTVL
                Set(6, 0x102, "04000000"),       // TCP_KEEPCNT
            ],
            SameCall);
        recorder.Calls.Where(c => c.Kind == "getsockopt").Select(c => (c.Level, c.Name)).Should().Equal((0xffff, 8), (6, 0x10), (6, 0x101), (6, 0x102));
        settings.Platform.Should().Be(KeepAlivePlatform.MacOS);
        settings.UserTimeout.Should().BeNull();
        KeepAliveCapabilities.For(KeepAlivePlatform.MacOS).AcceptedSocketsInheritListenerSettings.Should().BeFalse();
    }

    [Fact]
    public void Configure_FreeBsd_UsesFreeBsdOptionNumbers()
    {
        var (recorder, _) = Configure(KeepAlivePlatform.FreeBsd, Options);

        recorder.Writes.Should().Equal(
            [
                Set(0xffff, 0x0008, "01000000"), // SOL_SOCKET, SO_KEEPALIVE
                Set(6, 256, "1E000000"),         // TCP_KEEPIDLE = 30 s
                Set(6, 512, "05000000"),         // TCP_KEEPINTVL = 5 s
                Set(6, 1024, "04000000"),        // TCP_KEEPCNT = 4
            ],
            SameCall);
        recorder.Calls.Where(c => c.Kind == "getsockopt").Select(c => (c.Level, c.Name)).Should().Equal((0xffff, 8), (6, 256), (6, 512), (6, 1024));
    }

    [Fact]
    public void Configure_Linux_WritesUserTimeoutInMilliseconds()
    {
        var (recorder, settings) = Configure(KeepAlivePlatform.Linux, new TcpKeepAliveOptions { UserTimeout = TimeSpan.FromMilliseconds(2500) });

        recorder.Writes.Should().Equal(
            [
                Set(1, 9, "01000000"),  // SOL_SOCKET, SO_KEEPALIVE
                Set(6, 4, "1E000000"),  // TCP_KEEPIDLE 30
                Set(6, 5, "0A000000"),  // TCP_KEEPINTVL 10
                Set(6, 6, "03000000"),  // TCP_KEEPCNT 3
                Set(6, 18, "C4090000"), // TCP_USER_TIMEOUT 2500 ms
            ],
            SameCall);
        settings.UserTimeout.Should().Be(TimeSpan.FromMilliseconds(2500));
    }

    [Fact]
    public void Configure_WindowsLegacy_SendsSioKeepAliveValsStructInMilliseconds()
    {
        var logger = new FakeLogger();
        var (recorder, settings) = Configure(KeepAlivePlatform.WindowsLegacy, Options, logger);

        var call = recorder.Writes.Should().ContainSingle().Which;
        call.Kind.Should().Be("WSAIoctl");
        unchecked((uint)call.Name).Should().Be(0x98000004u, "SIO_KEEPALIVE_VALS = _WSAIOW(IOC_VENDOR, 4)");
        call.Value.Should().Equal(
            0x01, 0x00, 0x00, 0x00,  // onoff = 1
            0x30, 0x75, 0x00, 0x00,  // keepalivetime = 30000 ms
            0x7C, 0x15, 0x00, 0x00); // keepaliveinterval = 5500 ms: milliseconds, so no rounding
        settings.IsReadBackFromKernel.Should().BeFalse();
        settings.IdleTime.Should().Be(TimeSpan.FromSeconds(30));
        settings.Interval.Should().Be(TimeSpan.FromMilliseconds(5500));
        settings.ProbeCount.Should().Be(10);
        var count = settings.GetReport(KeepAliveOption.ProbeCount)!;
        count.Status.Should().Be(KeepAliveOptionStatus.FixedByPlatform);
        count.Requested.Should().Be(4);
        count.Effective.Should().Be(10);
        count.Reason.Should().Contain("10042");
        settings.GetReport(KeepAliveOption.Interval)!.Status.Should().Be(KeepAliveOptionStatus.Applied);
        settings.ToString().Should().Contain("cannot read them back");
        logger.Collector.GetSnapshot().Should().ContainSingle(r => r.Level == LogLevel.Warning)
            .Which.Id.Id.Should().Be(KeepAliveEventIds.KeepAliveOptionFixedByPlatform);
    }

    [Fact]
    public void Configure_WindowsLegacyWithTenProbes_ReportsApplied()
    {
        var (_, settings) = Configure(KeepAlivePlatform.WindowsLegacy, new TcpKeepAliveOptions { ProbeCount = 10 });

        settings.GetReport(KeepAliveOption.ProbeCount)!.Status.Should().Be(KeepAliveOptionStatus.Applied);
    }

    [Fact]
    public void Configure_WindowsLegacyDisabled_SwitchesSoKeepAliveOff()
    {
        var (recorder, settings) = Configure(KeepAlivePlatform.WindowsLegacy, new TcpKeepAliveOptions { Enabled = false });

        recorder.Writes.Should().Equal([Set(0xffff, 0x0008, "00000000")], SameCall);
        settings.Enabled.Should().BeFalse();
    }

    [Theory]
    [InlineData(KeepAlivePlatform.Windows)]
    [InlineData(KeepAlivePlatform.MacOS)]
    [InlineData(KeepAlivePlatform.FreeBsd)]
    public void Configure_ExplicitUserTimeoutWithoutSupport_WarnsOnceAndWritesNothingForIt(KeepAlivePlatform platform)
    {
        var logger = new FakeLogger();

        var (recorder, settings) = Configure(platform, new TcpKeepAliveOptions { UserTimeout = TimeSpan.FromSeconds(20) }, logger);

        recorder.Writes.Should().HaveCount(4, "SO_KEEPALIVE plus idle, interval and count; no user timeout");
        var report = settings.GetReport(KeepAliveOption.UserTimeout)!;
        report.Status.Should().Be(KeepAliveOptionStatus.Unsupported);
        report.Reason.Should().Contain("TCP_USER_TIMEOUT");
        logger.Collector.GetSnapshot().Should().ContainSingle(r => r.Level == LogLevel.Warning)
            .Which.Id.Id.Should().Be(KeepAliveEventIds.KeepAliveOptionUnsupported);
    }

    [Theory]
    [InlineData(KeepAlivePlatform.Windows, "TcpMaxDataRetransmissions")]
    [InlineData(KeepAlivePlatform.WindowsLegacy, "TcpMaxDataRetransmissions")]
    [InlineData(KeepAlivePlatform.MacOS, "maximum number of retransmissions")]
    [InlineData(KeepAlivePlatform.FreeBsd, "maximum number of retransmissions")]
    public void Configure_ExplicitUserTimeoutWithoutSupport_NamesThisPlatformsRetransmissionLimitNotLinuxs(KeepAlivePlatform platform, string limit)
    {
        // "About 15 minutes" is Linux's tcp_retries2 (15 retransmissions), and Linux has TCP_USER_TIMEOUT, so the message never
        // shows there; Windows gives up after TcpMaxDataRetransmissions (5 by default), seconds after a peer dies.
        var (_, settings) = Configure(platform, new TcpKeepAliveOptions { UserTimeout = TimeSpan.FromSeconds(20) });

        var reason = settings.GetReport(KeepAliveOption.UserTimeout)!.Reason;
        reason.Should().Contain(limit).And.NotContain("15 minutes");
    }

    [Fact]
    public void Configure_DerivedUserTimeoutWithoutSupport_DoesNotWarn()
    {
        var logger = new FakeLogger();

        Configure(KeepAlivePlatform.Windows, new TcpKeepAliveOptions(), logger);

        logger.Collector.GetSnapshot().Should().NotContain(r => r.Level >= LogLevel.Warning, "nothing the user asked for was dropped");
    }

    [Theory]
    [InlineData(KeepAlivePlatform.Windows)]
    [InlineData(KeepAlivePlatform.MacOS)]
    [InlineData(KeepAlivePlatform.FreeBsd)]
    public void HasAdjustments_UserTimeoutNobodyAskedFor_IsNoAdjustment(KeepAlivePlatform platform)
    {
        // Whole seconds, applied as asked: the only "Unsupported" is the user timeout left unset to be derived.
        var (_, asIs) = Configure(platform, new TcpKeepAliveOptions());
        var (_, asked) = Configure(platform, new TcpKeepAliveOptions { UserTimeout = TimeSpan.FromSeconds(20) });
        var read = KeepAliveConfigurator.Read(new RecordingSocketOptionAccess(), KeepAliveCapabilities.For(platform));

        asIs.GetReport(KeepAliveOption.UserTimeout)!.Status.Should().Be(KeepAliveOptionStatus.Unsupported);
        asIs.HasAdjustments.Should().BeFalse("nothing that was asked for was changed or dropped");
        asked.HasAdjustments.Should().BeTrue("an explicit user timeout was dropped");
        read.HasAdjustments.Should().BeFalse("a read asks for nothing");
    }

    [Fact]
    public void Configure_UnknownPlatform_OnlySwitchesKeepAliveOnAndSaysWhatIsUnsupported()
    {
        var (recorder, settings) = Configure(KeepAlivePlatform.Unknown, Options);

        recorder.Writes.Should().ContainSingle().Which.Value.Should().Equal(1, 0, 0, 0);
        settings.Enabled.Should().BeTrue();
        settings.Options.Where(o => o.Option is KeepAliveOption.IdleTime or KeepAliveOption.Interval or KeepAliveOption.ProbeCount)
            .Should().OnlyContain(o => o.Status == KeepAliveOptionStatus.Unsupported && o.Reason != null);
    }

    [Theory]
    [InlineData(KeepAlivePlatform.Windows, 0, "ProbeCount 0 is below the floor of 1")]
    [InlineData(KeepAlivePlatform.MacOS, 0, "ProbeCount 0 is below the floor of 1")]
    [InlineData(KeepAlivePlatform.WindowsLegacy, 0, "ProbeCount 0 is below the floor of 1")]
    [InlineData(KeepAlivePlatform.WindowsLegacy, 20, "ProbeCount is 20, but WindowsLegacy always sends 10 probes*Fix: set ProbeCount to 10")]
    [InlineData(KeepAlivePlatform.Windows, 128, "ProbeCount 128 is above the ceiling of 127")]
    public void Configure_InvalidOptions_MakesNoCallAtAll(KeepAlivePlatform platform, int probes, string message)
    {
        var recorder = new RecordingSocketOptionAccess();

        var act = () => KeepAliveConfigurator.Configure(recorder, KeepAliveCapabilities.For(platform), new TcpKeepAliveOptions { ProbeCount = probes }, null);

        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage($"*{message}*");
        recorder.Calls.Should().BeEmpty();
    }

    private static (RecordingSocketOptionAccess Recorder, KeepAliveSettings Settings) Configure(KeepAlivePlatform platform, TcpKeepAliveOptions options, ILogger? logger = null)
    {
        var recorder = new RecordingSocketOptionAccess();
        var settings = KeepAliveConfigurator.Configure(recorder, KeepAliveCapabilities.For(platform), options, logger);
        return (recorder, settings);
    }

    private static RecordedCall Set(int level, int name, string hex) => new("setsockopt", level, name, Convert.FromHexString(hex));

    private static bool SameCall(RecordedCall actual, RecordedCall expected) =>
        actual.Kind == expected.Kind && actual.Level == expected.Level && actual.Name == expected.Name && actual.Value.AsSpan().SequenceEqual(expected.Value);
}
