using KeepAlive.Net.Heartbeats;

namespace KeepAlive.Net.Tests.Heartbeats;

public sealed class TimerQueueTests
{
    [Fact]
    public void TimerQueue_MillionEntriesWithStaleOnes_PopsInKeyOrderAndCompacts()
    {
        var queue = new TimerQueue();
        var random = new Random(42);
        var keys = new long[1_000_000];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = random.NextInt64(1, 1_000_000_000);
            queue.Push(keys[i], i);
        }

        // Every third entry goes stale, as when a registration is disposed or rescheduled.
        queue.Compact((key, slot) => slot % 3 != 0 && keys[slot] == key);
        queue.Count.Should().Be(keys.Length - ((keys.Length + 2) / 3));

        var previous = long.MinValue;
        var popped = 0;
        while (queue.TryPeek(out var key, out var slot))
        {
            key.Should().BeGreaterThanOrEqualTo(previous);
            (slot % 3).Should().NotBe(0);
            key.Should().Be(keys[slot]);
            previous = key;
            queue.Pop();
            popped++;
        }

        popped.Should().Be(keys.Length - ((keys.Length + 2) / 3));
    }

    [Fact]
    public void RunDue_StaleEntriesOfDisposedRegistrations_NeverFireTheSlotsNewOwner()
    {
        using var harness = new ManualScheduler();
        var old = new Recorder();
        var reuse = new Recorder();
        var first = harness.Scheduler.Register(new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = TimeSpan.FromSeconds(1) }, old.Send);
        harness.Scheduler.RunDue();
        first.Dispose();
        harness.Scheduler.RunDue(); // frees the slot
        harness.Time.Advance(TimeSpan.FromMilliseconds(100));
        using var second = harness.Scheduler.Register(new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = TimeSpan.FromSeconds(5) }, reuse.Send);

        harness.Step(TimeSpan.FromSeconds(4), ManualScheduler.Tick);
        reuse.Count.Should().Be(0, "the disposed registration's entry (due at 1 s) must not fire the slot's new owner (due at 5.1 s)");
        old.Count.Should().Be(0);
        harness.Step(TimeSpan.FromSeconds(1.2), ManualScheduler.Tick);
        reuse.Count.Should().Be(1);
        reuse.Calls.Single().StartTimestamp.Should().BeGreaterThanOrEqualTo(reuse.Calls.Single().DueTimestamp);
    }

    [Fact]
    public void RunDue_SteadyState_AllocatesNothingPerHeartbeat()
    {
        using var harness = new ManualScheduler();
        var registrations = Enumerable.Range(0, 1000)
            .Select(i => harness.Scheduler.Register(new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = TimeSpan.FromSeconds(1) }, static _ => ValueTask.CompletedTask))
            .ToList();
        harness.Step(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(1)); // warm up
        var step = TimeSpan.FromSeconds(1);

        long allocated = 0;
        var fired = 0;
        for (var i = 0; i < 5; i++)
        {
            harness.Time.Advance(step);
            var before = GC.GetAllocatedBytesForCurrentThread();
            fired += harness.Scheduler.RunDue();
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
        }

        fired.Should().Be(5000);
        allocated.Should().Be(0, "a fire (pop, dispatch, account, re-insert) must not allocate in the steady state");
        registrations.ForEach(r => r.Dispose());
    }

}
