using KeepAlive.Net.Heartbeats;

namespace KeepAlive.Net.Tests.Heartbeats;

public sealed class TimerHeapTests
{
    [Fact]
    public void TimerHeap_MillionNodesWithRemovals_PopsInDueOrder()
    {
        var heap = new TimerHeap();
        var random = new Random(42);
        var nodes = Enumerable.Range(0, 1_000_000).Select(_ => new Node()).ToArray();
        foreach (var node in nodes)
        {
            heap.Insert(node, random.NextInt64(0, 1_000_000_000));
        }

        for (var i = 0; i < nodes.Length; i += 3)
        {
            heap.Remove(nodes[i]).Should().BeTrue();
            heap.Remove(nodes[i]).Should().BeFalse();
        }

        for (var i = 1; i < nodes.Length; i += 7)
        {
            heap.Insert(nodes[i], random.NextInt64(0, 1_000_000_000)); // re-schedule in place
        }

        var expected = nodes.Count(n => n.HeapIndex >= 0);
        heap.Count.Should().Be(expected);
        var previous = long.MinValue;
        var popped = 0;
        while (heap.Count > 0)
        {
            var node = heap.Pop();
            node.Due.Should().BeGreaterThanOrEqualTo(previous);
            node.HeapIndex.Should().Be(-1);
            previous = node.Due;
            popped++;
        }

        popped.Should().Be(expected);
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

    private sealed class Node : TimerNode;
}
