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

        await Task.Delay(TimeSpan.FromSeconds(1.5), TestContext.Current.CancellationToken);
        RunOnThreads(i =>
        {
            registrations[i].Dispose();
            slots[i].SendsAtDispose = Volatile.Read(ref slots[i].Sends);
        });

        scheduler.RegistrationCount.Should().Be(0);
        var afterDispose = slots.Select(s => Volatile.Read(ref s.Sends)).ToArray();
        await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);

        for (var i = 0; i < Registrations; i++)
        {
            var slot = slots[i];
            slot.Errors.Should().BeEmpty();
            slot.Sends.Should().BeGreaterThanOrEqualTo(1, "every registration gets its heartbeats");
            slot.Sends.Should().BeLessThanOrEqualTo(slot.SendsAtDispose + 1, "at most a send already started when Dispose was called may finish");
            slot.Sends.Should().Be(afterDispose[i], "no heartbeat starts after Dispose returned");
            var statistics = registrations[i].GetStatistics();
            (statistics.Sent + statistics.Failed).Should().Be(slot.Sends, "every started heartbeat is accounted for once");
        }

        slots.Sum(s => (long)s.Sends).Should().BeGreaterThanOrEqualTo(Registrations * 3L, "1.5 s at 250 ms gives each registration about 5 heartbeats");
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
        private long _lastSequence;

        public ConcurrentQueue<string> Errors { get; } = new();

        public ValueTask Send(HeartbeatContext context)
        {
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
}
