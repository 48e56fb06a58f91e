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
    public void TimerQueue_KeysInOrderPerInterval_StayOutOfTheHeapAndPopInOrder()
    {
        var queue = new TimerQueue();
        var intervals = new long[] { 1_000, 5_000, 30_000 };
        var next = new long[intervals.Length];
        var popped = new List<long>();

        // Three registrations' schedules interleaved, as a scheduler with three profiles produces them: every key is in
        // order within its interval, so each interval keeps to its own lane and the heap stays empty.
        for (var round = 0; round < 2_000; round++)
        {
            var which = round % intervals.Length;
            next[which] += intervals[which];
            queue.Push(next[which], which);
        }

        queue.HeapCount.Should().Be(0);
        queue.Count.Should().Be(2_000);
        while (queue.TryPeek(out var key, out _))
        {
            popped.Add(key);
            queue.Pop();
        }

        popped.Should().HaveCount(2_000).And.BeInAscendingOrder();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(42)]
    public void TimerQueue_RandomPushesAndPopsInAndOutOfOrder_PopTheSameKeysAsAPriorityQueue(int seed)
    {
        var random = new Random(seed);
        var queue = new TimerQueue();
        var reference = new PriorityQueue<int, long>();
        var clocks = new long[12]; // more interleaved schedules than lanes, so some of them spill into the heap
        for (var step = 0; step < 200_000; step++)
        {
            if (random.Next(3) != 0)
            {
                var which = random.Next(clocks.Length);
                var key = random.Next(10) == 0 ? random.NextInt64(0, clocks[which] + 1) : clocks[which] += random.Next(1, 1000);
                queue.Push(key, which);
                reference.Enqueue(which, key);
            }
            else if (reference.TryDequeue(out _, out var expected))
            {
                queue.TryPeek(out var key, out _).Should().BeTrue();
                key.Should().Be(expected, "step {0}", step);
                queue.Pop();
            }

            queue.Count.Should().Be(reference.Count);
        }

        queue.HeapCount.Should().BeGreaterThan(0, "twelve schedules and stray keys cannot all fit eight lanes");
        while (reference.TryDequeue(out _, out var expected))
        {
            queue.TryPeek(out var key, out _).Should().BeTrue();
            key.Should().Be(expected);
            queue.Pop();
        }

        queue.TryPeek(out _, out _).Should().BeFalse();
        queue.Invoking(q => q.Pop()).Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public void TimerQueue_CompactWithEntriesInLanesAndHeap_KeepsOnlyLiveOnesInOrder()
    {
        var queue = new TimerQueue();
        for (var i = 0; i < 30_000; i++)
        {
            queue.Push(i, i); // in order: one lane
            queue.Push(60_000 - (2 * i), i); // descending: lanes fill, then the heap
        }

        queue.HeapCount.Should().BeGreaterThan(0);
        queue.Compact((key, slot) => key % 3 != 0);

        queue.Count.Should().Be(Enumerable.Range(0, 30_000).Count(i => i % 3 != 0) + Enumerable.Range(0, 30_000).Count(i => (60_000 - (2 * i)) % 3 != 0));
        var previous = long.MinValue;
        while (queue.TryPeek(out var key, out _))
        {
            (key % 3).Should().NotBe(0);
            key.Should().BeGreaterThanOrEqualTo(previous);
            previous = key;
            queue.Pop();
        }

        queue.Count.Should().Be(0);
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
