using System.Reflection;

namespace KeepAlive.Net.Tests.Heartbeats;

/// <summary>
/// A handle used on one thread while another disposes it and the loop gives its slot to a new registration: whatever the
/// old handle does lands on its own ended registration, never on the new one. Each race is forced into its bad order.
/// </summary>
public sealed class SlotReuseTests
{
    private static readonly TimeSpan Second = ManualScheduler.Second;
    private static readonly TimeSpan Tick = ManualScheduler.Tick;

    [Fact]
    public async Task MarkPeerActivity_OnAHandleDisposedMeanwhileAndItsSlotTakenByANewRegistration_DoesNotHideTheNewPeersSilence()
    {
        // The old handle's MarkPeerActivity had checked that the slot was its own when the connection was closed, the
        // slot freed and taken by a new connection's registration; the mark then landed in the new registration's slot,
        // restarting its liveness timer: a new peer that never answered was declared dead 2.5 s late.
        var clock = new PausingClock();
        using var scheduler = new HeartbeatScheduler(clock, null, null, null, startThreads: false);
        var old = scheduler.Register(Options("old", timeout: 3 * Second), _ => ValueTask.CompletedTask);
        var marking = PausedIn(clock, old.MarkPeerActivity, out var release);

        old.Dispose();
        scheduler.RunDue(); // the loop frees the old registration's slot
        var fresh = scheduler.Register(Options("new", timeout: 3 * Second), _ => ValueTask.CompletedTask);
        var declaredDead = new List<TimeSpan>();
        var registered = clock.GetTimestamp();
        fresh.PeerDead += (_, _) => declaredDead.Add(clock.GetElapsedTime(registered));
        Step(clock, scheduler, 2.5 * Second);
        release.Set(); // the old handle's mark completes 2.5 s after the new registration was made
        await marking;
        Step(clock, scheduler, 1.5 * Second);

        declaredDead.Should().ContainSingle("the new registration's peer never answered: silent 4 s, over its 3 s timeout; a mark on the disposed old handle is not its peer speaking")
            .Which.Should().BeLessThanOrEqualTo(3 * Second + (2 * Tick));
        fresh.GetStatistics().PeerDead.Should().BeTrue();
    }

