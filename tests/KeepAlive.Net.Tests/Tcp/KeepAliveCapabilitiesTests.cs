using KeepAlive.Net.Tcp;
using KeepAlive.Net.Tests.TestSupport;

namespace KeepAlive.Net.Tests.Tcp;

public sealed class KeepAliveCapabilitiesTests
{
    [Fact]
    public void Current_OnThisMachine_MatchesTheOperatingSystem()
    {
        var expected = OperatingSystem.IsLinux() ? KeepAlivePlatform.Linux
            : OperatingSystem.IsMacOS() ? KeepAlivePlatform.MacOS
            : OperatingSystem.IsWindows() ? KeepAlivePlatform.Windows
            : KeepAlivePlatform.Unknown;

        KeepAliveCapabilities.Current.Platform.Should().Be(expected);
    }

    [Fact]
    public void For_Linux_HasUserTimeoutAndKernelLimits()
    {
        var linux = KeepAliveCapabilities.For(KeepAlivePlatform.Linux);

        linux.SupportsUserTimeout.Should().BeTrue();
        linux.MaxIdleTime.Should().Be(TimeSpan.FromSeconds(32767));
        linux.MaxInterval.Should().Be(TimeSpan.FromSeconds(32767));
        linux.MaxProbeCount.Should().Be(127);
        linux.TimeResolution.Should().Be(TimeSpan.FromSeconds(1));
        linux.DefaultIdleTime.Should().Be(TimeSpan.FromSeconds(7200));
        linux.CanReadBack.Should().BeTrue();
    }

    [Fact]
    public void For_WindowsLegacy_SaysWhatItCannotDo()
    {
        var legacy = KeepAliveCapabilities.For(KeepAlivePlatform.WindowsLegacy);

        legacy.SupportsProbeCount.Should().BeFalse();
        legacy.FixedProbeCount.Should().Be(10);
        legacy.CanReadBack.Should().BeFalse();
        legacy.SupportsUserTimeout.Should().BeFalse();
        legacy.TimeResolution.Should().Be(TimeSpan.FromMilliseconds(1));
        legacy.Limitations.Should().Contain("SIO_KEEPALIVE_VALS").And.Contain("fixed at 10");
    }

    [Theory]
    [InlineData(KeepAlivePlatform.MacOS, 8)]
    [InlineData(KeepAlivePlatform.Windows, 10)]
    [InlineData(KeepAlivePlatform.Linux, 9)]
    public void For_EachPlatform_ReportsItsDefaultProbeCount(KeepAlivePlatform platform, int probes) =>
        KeepAliveCapabilities.For(platform).DefaultProbeCount.Should().Be(probes);

    [Fact]
    public void Validate_ValidDefaults_ReturnsNoError() =>
        TcpKeepAliveValidator.Validate(new TcpKeepAliveOptions(), KeepAliveCapabilities.For(KeepAlivePlatform.Linux)).Should().BeEmpty();

    [Fact]
    public void Validate_BadIdle_NamesTheOption()
    {
        var errors = TcpKeepAliveValidator.Validate(new TcpKeepAliveOptions { IdleTime = TimeSpan.FromHours(10) }, KeepAliveCapabilities.For(KeepAlivePlatform.Linux));

        errors.Should().ContainSingle().Which.OptionName.Should().Be(nameof(TcpKeepAliveOptions.IdleTime));
    }

    [Fact]
    public void GetDeadPeerDetectionTime_Defaults_IsSixtySeconds() =>
        new TcpKeepAliveOptions().GetDeadPeerDetectionTime().Should().Be(TimeSpan.FromSeconds(60));

    [Theory]
    [InlineData(KeepAlivePlatform.Linux)]
    [InlineData(KeepAlivePlatform.MacOS)]
    [InlineData(KeepAlivePlatform.WindowsLegacy)]
    public void GetDeadPeerDetectionTime_KeepAliveOff_IsNeverNotTheTimesOfProbesNeverSent(KeepAlivePlatform platform)
    {
        // Enabled = false switches SO_KEEPALIVE off: no probe is sent, so the kernel never declares a silent idle peer dead
        // (KeepAliveSettings.DeadPeerDetectionTime is null then), whatever the idle time, interval, count or user timeout say.
        var off = new TcpKeepAliveOptions { Enabled = false };
        var offWithUserTimeout = new TcpKeepAliveOptions { Enabled = false, UserTimeout = TimeSpan.FromSeconds(20) };

        off.GetDeadPeerDetectionTime(KeepAliveCapabilities.For(platform)).Should().Be(TimeSpan.MaxValue, "no keep-alive probe ever leaves");
        offWithUserTimeout.GetDeadPeerDetectionTime(KeepAliveCapabilities.For(platform)).Should().Be(TimeSpan.MaxValue, "TCP_USER_TIMEOUT ends an idle connection only at a keep-alive probe");
    }

