using System.Diagnostics;
using System.Collections.Concurrent;

namespace KeepAlive.Net.Tests.Heartbeats;

/// <summary>Real time: many threads registering and disposing at once.</summary>
public sealed class ConcurrencyTests
{
    private const int Registrations = 10_000;
    private const int Threads = 8;
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    [Fact]
    public async Task RegisterAndDispose_10000FromManyThreads_NoLostOrDuplicatedHeartbeatAndNoSendAfterDispose()
    {
        await using var scheduler = new HeartbeatScheduler();
        var slots = Enumerable.Range(0, Registrations).Select(_ => new Slot()).ToArray();
        var registrations = new HeartbeatRegistration[Registrations];
        var options = new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = Interval, Jitter = TimeSpan.FromMilliseconds(50) };

        RunOnThreads(i => registrations[i] = scheduler.Register(options, slots[i].Send));
        scheduler.RegistrationCount.Should().Be(Registrations);

        // Until every registration has had three heartbeats (about 0.75 s at 250 ms; the bound only stops a broken engine).
        var deadline = Stopwatch.StartNew();
        while (slots.Any(s => Volatile.Read(ref s.Sends) < 3) && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        slots.Where(s => Volatile.Read(ref s.Sends) < 3).Should().BeEmpty("every registration gets its heartbeats: 3 were due within 1 s");
        RunOnThreads(i =>
        {
            registrations[i].Dispose();
            slots[i].SendsAtDispose = Volatile.Read(ref slots[i].Sends);
            Volatile.Write(ref slots[i].Disposed, true);
        });

        scheduler.RegistrationCount.Should().Be(0);
        var afterDispose = slots.Select(s => Volatile.Read(ref s.Sends)).ToArray();
        await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);

