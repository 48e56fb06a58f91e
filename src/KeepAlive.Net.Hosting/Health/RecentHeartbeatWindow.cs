namespace KeepAlive.Net.Hosting.Health;

/// <summary>
/// What one heartbeat name reported recently, in a ring of time buckets: the worst lateness (with its cause), the
/// number of heartbeats, of sends reported blocked (while they still ran), of heartbeats a watched DriftMonitor found overdue
/// (while they still waited, with the latest one's cause) and of peers declared dead (and how many of them by a
/// send that failed for good). Constant memory however many heartbeats are recorded.
/// </summary>
internal sealed class RecentHeartbeatWindow
{
    private const int Buckets = 16;
    private readonly Lock _lock = new();
    private readonly long[] _ids = new long[Buckets];
    private readonly double[] _maxLateness = new double[Buckets];
    private readonly string?[] _causes = new string?[Buckets];
    private readonly long[] _heartbeats = new long[Buckets];
    private readonly long[] _peersDead = new long[Buckets];
    private readonly long[] _peersDeadBySendFailure = new long[Buckets];
    private readonly long[] _sendsBlocked = new long[Buckets];
    private readonly long[] _overdue = new long[Buckets];
    private readonly string?[] _overdueCauses = new string?[Buckets];

    public RecentHeartbeatWindow() => Array.Fill(_ids, long.MinValue);

    public void RecordLateness(long bucket, double seconds, string? cause)
    {
        lock (_lock)
        {
            if (!TrySlot(bucket, out var slot))
            {
                return;
            }

            _heartbeats[slot]++;
            if (seconds > _maxLateness[slot])
            {
                _maxLateness[slot] = seconds;
                _causes[slot] = cause;
            }
        }
    }

    public void RecordPeerDead(long bucket, long count, bool sendFailed)
    {
        lock (_lock)
        {
            if (!TrySlot(bucket, out var slot))
            {
                return;
            }

            _peersDead[slot] += count;
            _peersDeadBySendFailure[slot] += sendFailed ? count : 0;
        }
    }

    public void RecordBlocked(long bucket, long count)
    {
        lock (_lock)
        {
            if (TrySlot(bucket, out var slot))
            {
                _sendsBlocked[slot] += count;
            }
        }
    }

    public void RecordOverdue(long bucket, long count, string? cause)
    {
        lock (_lock)
        {
            if (!TrySlot(bucket, out var slot))
            {
                return;
            }

            _overdue[slot] += count;
            _overdueCauses[slot] = cause;
        }
    }

    /// <summary>Sums the buckets from <paramref name="currentBucket"/> back over <see cref="Buckets"/> - 1 earlier ones.</summary>
    public RecentHeartbeats Read(long currentBucket)
    {
        var result = default(RecentHeartbeats);
        var overdueBucket = long.MinValue;
        lock (_lock)
        {
            for (var slot = 0; slot < Buckets; slot++)
            {
                if (_ids[slot] <= currentBucket - Buckets || _ids[slot] > currentBucket)
                {
                    continue;
                }

                result.Heartbeats += _heartbeats[slot];
                result.PeersDead += _peersDead[slot];
                result.PeersDeadBySendFailure += _peersDeadBySendFailure[slot];
                result.SendsBlocked += _sendsBlocked[slot];
                if (_overdue[slot] > 0 && (result.HeartbeatsOverdue == 0 || _ids[slot] > overdueBucket))
                {
                    overdueBucket = _ids[slot];
                    result.OverdueCause = _overdueCauses[slot]; // the latest stall's
                }

                result.HeartbeatsOverdue += _overdue[slot];
                if (_maxLateness[slot] > result.MaxLatenessSeconds)
                {
                    result.MaxLatenessSeconds = _maxLateness[slot];
                    result.Cause = _causes[slot];
                }
            }
        }

        return result;
    }

    /// <summary>The bucket length that makes <see cref="Buckets"/> buckets cover <paramref name="window"/>.</summary>
    public static TimeSpan BucketLength(TimeSpan window) => window / (Buckets - 1);

    // The slot of bucket, emptied when it held an earlier one; false for a bucket older than the slot's (a measurement whose
    // bucket was read before its thread stalled a whole window): it is outside the window, and taking the slot would erase
    // the recent bucket there, dead peers and all.
    private bool TrySlot(long bucket, out int slot)
    {
        slot = (int)(bucket % Buckets);
        if (bucket < _ids[slot])
        {
            return false;
        }

        if (_ids[slot] != bucket)
        {
            _ids[slot] = bucket;
            _maxLateness[slot] = 0;
            _causes[slot] = null;
            _heartbeats[slot] = 0;
            _peersDead[slot] = 0;
            _peersDeadBySendFailure[slot] = 0;
            _sendsBlocked[slot] = 0;
            _overdue[slot] = 0;
            _overdueCauses[slot] = null;
        }

        return true;
    }
}