    [Fact]
    public void GetDeadPeerDetectionTime_WindowsBefore1709_CountsTheTenProbesItAlwaysSends()
    {
        var options = new TcpKeepAliveOptions { IdleTime = TimeSpan.FromSeconds(30), Interval = TimeSpan.FromSeconds(5), ProbeCount = 4 };

        options.GetDeadPeerDetectionTime(KeepAliveCapabilities.For(KeepAlivePlatform.WindowsLegacy)).Should().Be(TimeSpan.FromSeconds(80), "30 s + 10 x 5 s: the count cannot be set there");
        options.GetDeadPeerDetectionTime(KeepAliveCapabilities.For(KeepAlivePlatform.Windows)).Should().Be(TimeSpan.FromSeconds(50));
    }

    [Fact]
    public void GetDeadPeerDetectionTime_UnknownPlatform_CountsTheKernelsDefaultsItKeeps()
    {
        // There ConfigureKeepAlive only switches SO_KEEPALIVE on: idle time, interval and probe count keep the kernel's values.
        var options = new TcpKeepAliveOptions { IdleTime = TimeSpan.FromSeconds(30), Interval = TimeSpan.FromSeconds(5), ProbeCount = 4 };

        options.GetDeadPeerDetectionTime(KeepAliveCapabilities.For(KeepAlivePlatform.Unknown)).Should().Be(TimeSpan.FromSeconds(7200 + (9 * 75)), "2 h + 9 x 75 s, the values in force, not the 50 s asked for and never written");
    }

    [Theory]
    [InlineData(KeepAlivePlatform.Linux, true)]
    [InlineData(KeepAlivePlatform.MacOS, true)]
    [InlineData(KeepAlivePlatform.FreeBsd, true)]
    [InlineData(KeepAlivePlatform.Windows, true)]
    [InlineData(KeepAlivePlatform.WindowsLegacy, true)]
    [InlineData(KeepAlivePlatform.Unknown, false)]
    public void For_EachPlatform_SaysWhetherIdleTimeAndIntervalCanBeSet(KeepAlivePlatform platform, bool settable) =>
        KeepAliveCapabilities.For(platform).SupportsKeepAliveTimes.Should().Be(settable);

    [Fact]
    public void SupportsKeepAliveTimes_False_IsOneRuleForWhatIsWrittenAndForTheDeadPeerTime()
    {
        // The plan (what ConfigureKeepAlive writes) and the dead-peer time read the same capability, not the platform's name.
        var capabilities = KeepAliveCapabilities.For(KeepAlivePlatform.Linux) with { SupportsKeepAliveTimes = false };
        var options = new TcpKeepAliveOptions { IdleTime = TimeSpan.FromSeconds(30), Interval = TimeSpan.FromSeconds(5), ProbeCount = 4 };
        var recorder = new RecordingSocketOptionAccess();

        var settings = KeepAliveConfigurator.Configure(recorder, capabilities, options, null);

        settings.Options.Where(o => o.Option is KeepAliveOption.IdleTime or KeepAliveOption.Interval)
            .Should().HaveCount(2).And.OnlyContain(o => o.Status == KeepAliveOptionStatus.Unsupported);
        recorder.Writes.Should().NotContain(w => w.Level == 6 && (w.Name == 4 || w.Name == 5), "Linux's TCP_KEEPIDLE (4) and TCP_KEEPINTVL (5) are not written");
        recorder.Writes.Should().Contain(w => w.Level == 6 && w.Name == 6, "TCP_KEEPCNT (6) still is");
        options.GetDeadPeerDetectionTime(capabilities).Should().Be(TimeSpan.FromSeconds(7200 + (4 * 75)), "the kernel's idle time and interval stay; the count of 4 is written");
    }

