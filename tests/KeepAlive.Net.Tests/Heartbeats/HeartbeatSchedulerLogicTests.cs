using KeepAlive.Net.Heartbeats;
using static KeepAlive.Net.Tests.Heartbeats.ManualScheduler;

namespace KeepAlive.Net.Tests.Heartbeats;

public sealed class HeartbeatSchedulerLogicTests
{
    [Fact]
    public void Register_FixedRate_NeverStartsBeforeDue()
    {
        using var harness = new ManualScheduler();
        var recorder = new Recorder();
        var registeredAt = harness.Time.GetTimestamp();
        using var registration = harness.Scheduler.Register(new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = Second }, recorder.Send);

        harness.Step(TimeSpan.FromMilliseconds(990), Tick);
        recorder.Count.Should().Be(0, "the first heartbeat is due one interval after registration");

        harness.Step(TimeSpan.FromMilliseconds(4010), Tick);
        recorder.Count.Should().Be(5);
        var calls = recorder.Calls.ToArray();
        for (var i = 0; i < calls.Length; i++)
        {
            calls[i].StartTimestamp.Should().BeGreaterThanOrEqualTo(calls[i].DueTimestamp);
            harness.Time.GetElapsedTime(registeredAt, calls[i].DueTimestamp).Should().Be(Second * (i + 1));
            calls[i].SequenceNumber.Should().Be(i + 1);
        }
    }

    [Fact]
    public void RunDue_AfterStall_SendsOneHeartbeatAndCountsSkipped()
    {
        using var harness = new ManualScheduler();
        var recorder = new Recorder();
        using var skipped = harness.Telemetry.Collect<long>("keepalive.heartbeat.skipped");
        using var registration = harness.Scheduler.Register(new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = Second }, recorder.Send);

        harness.Jump(TimeSpan.FromSeconds(10.5)).Should().Be(1, "a stall must not be followed by a burst");
        recorder.Count.Should().Be(1);
        registration.GetStatistics().Skipped.Should().Be(9);
        skipped.GetMeasurementSnapshot().Sum(m => m.Value).Should().Be(9);
        harness.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSkipped).Should().ContainSingle();

        // Re-based: the next one is due one interval after the late send, not on the old grid.
        harness.Step(TimeSpan.FromMilliseconds(990), Tick);
        recorder.Count.Should().Be(1);
        harness.Step(TimeSpan.FromMilliseconds(20), Tick);
        recorder.Count.Should().Be(2);
        recorder.Calls.Last().Lateness.Should().BeLessThan(Tick * 2);
    }

    [Fact]
    public void MarkActivity_WhenIdleMode_PostponesHeartbeat()
    {
        using var harness = new ManualScheduler();
        var recorder = new Recorder();
        using var registration = harness.Scheduler.Register(new HeartbeatOptions { Mode = HeartbeatMode.WhenIdle, Interval = Second }, recorder.Send);

        for (var i = 0; i < 10; i++)
        {
            harness.Step(TimeSpan.FromMilliseconds(500), Tick);
            registration.MarkActivity();
        }

        recorder.Count.Should().Be(0, "the connection was never idle for a whole interval");
        var lastActivity = harness.Time.GetTimestamp();

        harness.Step(TimeSpan.FromMilliseconds(990), Tick);
        recorder.Count.Should().Be(0);
        harness.Step(TimeSpan.FromMilliseconds(20), Tick);
        recorder.Count.Should().Be(1);
        harness.Time.GetElapsedTime(lastActivity, recorder.Calls.Single().StartTimestamp).Should().BeGreaterThanOrEqualTo(Second);
    }

    [Fact]
    public void MarkActivity_WhenIdleThenAStall_LatenessCountedFromOneIntervalAfterTheActivity()
    {
        // Sent data at 0.9 s: the idle heartbeat is due at 1.9 s. The scheduler stalls from 0.9 s to 3 s (a paused process).
        using var harness = new ManualScheduler();
        var recorder = new Recorder();
        using var registration = harness.Scheduler.Register(new HeartbeatOptions { Mode = HeartbeatMode.WhenIdle, Interval = Second }, recorder.Send);
        harness.Step(TimeSpan.FromMilliseconds(900), Tick);
        registration.MarkActivity();
        var activity = harness.Time.GetTimestamp();

        harness.Jump(TimeSpan.FromMilliseconds(2100));

        var heartbeat = recorder.Calls.Should().ContainSingle().Subject;
        harness.Time.GetElapsedTime(activity, heartbeat.DueTimestamp).Should().Be(Second, "WhenIdle: due one interval after the last activity");
        heartbeat.Lateness.Should().Be(TimeSpan.FromMilliseconds(1100), "the connection was silent 2.1 s: one interval and 1.1 s of lateness, not 2 s");
        registration.GetStatistics().Should().Match<HeartbeatStatistics>(s => s.Skipped == 1 && s.LastLateness == TimeSpan.FromMilliseconds(1100));
    }

    [Fact]
    public void MarkActivity_FixedRateMode_DoesNotPostpone()
    {
        using var harness = new ManualScheduler();
        var recorder = new Recorder();
        using var registration = harness.Scheduler.Register(new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = Second }, recorder.Send);

        for (var i = 0; i < 6; i++)
        {
            harness.Step(TimeSpan.FromMilliseconds(500), Tick);
            registration.MarkActivity();
        }

        recorder.Count.Should().Be(3);
    }

    [Fact]
    public void Timeout_NoPeerActivity_RaisesPeerDeadExactlyOnce()
    {
        using var harness = new ManualScheduler();
        var events = new List<PeerDeadEventArgs>();
        using var registration = harness.Scheduler.Register(
            new HeartbeatOptions { Interval = Second, Timeout = TimeSpan.FromSeconds(3), Name = "payments" }, new Recorder().Send);
        registration.PeerDead += (_, e) => events.Add(e);

        harness.Step(TimeSpan.FromSeconds(2), Tick);
        registration.MarkPeerActivity();
        harness.Step(TimeSpan.FromMilliseconds(2990), Tick);
        events.Should().BeEmpty("the peer was heard from 3 s ago at most");

        harness.Step(TimeSpan.FromSeconds(10), Tick);
        events.Should().ContainSingle();
        var dead = events[0];
        dead.Name.Should().Be("payments");
        dead.Timeout.Should().Be(TimeSpan.FromSeconds(3));
        dead.SilentFor.Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(3)).And.BeLessThan(TimeSpan.FromSeconds(3) + (Tick * 2));
        dead.Reason.Should().Contain("over the timeout of 3s");
        dead.Registration.Should().BeSameAs(registration);
        registration.GetStatistics().PeerDead.Should().BeTrue();
        harness.Telemetry.LogsWithId(KeepAliveEventIds.PeerDead).Should().ContainSingle();
    }

    [Fact]
    public void PeerDead_HandlerThrows_SchedulerCarriesOn()
    {
        using var harness = new ManualScheduler();
        var recorder = new Recorder();
        using var registration = harness.Scheduler.Register(new HeartbeatOptions { Interval = Second, Timeout = TimeSpan.FromSeconds(2) }, recorder.Send);
        registration.PeerDead += (_, _) => throw new InvalidOperationException("handler bug");

        harness.Step(TimeSpan.FromSeconds(5), Tick);

        harness.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatHandlerFailed).Should().ContainSingle();
        recorder.Count.Should().Be(5);
    }

    [Fact]
    public void PeerDead_FirstHandlerThrows_TheOthersStillRun()
    {
        // A handler that logs, subscribed before the one that closes the connection: its bug must not leave the dead
        // connection open. Each handler's exception is logged (2009) and the next handler runs.
        using var harness = new ManualScheduler();
        using var registration = harness.Scheduler.Register(new HeartbeatOptions { Interval = Second, Timeout = TimeSpan.FromSeconds(2) }, new Recorder().Send);
        var closed = 0;
        registration.PeerDead += (_, _) => throw new InvalidOperationException("first handler bug");
        registration.PeerDead += (_, _) => closed++;
        registration.PeerDead += (_, _) => throw new InvalidOperationException("third handler bug");

        harness.Step(TimeSpan.FromSeconds(5), Tick);

        closed.Should().Be(1, "the second handler of the event runs once although the first threw");
        harness.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatHandlerFailed).Should().HaveCount(2, "each handler that threw is logged");
    }

    [Fact]
    public void Dispose_Registration_StopsSends()
    {
        using var harness = new ManualScheduler();
        using var live = harness.Telemetry.Collect<long>("keepalive.heartbeat.registrations");
        var recorder = new Recorder();
        var registration = harness.Scheduler.Register(new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = Second }, recorder.Send);
        harness.Step(TimeSpan.FromSeconds(2), Tick);
        live.GetMeasurementSnapshot().Sum(m => m.Value).Should().Be(1);
        recorder.Count.Should().Be(2);
        harness.Scheduler.RegistrationCount.Should().Be(1);

        registration.Dispose();
        harness.Step(TimeSpan.FromSeconds(5), Tick);

        recorder.Count.Should().Be(2);
        harness.Scheduler.RegistrationCount.Should().Be(0);
        live.GetMeasurementSnapshot().Sum(m => m.Value).Should().Be(0);
        registration.Dispose(); // idempotent
        harness.Scheduler.RegistrationCount.Should().Be(0);
    }

    [Fact]
    public void Jitter_FixedRate_StaysInsideBound()
    {
        using var harness = new ManualScheduler();
        var recorder = new Recorder();
        var jitter = TimeSpan.FromMilliseconds(300);
        var registeredAt = harness.Time.GetTimestamp();
        using var registration = harness.Scheduler.Register(new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = Second, Jitter = jitter }, recorder.Send);

        harness.Step(TimeSpan.FromSeconds(40.5), Tick);

        recorder.Count.Should().Be(40);
        var offsets = recorder.Calls.Select((c, i) => harness.Time.GetElapsedTime(registeredAt, c.StartTimestamp) - (Second * (i + 1))).ToList();
        offsets.Should().OnlyContain(o => o >= TimeSpan.Zero && o <= jitter + Tick, "jitter only delays, by at most its bound");
        offsets.Max().Should().BeGreaterThan(Tick * 3, "jitter must actually spread the heartbeats");
        recorder.Calls.Should().OnlyContain(c => c.StartTimestamp >= c.DueTimestamp);
    }

    [Fact]
    public void AdjustTime_WallClockJump_IsNotDrift()
    {
        using var harness = new ManualScheduler();
        var recorder = new Recorder();
        using var registration = harness.Scheduler.Register(new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = Second }, recorder.Send);
        harness.Step(TimeSpan.FromSeconds(2), Tick);

        var wallClockBefore = harness.Clock.GetUtcNow();
        harness.Clock.AdjustTime(harness.Clock.GetUtcNow() + TimeSpan.FromHours(1));
        harness.Clock.GetUtcNow().Should().BeAfter(wallClockBefore + TimeSpan.FromMinutes(59));
        harness.Step(TimeSpan.FromSeconds(3), Tick);
        harness.Clock.AdjustTime(harness.Clock.GetUtcNow() - TimeSpan.FromHours(2));
        harness.Step(TimeSpan.FromSeconds(3), Tick);

        var statistics = registration.GetStatistics();
        statistics.Delayed.Should().Be(0);
        statistics.Skipped.Should().Be(0);
        statistics.MaxLateness.Should().BeLessThan(Tick * 2);
        recorder.Count.Should().Be(8);
    }

    [Fact]
    public void Register_AfterSchedulerDisposed_Throws()
    {
        var harness = new ManualScheduler();
        harness.Dispose();

        var act = () => harness.Scheduler.Register(new HeartbeatOptions(), new Recorder().Send);

        act.Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public void Register_ABurstAtOneInstant_FirstHeartbeatsSpreadNeverEarlyWithinTheBoundThenKeepTheirPhase()
    {
        using var harness = new ManualScheduler();
        var options = new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = ManualScheduler.Second, Spread = TimeSpan.FromMilliseconds(200) };
        var registered = harness.Time.GetTimestamp();
        var due = new List<long>[500];
        var registrations = Enumerable.Range(0, due.Length).Select(i =>
        {
            due[i] = [];
            return harness.Scheduler.Register(options, context =>
            {
                context.StartTimestamp.Should().BeGreaterThanOrEqualTo(context.DueTimestamp, "never early");
                due[i].Add(context.DueTimestamp);
                return ValueTask.CompletedTask;
            });
        }).ToList();

        harness.Step(TimeSpan.FromSeconds(2.5), TimeSpan.FromMilliseconds(1));

        var second = harness.Time.TimestampFrequency;
        var first = due.Select(d => d[0] - registered - second).ToList();
        first.Should().OnlyContain(offset => offset >= 0 && offset < second / 5, "spread only later, within the 200 ms bound");
        var unmoved = (int)(SchedulePolicy.HelpBudget / (2 * SchedulePolicy.InitialBeatCost)) + 1;
        first.Count(offset => offset == 0).Should().Be(unmoved, "only the first millisecond of work (at the assumed cost: nothing measured on a manual clock) is sent at the burst's instant");
        first.Where(offset => offset > 0).Should().OnlyHaveUniqueItems("the rest are spread: no two at one instant");
        due.Should().OnlyContain(d => d.Count == 2 && d[1] - d[0] == second, "FixedRate keeps the phase the spread gave it");
        registrations.ForEach(r => r.Dispose());
    }

    [Fact]
    public void Register_ABurstWithATimeoutAndAPeerAnsweringEveryHeartbeat_NoPeerDeclaredDeadBeforeItsFirstHeartbeatWasSent()
    {
        // A reconnect storm: the spread puts first heartbeats off by up to Spread, but the silence clock ran from the
        // registration, so with Timeout 1.05 s most peers were declared dead before their first heartbeat left.
        using var harness = new ManualScheduler();
        var options = new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = ManualScheduler.Second, Timeout = TimeSpan.FromMilliseconds(1050), Spread = TimeSpan.FromMilliseconds(500) };
        var dead = 0;
        var sent = 0;
        var registrations = new HeartbeatRegistration[5000];
        for (var i = 0; i < registrations.Length; i++)
        {
            var index = i;
            registrations[i] = harness.Scheduler.Register(options, _ =>
            {
                sent++;
                registrations[index].MarkPeerActivity(); // the peer answers at once
                return ValueTask.CompletedTask;
            });
            registrations[i].PeerDead += (_, _) => dead++;
        }

        harness.Step(TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(1));

        sent.Should().BeGreaterThanOrEqualTo(2 * registrations.Length, "every registration heartbeats");
        dead.Should().Be(0, "each peer answered every heartbeat: none was silent for its timeout once its first heartbeat had left");
        foreach (var registration in registrations)
        {
            registration.Dispose();
        }
    }

    [Fact]
    public void Register_ABurstWithATimeoutAndASilentPeer_StillDeclaredDeadWithinTimeoutPlusItsSpread()
    {
        using var harness = new ManualScheduler();
        var options = new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = ManualScheduler.Second, Timeout = TimeSpan.FromMilliseconds(1050), Spread = TimeSpan.FromMilliseconds(500) };
        var deadAfter = new List<TimeSpan>();
        var registered = harness.Time.GetTimestamp();
        var registrations = Enumerable.Range(0, 2000).Select(_ => harness.Scheduler.Register(options, _ => ValueTask.CompletedTask)).ToList();
        registrations.ForEach(r => r.PeerDead += (_, _) => deadAfter.Add(harness.Time.GetElapsedTime(registered)));

        harness.Step(TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(1));

        deadAfter.Should().HaveCount(registrations.Count, "a silent peer is still found");
        deadAfter.Should().OnlyContain(t => t <= TimeSpan.FromMilliseconds(1050 + 500 + 2), "within Timeout plus the spread that put its first heartbeat off");
        registrations.ForEach(r => r.Dispose());
    }

    [Fact]
    public void Dispose_FromInsideItsOwnCallback_Event2001SaysTheHeartbeatBeingSent()
    {
        // It said "stopped after 0 heartbeats" while the registration's statistics then said Sent = 1.
        using var harness = new ManualScheduler();
        HeartbeatRegistration? registration = null;
        registration = harness.Scheduler.Register(new HeartbeatOptions { Name = "once", Interval = ManualScheduler.Second }, _ =>
        {
            registration!.Dispose();
            return ValueTask.CompletedTask;
        });

        harness.Step(TimeSpan.FromSeconds(2), ManualScheduler.Tick);

        registration.GetStatistics().Sent.Should().Be(1);
        harness.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatUnregistered).Should().ContainSingle().Which.Message
            .Should().Be("Heartbeat 'once' stopped after 0 heartbeats, and one being sent (counted in its statistics if it completes)");
    }

    [Fact]
    public void Register_ABurstWithSpreadZero_AllDueTogether()
    {
        using var harness = new ManualScheduler();
        var options = new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = ManualScheduler.Second, Spread = TimeSpan.Zero };
        var due = new List<long>();
        var registrations = Enumerable.Range(0, 100).Select(_ => harness.Scheduler.Register(options, context =>
        {
            due.Add(context.DueTimestamp);
            return ValueTask.CompletedTask;
        })).ToList();

        harness.Step(TimeSpan.FromSeconds(1.5), TimeSpan.FromMilliseconds(1));

        due.Should().HaveCount(100).And.OnlyContain(d => d == due[0], "aligned heartbeats stay available to whoever asks for them");
        registrations.ForEach(r => r.Dispose());
    }

    [Fact]
    public void PeerDead_SendFailedForGoodAndTheHandlerReconnects_TheNewRegistrationIsNotEndedWithTheOld()
    {
        // The usual PeerDead handler: dispose the dead connection's registration, connect again, register the new one. The
        // loop frees the old slot meanwhile (here: RunDue, as the timer thread does while the handler connects), and the
        // new registration takes it.
        using var harness = new ManualScheduler();
        var pending = new TaskCompletionSource();
        var old = harness.Scheduler.Register(new HeartbeatOptions { Interval = Second }, _ => new ValueTask(pending.Task));
        var fresh = new Recorder();
        HeartbeatRegistration? reconnected = null;
        old.PeerDead += (_, e) =>
        {
            e.Registration.Dispose();
            harness.Scheduler.RunDue();
            reconnected = harness.Scheduler.Register(new HeartbeatOptions { Interval = Second }, fresh.Send);
        };
        harness.Step(Second, Tick);

        pending.SetException(new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionReset));
        harness.Step(TimeSpan.FromSeconds(3), Tick);

        reconnected.Should().NotBeNull();
        harness.Scheduler.RegistrationCount.Should().Be(1, "the reconnected registration is live; only the dead one ended");
        fresh.Count.Should().Be(3, "the new registration keeps sending");
        reconnected!.Dispose();
    }
}
