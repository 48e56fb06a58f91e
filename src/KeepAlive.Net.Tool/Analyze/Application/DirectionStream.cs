namespace KeepAlive.Net.Tool.Analyze.Application;

/// <summary>
/// One direction of a flow's bytes, put back in sequence order from the captured segments: retransmitted bytes are
/// delivered once, segments that arrive early wait for the hole before them, keep-alive probes (a byte already sent)
/// deliver nothing. A hole the capture never fills, or payload the snap length cut, breaks the stream: what follows
/// cannot be read as frames, and the reader says so instead of guessing.
/// </summary>
internal sealed class DirectionStream
{
    private const int MaxWaiting = 512;
    private readonly SortedDictionary<long, TcpSegment> _waiting = [];
    private uint _next;
    private bool _started;
    private long _delivered;

    /// <summary>Why the stream cannot be followed any more, or <see langword="null"/> while it can.</summary>
    public string? Broken { get; private set; }

    /// <summary>Adds a segment; returns the bytes it makes contiguous, each run with the segment that brought it.</summary>
    public List<(ReadOnlyMemory<byte> Bytes, TcpSegment From)> Add(TcpSegment segment)
    {
        var ready = new List<(ReadOnlyMemory<byte>, TcpSegment)>();
        if (Broken is not null)
        {
            return ready;
        }

        if (segment.Has(TcpFlags.Syn))
        {
            (_next, _started) = (segment.Sequence + 1, true);
            return ready;
        }

        if (segment.PayloadLength == 0)
        {
            return ready;
        }

        if (!_started)
        {
            (_next, _started) = (segment.Sequence, true);
        }

        Place(segment, ready);
        while (Broken is null && _waiting.Count > 0 && _waiting.First() is var first && (int)(first.Value.Sequence - _next) <= 0)
        {
            _waiting.Remove(first.Key);
            Place(first.Value, ready);
        }

        if (_waiting.Count > MaxWaiting)
        {
            Broken = Hole();
        }

        return ready;
    }

    /// <summary>Ends the stream with the capture: segments still waiting sit behind a hole it never filled.</summary>
    public void Finish()
    {
        if (Broken is null && _waiting.Count > 0)
        {
            Broken = Hole();
        }
    }

    private string Hole() => $"a hole in the capture after byte {_delivered} (a segment was never captured)";

    private void Place(TcpSegment segment, List<(ReadOnlyMemory<byte>, TcpSegment)> ready)
    {
        var ahead = (int)(segment.Sequence - _next);
        if (ahead > 0)
        {
            _waiting.TryAdd(_delivered + ahead, segment);
            return;
        }

        var skip = -ahead;
        if (skip >= segment.PayloadLength)
        {
            return; // retransmission or keep-alive probe: nothing new
        }

        if (segment.Payload.Length < segment.PayloadLength)
        {
            Broken = $"the capture kept {segment.Payload.Length} of {segment.PayloadLength} payload bytes in frame {segment.Frame} (capture with a larger snap length, e.g. tcpdump -s 0)";
            return;
        }

        ready.Add((segment.Payload[skip..segment.PayloadLength], segment));
        _next = segment.Sequence + (uint)segment.PayloadLength;
        _delivered += segment.PayloadLength - skip;
    }
}