    [Fact]
    public void TimeAsWritten_RoundsDownToTheResolutionAndNeverBelowIt()
    {
        var linux = KeepAliveCapabilities.For(KeepAlivePlatform.Linux);

        linux.TimeAsWritten(TimeSpan.FromMilliseconds(7500)).Should().Be(TimeSpan.FromSeconds(7));
        linux.TimeAsWritten(TimeSpan.FromSeconds(30)).Should().Be(TimeSpan.FromSeconds(30));
        linux.TimeAsWritten(TimeSpan.FromMilliseconds(200)).Should().Be(TimeSpan.FromSeconds(1), "1 s is the earliest the kernel can probe");
        KeepAliveCapabilities.For(KeepAlivePlatform.WindowsLegacy).TimeAsWritten(TimeSpan.FromMilliseconds(7500)).Should().Be(TimeSpan.FromMilliseconds(7500), "milliseconds there");
    }

    [Fact]
    public void GetDeadPeerDetectionTime_FractionOfASecond_CountsWhatTheKernelIsGiven()
    {
        // The kernel takes whole seconds and ConfigureKeepAlive rounds down (30.9 s is written as 30 s, 5.5 s as 5 s): counting
        // the fractions promised 30.9 s + 4 x 5.5 s = 52.9 s where the kernel declares the peer dead after 30 s + 4 x 5 s = 50 s.
        var options = new TcpKeepAliveOptions { IdleTime = TimeSpan.FromMilliseconds(30_900), Interval = TimeSpan.FromMilliseconds(5500), ProbeCount = 4 };
        var withUserTimeout = new TcpKeepAliveOptions { IdleTime = TimeSpan.FromSeconds(30), Interval = TimeSpan.FromMilliseconds(5500), ProbeCount = 4, UserTimeout = TimeSpan.FromSeconds(40) };

        options.GetDeadPeerDetectionTime(KeepAliveCapabilities.For(KeepAlivePlatform.Linux)).Should().Be(TimeSpan.FromSeconds(50));
        options.GetDeadPeerDetectionTime(KeepAliveCapabilities.For(KeepAlivePlatform.MacOS)).Should().Be(TimeSpan.FromSeconds(50));
        withUserTimeout.GetDeadPeerDetectionTime(KeepAliveCapabilities.For(KeepAlivePlatform.Linux)).Should().Be(TimeSpan.FromSeconds(40), "the first probe at or after 40 s: 30 s + 2 x 5 s");
        options.GetDeadPeerDetectionTime(KeepAliveCapabilities.For(KeepAlivePlatform.WindowsLegacy)).Should().Be(TimeSpan.FromMilliseconds(30_900 + (10 * 5500)), "milliseconds there: nothing is rounded");
    }

    [Fact]
    public void GetDeadPeerDetectionTime_KeepCurrent_CountsAFieldLeftUnsetAtTheKernelsDefaultNotTheGettersNeverWritten()
    {
        // A socket nobody configured keeps the kernel's 7200 s idle time, 75 s interval and 9 probes on Linux: the getters'
        // 30 s, 10 s and 3 are never written with KeepCurrent, so counting them promised a dead peer found after 1 min.
        var linux = KeepAliveCapabilities.For(KeepAlivePlatform.Linux);
        var nothingSet = new TcpKeepAliveOptions { UnsetValues = TcpKeepAliveUnsetValues.KeepCurrent };
        var idleSet = new TcpKeepAliveOptions { UnsetValues = TcpKeepAliveUnsetValues.KeepCurrent, IdleTime = TimeSpan.FromSeconds(30) };

        nothingSet.GetDeadPeerDetectionTime(linux).Should().Be(TimeSpan.FromSeconds(7200 + (9 * 75)));
        idleSet.GetDeadPeerDetectionTime(linux).Should().Be(TimeSpan.FromSeconds(30 + (9 * 75)), "the idle time is written, the interval and count are the socket's");
        idleSet.GetDeadPeerDetectionTime(KeepAliveCapabilities.For(KeepAlivePlatform.MacOS)).Should().Be(TimeSpan.FromSeconds(30 + (8 * 75)), "macOS probes 8 times by default");
    }
}