    [Fact]
    public async Task MarkActivity_OnAHandleDisposedMeanwhileAndItsSlotTakenByANewRegistration_DoesNotPostponeTheNewHeartbeat()
    {
        // As above, with the old connection's last write: its MarkActivity postponed the new idle connection's heartbeat
        // (WhenIdle) by half an interval.
        var clock = new PausingClock();
        using var scheduler = new HeartbeatScheduler(clock, null, null, null, startThreads: false);
        var old = scheduler.Register(Options("old"), _ => ValueTask.CompletedTask);
        var marking = PausedIn(clock, old.MarkActivity, out var release);

        old.Dispose();
        scheduler.RunDue();
        var sent = 0;
        var fresh = scheduler.Register(Options("new"), _ =>
        {
            sent++;
            return ValueTask.CompletedTask;
        });
        Step(clock, scheduler, 1.5 * Second);
        sent.Should().Be(1);
        release.Set(); // the old handle's mark completes between the new registration's first and second heartbeats
        await marking;
        Step(clock, scheduler, 0.7 * Second);

        sent.Should().Be(2, "nothing was written on the new idle connection: its second heartbeat is due 2 s after it was registered");
        fresh.GetStatistics().Sent.Should().Be(2);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void PeerDeadHandler_AddedToAHandleDisposedMeanwhile_NeverRunsForTheNewRegistrationInItsSlotNorHidesItsOwnHandler(bool newRegistrationFirst)
    {
        // Adding an event handler found the slot its own, then waited for the slot table; meanwhile the handle was disposed
        // and its slot freed. The handler went into the slot's extras anyway: the new registration that took the slot raised
        // the old connection's PeerDead handler (which closes the old connection: with the new one as sender), or, when the
        // handler was added while the slot was free, the new registration's own handlers were never raised at all.
        var clock = new PausingClock();
        using var scheduler = new HeartbeatScheduler(clock, null, null, null, startThreads: false);
        var old = scheduler.Register(Options("old", timeout: 3 * Second), _ => ValueTask.CompletedTask);
        var oldHandlerRan = new List<string>();
        var tableLock = SlotTableLock(scheduler);
        HeartbeatRegistration? fresh = null;

        tableLock.Enter();
        var adding = new Thread(() => old.PeerDead += (_, e) => oldHandlerRan.Add(e.Registration.Name));
        try
        {
            adding.Start();
            SpinWait.SpinUntil(() => (adding.ThreadState & ThreadState.WaitSleepJoin) != 0, TimeSpan.FromSeconds(10))
                .Should().BeTrue("the handler's add waits for the slot table, past its check that the slot is the handle's");
            old.Dispose();
            scheduler.RunDue(); // the loop frees the slot (the test thread holds the table's lock: it is reentrant)
            if (newRegistrationFirst)
            {
                fresh = scheduler.Register(Options("new", timeout: 3 * Second), _ => ValueTask.CompletedTask);
            }
        }
        finally
        {
            tableLock.Exit();
        }

        adding.Join();
        fresh ??= scheduler.Register(Options("new", timeout: 3 * Second), _ => ValueTask.CompletedTask);
        var newHandlerRan = 0;
        fresh.PeerDead += (_, _) => newHandlerRan++;
        Step(clock, scheduler, 4 * Second);

        fresh.GetStatistics().PeerDead.Should().BeTrue("the new peer never answered");
        newHandlerRan.Should().Be(1, "the new registration's own PeerDead handler is raised");
        oldHandlerRan.Should().BeEmpty("a handler added to the disposed old handle belongs to the old connection");
    }

    [Fact]
    public void ReportSendStarted_OnAContextKeptPastItsHeartbeat_DoesNotMeasureTheHeartbeatRunningNow()
    {
        // A callback that hands its send to a task and returns at once marks the send's start when that task runs: run
        // during the registration's next heartbeat (or, its slot freed and taken, another registration's), the old
        // context's mark measured that heartbeat, 300 ms late although it started on time.
        using var manual = new ManualScheduler();
        HeartbeatContext? first = null;
        var registration = manual.Scheduler.Register(new HeartbeatOptions { Interval = Second, Spread = TimeSpan.Zero }, context =>
        {
            if (first is { } earlier)
            {
                manual.Time.Advance(TimeSpan.FromMilliseconds(300)); // the second heartbeat's own send takes a while
                earlier.ReportSendStarted(); // meanwhile the first heartbeat's task marks its start
            }
            else
            {
                first = context;
            }

            return ValueTask.CompletedTask;
        });

        manual.Step(2.5 * Second, Tick);

        var statistics = registration.GetStatistics();
        statistics.Sent.Should().Be(2);
        statistics.LastLateness.Should().BeLessThan(TimeSpan.FromMilliseconds(20), "the second heartbeat started on time; a mark through the first heartbeat's context is not its own");
    }

    [Fact]
    public void ManyCycles_AHandleUsedOnAnotherThreadWhileItIsDisposedAndItsSlotTaken_NeverTouchesTheNewRegistration()
    {
        // The races above left to real threads: a connection's reader and writer keep marking activity and adding handlers
        // on its handle while it is disposed, its slot freed and taken by the next connection's registration.
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        using var scheduler = new HeartbeatScheduler(clock, null, null, null, startThreads: false);
        var options = Options("conn", timeout: 3 * Second);
        HeartbeatRegistration? current = null;
        var stop = false;
        var oldHandlerRan = 0;
        var wrong = new List<string>();
        var user = new Thread(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                if (Volatile.Read(ref current) is { } registration)
                {
                    registration.MarkPeerActivity();
                    registration.MarkActivity();
                    registration.PeerDead += (_, _) => Interlocked.Increment(ref oldHandlerRan);
                }
            }
        });
        user.Start();
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        var cycles = 0;
        try
        {
            for (; cycles < 20_000 && wrong.Count == 0 && elapsed.Elapsed < TimeSpan.FromSeconds(2); cycles++)
            {
                var old = scheduler.Register(options, _ => ValueTask.CompletedTask);
                Volatile.Write(ref current, old);
                Thread.SpinWait(cycles % 200);
                old.Dispose();
                clock.Advance(TimeSpan.FromMilliseconds(1)); // the user's late marks carry an earlier time than the new registration's
                scheduler.RunDue(); // frees the slot
                var fresh = scheduler.Register(options, _ => ValueTask.CompletedTask);
                var registered = clock.GetTimestamp();
                Thread.SpinWait(200); // what the user thread started on the old handle lands meanwhile
                ref var slot = ref scheduler.SlotOf(fresh.Slot);
                if (Volatile.Read(ref slot.LastPeerActivity) != registered || Volatile.Read(ref slot.LastActivity) != registered)
                {
                    wrong.Add($"cycle {cycles}: the old handle's mark stamped the new registration's slot");
                }

                if (scheduler.FindExtras(fresh.Slot) is not null)
                {
                    wrong.Add($"cycle {cycles}: the old handle's handler went into the new registration's slot");
                }

                fresh.Dispose();
                scheduler.RunDue();
            }
        }
        finally
        {
            Volatile.Write(ref stop, true);
            user.Join();
        }

        wrong.Should().BeEmpty($"nothing done on a disposed handle reaches the registration that takes its slot ({cycles} cycles)");
        oldHandlerRan.Should().Be(0);
    }

    private static HeartbeatOptions Options(string name, TimeSpan? timeout = null) =>
        new() { Name = name, Interval = Second, Timeout = timeout, Spread = TimeSpan.Zero };

    // Runs call on a thread paused in its next clock read (the one that stamps the mark), until release is set.
    private static Task PausedIn(PausingClock clock, Action call, out ManualResetEventSlim release)
    {
        var entered = new ManualResetEventSlim();
        var go = new ManualResetEventSlim();
        release = go;
        var task = Task.Factory.StartNew(
            () =>
            {
                clock.PauseOn(Environment.CurrentManagedThreadId, entered, go);
                call();
            },
            TestContext.Current.CancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        entered.Wait(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken).Should().BeTrue("the call reads the clock");
        return task;
    }

    private static void Step(PausingClock clock, HeartbeatScheduler scheduler, TimeSpan total)
    {
        for (var elapsed = TimeSpan.Zero; elapsed < total; elapsed += Tick)
        {
            clock.Time.Advance(Tick);
            scheduler.RunDue();
        }
    }

    // The slot table's one lock, held by the test to stop a handler's add right where the race was.
    private static Lock SlotTableLock(HeartbeatScheduler scheduler)
    {
        const BindingFlags Private = BindingFlags.Instance | BindingFlags.NonPublic;
        var table = typeof(HeartbeatScheduler).GetField("_slots", Private)!.GetValue(scheduler)!;
        return (Lock)table.GetType().GetField("_lock", Private)!.GetValue(table)!;
    }
}
