using System.Net;
using System.Net.Sockets;
using KeepAlive.Net.Tcp;
using KeepAlive.Net.Tests.TestSupport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace KeepAlive.Net.Tests.Tcp;

/// <summary>The report says what the kernel does: user timeout versus probe count, read-back status, exact requests, kept fields.</summary>
public sealed class KeepAliveReportTruthTests
{
    public KeepAliveReportTruthTests() => TestEnvironment.RequireLinux();

    [Fact]
    public void ConfigureKeepAlive_UserTimeoutAboveProbes_ProbeCountOverriddenDeadPeerTimeFromUserTimeoutAndWarned()
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        var logger = new FakeLogger();

        var settings = socket.ConfigureKeepAlive(Options(1, 1, 2, TimeSpan.FromSeconds(10)), logger);

        settings.DeadPeerDetectionTime.Should().Be(TimeSpan.FromSeconds(10), "Linux ignores TCP_KEEPCNT when TCP_USER_TIMEOUT is set");
        settings.DeadPeerDetectionTimeWithDataInFlight.Should().Be(TimeSpan.FromSeconds(10));
        var probes = settings.GetReport(KeepAliveOption.ProbeCount)!;
        probes.Status.Should().Be(KeepAliveOptionStatus.Overridden);
        probes.Effective.Should().Be(2, "the count is written and read back; it just is not used");
        probes.Reason.Should().Contain("Overridden by the user timeout").And.Contain("after 10s, not after 3s").And.Contain("Fix: set UserTimeout slightly below 3s");
        settings.HasAdjustments.Should().BeTrue();
        logger.Collector.GetSnapshot().Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.KeepAliveOptionNotAsWritten && r.Level == LogLevel.Warning)
            .Which.Message.Should().Contain("ProbeCount").And.Contain("Overridden");
    }

    [Fact]
    public void ConfigureKeepAlive_UserTimeoutBelowIdle_KernelEndsAtFirstProbeAfterIt()
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);

        var settings = socket.ConfigureKeepAlive(Options(30, 10, 3, TimeSpan.FromSeconds(15)));

        settings.DeadPeerDetectionTime.Should().Be(TimeSpan.FromSeconds(40), "one probe must be out: idle + one interval");
        settings.GetReport(KeepAliveOption.ProbeCount)!.Status.Should().Be(KeepAliveOptionStatus.Overridden);
        settings.GetReport(KeepAliveOption.ProbeCount)!.Reason.Should().NotContain("Fix:", "a user timeout below idle + interval x probes is the recommended shape");
    }

    [Fact]
    public void ConfigureKeepAlive_DerivedUserTimeout_ProbeCountAppliedAndBothTimesReported()
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);

        var settings = socket.ConfigureKeepAlive(new TcpKeepAliveOptions());

        settings.GetReport(KeepAliveOption.ProbeCount)!.Status.Should().Be(KeepAliveOptionStatus.Applied, "the derived user timeout ends at the same probe");
        settings.DeadPeerDetectionTime.Should().Be(TimeSpan.FromSeconds(60));
        settings.DeadPeerDetectionTimeWithDataInFlight.Should().Be(TimeSpan.FromSeconds(55));
        new TcpKeepAliveOptions { IdleTime = TimeSpan.FromSeconds(1), Interval = TimeSpan.FromSeconds(1), ProbeCount = 2, UserTimeout = TimeSpan.FromSeconds(10) }
            .GetDeadPeerDetectionTime().Should().Be(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void ConfigureKeepAlive_UserTimeoutWithAFractionOfAMillisecond_ReportsExactRequestAndAppliedValue()
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);

        var report = socket.ConfigureKeepAlive(new TcpKeepAliveOptions { UserTimeout = TimeSpan.FromMilliseconds(1000.5) }).GetReport(KeepAliveOption.UserTimeout)!;

        report.Status.Should().Be(KeepAliveOptionStatus.Rounded);
        report.RequestedTime.Should().Be(TimeSpan.FromMilliseconds(1000.5));
        report.EffectiveTime.Should().Be(TimeSpan.FromMilliseconds(1000));
        report.Reason.Should().Contain("TCP_USER_TIMEOUT takes whole milliseconds: 1s500us rounded down to 1s", "durations are written as in the idle time's and interval's rounding reasons");
    }

    [Fact]
    public void GetDeadPeerDetectionTime_UserTimeoutWithAFractionOfAMillisecond_MatchesWhatTheKernelIsGiven()
    {
        // TCP_USER_TIMEOUT takes whole milliseconds and 3 s + 0.5 ms is written as 3 s, so the kernel resets at the probe at
        // 1 s + 2 x 1 s = 3 s; counting the half millisecond promised the next probe, 4 s.
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        var options = Options(1, 1, 9, TimeSpan.FromMilliseconds(3000.5));

        var settings = socket.ConfigureKeepAlive(options);

        settings.DeadPeerDetectionTime.Should().Be(TimeSpan.FromSeconds(3));
        options.GetDeadPeerDetectionTime().Should().Be(settings.DeadPeerDetectionTime!.Value, "the prediction counts the user timeout as ConfigureKeepAlive writes it");
    }

    [Fact]
    public void ConfigureKeepAlive_IdleTimeJustOverAWholeSecond_ReasonShowsTheRequestedValueInFull()
    {
        // Shown to three decimals, 1 s and 400 ns read "1 s rounded down to 1 s": a rounding that rounded nothing.
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);

        var report = socket.ConfigureKeepAlive(new TcpKeepAliveOptions { IdleTime = TimeSpan.FromSeconds(1) + TimeSpan.FromTicks(4) }).GetReport(KeepAliveOption.IdleTime)!;

        report.Status.Should().Be(KeepAliveOptionStatus.Rounded);
        report.Reason.Should().Contain("1s0.4us rounded down to 1s");
    }

    [Fact]
    public void ConfigureKeepAlive_RoundedByLessThanAMillisecond_TheWarningShowsTheRequestInFull()
    {
        // The warning printed the request in whole milliseconds: "IdleTime was rounded on Linux: requested 1 s, effective 1 s".
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        var logger = new FakeLogger();

        socket.ConfigureKeepAlive(new TcpKeepAliveOptions { IdleTime = TimeSpan.FromSeconds(1) + TimeSpan.FromTicks(4), UserTimeout = TimeSpan.FromMilliseconds(1000.5) }, logger);

        var rounded = logger.Collector.GetSnapshot().Where(r => r.Id.Id == KeepAliveEventIds.KeepAliveOptionRounded).Select(r => r.Message).ToList();
        rounded.Should().HaveCount(2);
        rounded.Should().ContainSingle(m => m.Contains("IdleTime")).Which.Should().Contain("requested 1s0.4us, effective 1s");
        rounded.Should().ContainSingle(m => m.Contains("UserTimeout")).Which.Should().Contain("requested 1s500us, effective 1s");
    }

    [Fact]
    public void ConfigureKeepAlive_RaisedRoundedOverriddenAndDerived_EveryDurationInTheReportsReadsBack()
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var derived = new Socket(SocketType.Stream, ProtocolType.Tcp);

        // Linux counts whole seconds: 1.5 s is rounded down to 1 s; 10.0005 s of user timeout is rounded to the millisecond
        // and overrides the probe count (idle + interval x 2 = 3 s). A platform counting in steps of 2 s raises 1.5 s to 2 s.
        var settings = socket.ConfigureKeepAlive(new TcpKeepAliveOptions
        {
            IdleTime = TimeSpan.FromSeconds(1),
            Interval = TimeSpan.FromMilliseconds(1500),
            ProbeCount = 2,
            UserTimeout = TimeSpan.FromMilliseconds(10_000.5),
        });
        var withDerived = derived.ConfigureKeepAlive(new TcpKeepAliveOptions { IdleTime = TimeSpan.FromSeconds(90), Interval = TimeSpan.FromSeconds(1.5), ProbeCount = 2 });

        var raised = KeepAlivePlan.Create(new TcpKeepAliveOptions { IdleTime = TimeSpan.FromMilliseconds(1500) }, KeepAliveCapabilities.For(KeepAlivePlatform.Linux) with { TimeResolution = TimeSpan.FromSeconds(2) }).Idle.Reason;

        string[] texts = [raised!, settings.ToString(), .. settings.Options.Select(static o => o.ToString()), withDerived.ToString(), .. withDerived.Options.Select(static o => o.ToString())];
        var all = string.Join("\n", texts);

        all.Should().Contain("raised to").And.Contain("rounded down to").And.Contain("Overridden by the user timeout").And.Contain("derived slightly below", "each kind of reason is checked");
        DurationText.Durations(all).Should().HaveCountGreaterThan(10, "the reports are full of durations");
        DurationText.NotReadBack(all).Should().BeEmpty("every duration is written as the configuration reads it, in:\n{0}", all);
        all.Should().Contain("1s500ms is below Linux's minimum; raised to 2s").And.Contain("1s500ms rounded down to 1s").And.Contain("10s500us rounded down to 10s")
            .And.Contain("Fix: set UserTimeout slightly below 3s").And.Contain("(1m32s)", "idle + interval x probes of the derived user timeout, in the largest units");
    }

    [Fact]
    public void ConfigureKeepAlive_KeepCurrent_UnsetFieldsKeepTheSocketsValues()
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        socket.ConfigureKeepAlive(Options(45, 9, 7, TimeSpan.FromSeconds(20)));

        var settings = socket.ConfigureKeepAlive(new TcpKeepAliveOptions { UnsetValues = TcpKeepAliveUnsetValues.KeepCurrent, Interval = TimeSpan.FromSeconds(3) });

        settings.IdleTime.Should().Be(TimeSpan.FromSeconds(45));
        settings.Interval.Should().Be(TimeSpan.FromSeconds(3));
        settings.ProbeCount.Should().Be(7);
        settings.UserTimeout.Should().Be(TimeSpan.FromSeconds(20));
        settings.GetReport(KeepAliveOption.IdleTime)!.Status.Should().Be(KeepAliveOptionStatus.NotChanged);
        settings.GetReport(KeepAliveOption.IdleTime)!.Reason.Should().Contain("keeps its current value");
        socket.ConfigureKeepAlive(new TcpKeepAliveOptions { Interval = TimeSpan.FromSeconds(3) }).IdleTime
            .Should().Be(TimeSpan.FromSeconds(30), "the default mode writes the library's defaults for unset fields");
    }

    [Fact]
    public async Task ConfigureKeepAlive_KeepCurrentOnAcceptedSocket_KeepsWhatItInheritedFromTheListener()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.ConfigureKeepAlive(Options(41, 5, 6, null));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!, TestContext.Current.CancellationToken);
        using var accepted = await listener.AcceptAsync(TestContext.Current.CancellationToken);

        var settings = accepted.ConfigureKeepAlive(new TcpKeepAliveOptions { UnsetValues = TcpKeepAliveUnsetValues.KeepCurrent, ProbeCount = 2 });

        settings.IdleTime.Should().Be(TimeSpan.FromSeconds(41));
        settings.Interval.Should().Be(TimeSpan.FromSeconds(5));
        settings.ProbeCount.Should().Be(2);
    }

    [Fact]
    public async Task ConfigureKeepAlive_AnotherWriterOnTheSameSocket_StatusFollowsTheReadBack()
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        var reports = new List<KeepAliveOptionReport>();
        using var stop = new CancellationTokenSource();
        using var writing = new ManualResetEventSlim();
        // Someone else's code setting the same option on the same socket, as fast as it can: on a thread of its own, since a
        // pool thread may not run at all within the window while the rest of the suite loads a 2-core machine (in one CI run
        // 11,733 reports saw no other write).
        var writer = new Thread(() =>
        {
            writing.Set();
            while (!stop.IsCancellationRequested)
            {
                socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 20);
            }
        }) { IsBackground = true, Name = "other writer" };
        writer.Start();
        writing.Wait(TestContext.Current.CancellationToken);
        stop.CancelAfter(TimeSpan.FromSeconds(15));
        var options = new TcpKeepAliveOptions { IdleTime = TimeSpan.FromSeconds(10) };
        while (!stop.IsCancellationRequested && reports.Count(r => r.Effective != r.Requested) < 20)
        {
            reports.Add(socket.ConfigureKeepAlive(options).GetReport(KeepAliveOption.IdleTime)!);
        }

        await stop.CancelAsync();
        writer.Join();

        var differing = reports.Where(r => r.Effective != r.Requested).ToList();
        TestContext.Current.TestOutputHelper!.WriteLine($"{reports.Count} reports, {differing.Count} read back a value other than the one written");
        TestEnvironment.Require(differing.Count > 0, "the other writer never got between a write and its read-back on this machine");
        differing.Should().OnlyContain(r => r.Status == KeepAliveOptionStatus.ReadBackDiffers && r.Effective == 20_000 && r.Reason!.Contains("another thread"),
            "a value other than the one written is never reported as applied");
        // Every report may differ when the other writer wins every race (it did in one CI run): no applied one is fine then.
        reports.Where(r => r.Status == KeepAliveOptionStatus.Applied && r.Effective != 10_000).Should().BeEmpty("an applied report carries the value written");
    }

    [Fact]
    public void Validate_KeepCurrentWithOneTimeOnWindowsBefore1709_RefusedWithFix()
    {
        var options = new TcpKeepAliveOptions { UnsetValues = TcpKeepAliveUnsetValues.KeepCurrent, IdleTime = TimeSpan.FromSeconds(20) };

        var errors = TcpKeepAliveValidator.Validate(options, KeepAliveCapabilities.For(KeepAlivePlatform.WindowsLegacy));

        errors.Should().ContainSingle().Which.Message.Should().Contain("SIO_KEEPALIVE_VALS").And.Contain("Fix: set both");
        TcpKeepAliveValidator.Validate(options, KeepAliveCapabilities.For(KeepAlivePlatform.Linux)).Should().BeEmpty();
    }

    private static TcpKeepAliveOptions Options(int idle, int interval, int count, TimeSpan? userTimeout) => new()
    {
        IdleTime = TimeSpan.FromSeconds(idle),
        Interval = TimeSpan.FromSeconds(interval),
        ProbeCount = count,
        UserTimeout = userTimeout,
    };
}