        for (var i = 0; i < Registrations; i++)
        {
            var slot = slots[i];
            slot.Errors.Should().BeEmpty("no heartbeat is lost, duplicated, early, or started after Dispose returned");
            slot.Sends.Should().BeLessThanOrEqualTo(slot.SendsAtDispose + 1, "at most a send already started when Dispose was called may finish");
            slot.Sends.Should().BeLessThanOrEqualTo(afterDispose[i] + 1, "at most a send already started when Dispose returned may finish");
            var statistics = registrations[i].GetStatistics();
            (statistics.Sent + statistics.Failed).Should().Be(slot.Sends, "every started heartbeat is accounted for once");
        }
    }

    private static void RunOnThreads(Action<int> action)
    {
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            for (var i = t; i < Registrations; i += Threads)
            {
                action(i);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
    }

    private sealed class Slot
    {
        public int Sends;
        public int SendsAtDispose;
        public bool Disposed; // set once Dispose has returned
        private long _lastSequence;

        public ConcurrentQueue<string> Errors { get; } = new();

        public ValueTask Send(HeartbeatContext context)
        {
            if (Volatile.Read(ref Disposed))
            {
                Errors.Enqueue($"heartbeat {context.SequenceNumber} started after Dispose returned");
            }

            if (context.SequenceNumber != _lastSequence + 1)
            {
                Errors.Enqueue($"sequence {context.SequenceNumber} after {_lastSequence}: lost or duplicated");
            }

            if (context.StartTimestamp < context.DueTimestamp)
            {
                Errors.Enqueue("started before due");
            }

            _lastSequence = context.SequenceNumber;
            Interlocked.Increment(ref Sends);
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task AsynchronousSends_NextHeartbeatCompletesWhileThePreviousCompletionStillPostsItsKey_NothingThrows()
    {
        // An asynchronous send's completion posts its next key from a list kept per registration; once the key is posted the
        // next heartbeat may start and, if it completes asynchronously on another thread, it filled that same list while the
        // first completion was still enumerating it: InvalidOperationException "Collection was modified" out of whatever
        // thread completed the send (here the application's, ending a message behind which a heartbeat waited: 34 in 15 s).
        var ct = TestContext.Current.CancellationToken;
        await using var scheduler = new HeartbeatScheduler();
        var failures = new ConcurrentQueue<Exception>();
        var writers = Enumerable.Range(0, 4).Select(_ => Task.Run(
            async () =>
            {
                await using var stream = new HeartbeatStream(new YieldingWriteStream());
                stream.RegisterHeartbeat(scheduler, "P"u8.ToArray(), new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = TimeSpan.FromMilliseconds(1), Spread = TimeSpan.Zero });
                var end = Stopwatch.GetTimestamp() + (5 * Stopwatch.Frequency);
                while (Stopwatch.GetTimestamp() < end)
                {
                    try
                    {
                        using var message = stream.BeginMessage();
                        message.Stream.Write("ab"u8);
                        Thread.SpinWait(2000); // a heartbeat falls due during the message and waits for it
                    }
                    catch (InvalidOperationException e)
                    {
                        failures.Enqueue(e);
                    }
                }
            },
            ct)).ToArray();

        await Task.WhenAll(writers);

        failures.Should().BeEmpty();
    }

    [Fact]
    public async Task Register_RacingTheSchedulersDispose_ThrowsObjectDisposedAndCountsNoRegistration()
    {
        // The order forced: Register has passed its disposed check when Dispose runs and returns, then Register ends.
        using var telemetry = new TestTelemetry();
        using var gauge = telemetry.Collect<long>("keepalive.heartbeat.registrations");
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var clock = new PausingClock();
        var scheduler = new HeartbeatScheduler(clock, null, telemetry, null, startThreads: false);
        var registering = Task.Run(() =>
        {
            clock.PauseOn(Environment.CurrentManagedThreadId, entered, release);
            return scheduler.Register(new HeartbeatOptions(), _ => ValueTask.CompletedTask);
        }, TestContext.Current.CancellationToken);
        entered.Wait(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken).Should().BeTrue();

        scheduler.Dispose();
        release.Set();

        await registering.Invoking(async r => await r).Should().ThrowAsync<ObjectDisposedException>("the scheduler was disposed before the registration was made: it would never send")
            .WithMessage("*disposed*nothing was registered. Fix:*");
        scheduler.RegistrationCount.Should().Be(0, "a disposed scheduler has no live registration");
        gauge.GetMeasurementSnapshot().Sum(m => m.Value).Should().Be(0, "the refused registration is not left counted as live in the keepalive.heartbeat.registrations gauge");
    }

    [Fact]
    public void Name_ReadWhileTheLoopFreesTheSlotAndAnotherRegistrationTakesIt_AlwaysTheRegistrationsOwnName()
    {
        // A PeerDead or Delayed handler (or any thread) reading Name while the loop frees the ended registration's slot: it
        // read "" (the slot no longer its own, its last name not kept yet), within about a thousand cycles.
        using var manual = new ManualScheduler();
        var mine = new HeartbeatOptions { Name = "mine", Interval = ManualScheduler.Second };
        var other = new HeartbeatOptions { Name = "other", Interval = ManualScheduler.Second * 2 };
        var wrong = new ConcurrentQueue<string>();
        HeartbeatRegistration? current = null;
        var stop = false;
        var reader = new Thread(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                try
                {
                    if (Volatile.Read(ref current)?.Name is { } name && name != "mine")
                    {
                        wrong.Enqueue($"'{name}'");
                    }
                }
                catch (Exception exception)
                {
                    wrong.Enqueue(exception.GetType().Name);
                }
            }
        });
        reader.Start();
        var cycles = Stopwatch.StartNew();
        for (var i = 0; i < 5000 && wrong.IsEmpty && cycles.Elapsed < TimeSpan.FromSeconds(4); i++)
        {
            var registration = manual.Scheduler.Register(mine, _ => ValueTask.CompletedTask);
            Volatile.Write(ref current, registration);
            Thread.SpinWait(50);
            registration.Dispose();
            manual.Scheduler.RunDue(); // the loop frees its slot
            manual.Scheduler.Register(other, _ => ValueTask.CompletedTask).Dispose(); // which another registration takes
            manual.Scheduler.RunDue();
        }

        Volatile.Write(ref stop, true);
        reader.Join();
        wrong.Should().BeEmpty("a registration's Name is its own, before and after its slot is freed");
    }

    [Fact]
    public async Task RegistrationDispose_RacingTheSchedulersDispose_CountNeverGoesNegative()
    {
        // The order forced: the registration's Dispose has passed its check (it is cancelling its send in flight) when the
        // scheduler's Dispose counts every registration out; then the registration's Dispose ends.
        using var harness = new ManualScheduler();
        using var gauge = harness.Telemetry.Collect<long>("keepalive.heartbeat.registrations");
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var token = CancellationToken.None;
        var registration = harness.Scheduler.Register(new HeartbeatOptions { Interval = ManualScheduler.Second }, context =>
        {
            token = context.CancellationToken;
            return new ValueTask(new TaskCompletionSource().Task);
        });
        harness.Step(ManualScheduler.Second, ManualScheduler.Tick);
        using var pause = token.Register(() =>
        {
            entered.Set();
            release.Wait();
        });
        var disposing = Task.Run(registration.Dispose, TestContext.Current.CancellationToken);
        entered.Wait(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken).Should().BeTrue();

        harness.Scheduler.Dispose();
        release.Set();
        await disposing;

        harness.Scheduler.RegistrationCount.Should().Be(0, "each registration is counted out once, by whichever Dispose came first");
        gauge.GetMeasurementSnapshot().Sum(m => m.Value).Should().Be(0, "the keepalive.heartbeat.registrations gauge counts it out once too");
    }

    /// <summary>A connection whose asynchronous writes complete on the thread pool, after a yield.</summary>
    private sealed class YieldingWriteStream : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => await Task.Yield();
    }
}
