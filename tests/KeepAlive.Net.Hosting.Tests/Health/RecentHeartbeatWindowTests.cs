using KeepAlive.Net.Hosting.Health;

namespace KeepAlive.Net.Hosting.Tests.Health;

/// <summary>The ring of time buckets the health check reads its window from.</summary>
public sealed class RecentHeartbeatWindowTests
{
    // 16 buckets: bucket 16 and bucket 0 share a slot. A measurement's bucket is read before the window's lock is taken, so a
    // thread that stalls a whole window in between (1.07 s at a Window of 1s) records into a bucket the ring has moved past.
    private const long Now = 16;
    private const long AWindowAgo = 0;

    [Fact]
    public void Record_MeasurementStampedAWindowAgoArrivesLate_TheRecentBucketInItsSlotIsKept()
    {
        var window = new RecentHeartbeatWindow();
        window.RecordPeerDead(Now, 1, sendFailed: false);
        window.RecordLateness(Now, 2.0, "gc_pause");
        window.RecordBlocked(Now, 1);
        window.RecordOverdue(Now, 1, "thread_pool_starvation");

        window.RecordLateness(AWindowAgo, 0.001, "none");
        window.RecordPeerDead(AWindowAgo, 1, sendFailed: true);
        window.RecordBlocked(AWindowAgo, 1);
        window.RecordOverdue(AWindowAgo, 1, "unknown");

        var recent = window.Read(Now);
        recent.PeersDead.Should().Be(1, "the peer declared dead now still counts; the late one is outside the window");
        recent.PeersDeadBySendFailure.Should().Be(0);
        recent.Heartbeats.Should().Be(1);
        recent.MaxLatenessSeconds.Should().Be(2.0);
        recent.Cause.Should().Be("gc_pause");
        recent.SendsBlocked.Should().Be(1);
        recent.HeartbeatsOverdue.Should().Be(1);
        recent.OverdueCause.Should().Be("thread_pool_starvation");
    }

    [Fact]
    public void Read_BucketsWithinTheWindowAreSummedAndOlderOnesAreNot()
    {
        // The control: a later bucket in an earlier one's slot replaces it, as the ring moves on.
        var window = new RecentHeartbeatWindow();
        window.RecordPeerDead(AWindowAgo, 1, sendFailed: false);
        window.RecordPeerDead(Now - 1, 1, sendFailed: false);
        window.Read(Now - 1).PeersDead.Should().Be(2, "buckets 0 to 15 are the window at bucket 15");

        window.RecordPeerDead(Now, 1, sendFailed: true);

        var recent = window.Read(Now);
        recent.PeersDead.Should().Be(2, "bucket 0 left the window when bucket 16 took its slot");
        recent.PeersDeadBySendFailure.Should().Be(1);
    }
}
