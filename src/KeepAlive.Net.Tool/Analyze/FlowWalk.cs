using System.Net;

namespace KeepAlive.Net.Tool.Analyze;

/// <summary>Walks one flow's segments in order and collects what the verdict needs.</summary>
internal sealed class FlowWalk(IPEndPoint client, bool rolesGuessed = false)
{
    private readonly DirectionState _fromClient = new();
    private readonly DirectionState _fromServer = new();
    private readonly List<double> _retryGaps = [];
    private TcpSegment? _previous;
    private TcpSegment? _lastProbe;
    private IPEndPoint? _firstProber;
    private int _unansweredInARow;
    private int? _clientTtl;
    private int? _serverTtl;

    public List<long> ProbeFrames { get; } = [];

    /// <summary>Frames of the probes sent into a zero window (<see cref="DirectionState.IsZeroWindowProbe"/>): not keep-alive probes.</summary>
    public List<long> ZeroWindowProbeFrames { get; } = [];

    /// <summary>The side that sent the first zero-window probe: the other side stopped reading.</summary>
    public IPEndPoint? ZeroWindowProber { get; private set; }

    /// <summary>Wireshark's <c>tcp.analysis.keep_alive_ack</c>: empty segments that repeat the last ACK and window right after a probe.</summary>
    public int ProbeAnswers { get; private set; }

    /// <summary>Probes the other side answered with anything but a RST before the prober sent its next one: proof the peer was alive.</summary>
    public int AnsweredProbes { get; private set; }

    public int MaxUnansweredProbes { get; private set; }

    /// <summary>The idle time of the side that probed first (each side keeps its own, see <see cref="FirstProbeAfterIdleOf"/>).</summary>
    public double? FirstProbeAfterIdle => ProbeFrames.Count == 0 ? null : FirstProbeAfterIdleOf(_firstProber!);

    public List<(double Time, long Frame, IPEndPoint From)> Data { get; } = [];

    public int Retransmissions { get; private set; }

    public TcpSegment? End { get; private set; }

    public double MaxSilence { get; private set; }

    public double FirstTime { get; private set; } = double.NaN;

    /// <summary>Segments that ask for an answer, sent since the other side was last heard, and the silence before the first of them.</summary>
    public int Unanswered { get; private set; }

    public double? SilenceBeforeUnanswered { get; private set; }

    public IPEndPoint? UnansweredFrom { get; private set; }

    /// <summary>
    /// Whether the unanswered run repeats itself (a retransmission or a keep-alive probe): the sender saw no answer in
    /// time. Without one, the capture merely ended before the answer (segments of a burst still in flight).
    /// </summary>
    public bool UnansweredRepeats { get; private set; }

    /// <summary>The first segment of the unanswered run.</summary>
    public TcpSegment? FirstUnanswered { get; private set; }

    /// <summary>
    /// The RST that ended the flow when it answered segments the other side sent after a silence (a flow forgotten and
    /// reset), with that silence, how many segments it answered, the first of them, and the TTL the RST's sender had on
    /// its other segments.
    /// </summary>
    public ResetAnswer? ResetAnswer { get; private set; }

    /// <summary>
    /// The first segment the other side sent after the RST that ended the flow while probes went unanswered: an answer
    /// that came after the prober gave up (a peer or path slower than its keep-alive waits), which answers no probe.
    /// </summary>
    public TcpSegment? LateAnswer { get; private set; }

    /// <summary>
    /// The first of the retransmissions of one segment (the same sequence number) that nothing has followed since: no
    /// new data, nothing from the other side. Repeated, they are the retransmission timer backing off: the sender's own
    /// word that no acknowledgment came, which a capture of one direction still shows.
    /// </summary>
    public TcpSegment? FirstRetransmittedAtEnd { get; private set; }

    /// <summary>How many times <see cref="FirstRetransmittedAtEnd"/>'s segment was retransmitted (it included).</summary>
    public int RetransmittedAtEnd { get; private set; }

    /// <summary>The SYN the RST that ended the flow answered: a connection refused (nothing listened), never a flow forgotten.</summary>
    public TcpSegment? RefusedSyn { get; private set; }

    /// <summary>The TTL (hop limit) of the last segment other than a RST from each side: a RST from elsewhere shows in it.</summary>
    public int? UsualTtl(bool ofClient) => ofClient ? _clientTtl : _serverTtl;

    /// <summary>Ends the walk: probes still waiting at the end of the capture were never answered.</summary>
    public void Finish()
    {
        MaxUnansweredProbes = Math.Max(MaxUnansweredProbes, _unansweredInARow);
        TrailingUnansweredProbes = _unansweredInARow;
    }

    /// <summary>Probes in a row, at the end of the flow, that nothing answered.</summary>
    public int TrailingUnansweredProbes { get; private set; }

    public double? LastTime => _previous?.Time;

    /// <summary>The frame of the flow's last segment, or <see langword="null"/> before any.</summary>
    public long? LastFrame => _previous?.Frame;

    public double? LastDataTime => Data.Count == 0 ? null : Data[^1].Time;

    public double? ProbeInterval => Median.Of(_retryGaps);

    /// <summary>How long <paramref name="prober"/> had heard nothing from the other side when it sent its first probe.</summary>
    public double? FirstProbeAfterIdleOf(IPEndPoint prober) => (IsClient(prober) ? _fromClient : _fromServer).FirstProbeAfterIdle;

    /// <summary>Whether <paramref name="endpoint"/> is the flow's client (as taken from the handshake, or guessed).</summary>
    public bool IsClient(IPEndPoint endpoint) => endpoint.Equals(client);

    /// <summary>The side <paramref name="endpoint"/> is, "client" or "server", as the JSON's fields name it.</summary>
    public string Side(IPEndPoint endpoint) => IsClient(endpoint) ? Roles.Client : Roles.Server;

    /// <summary>The side <paramref name="endpoint"/> is, as a sentence names it: marked when guessed (<see cref="Roles.Name"/>).</summary>
    public string Named(IPEndPoint endpoint) => Roles.Name(IsClient(endpoint), rolesGuessed);

    /// <summary>The side <paramref name="endpoint"/> is not, as a sentence names it.</summary>
    public string NamedOther(IPEndPoint endpoint) => Roles.Name(!IsClient(endpoint), rolesGuessed);

    /// <summary>
    /// A capture that starts after the connection did can open a direction on a keep-alive probe: its sender's next
    /// sequence number is then unknown, and the probe and every repeat of it read as plain ACKs (Wireshark calls them
    /// Dup ACKs). The other side's answer tells: a segment right after an empty one that acknowledges one byte past it
    /// shows the empty segment lay one below what that side had received (SEG.SEQ = RCV.NXT − 1), which only a probe
    /// does; its sender's next sequence number is that acknowledgment. Call before <see cref="Add"/>.
    /// </summary>
    /// <param name="segments">The flow's segments, in order.</param>
    public void LearnFromFirstAnswers(IReadOnlyList<TcpSegment> segments)
    {
        var opened = new HashSet<IPEndPoint>();
        for (var i = 0; i < segments.Count - 1; i++)
        {
            var (first, next) = (segments[i], segments[i + 1]);
            if (opened.Add(first.Source) && first.PayloadLength == 0 && !first.OpensOrCloses && !next.Source.Equals(first.Source)
                && next.Has(TcpFlags.Ack) && next.Acknowledgment == first.Sequence + 1)
            {
                (IsClient(first.Source) ? _fromClient : _fromServer).Assume(next.Acknowledgment);
            }
        }
    }

    public void Add(TcpSegment segment)
    {
        var fromClient = IsClient(segment.Source);
        var own = fromClient ? _fromClient : _fromServer;
        var other = fromClient ? _fromServer : _fromClient;
        var probe = own.IsProbe(segment);
        // A probe into a zero window asks for the window, not whether the peer is alive: no keep-alive probe.
        var zeroWindowProbe = own.IsZeroWindowProbe(segment, other);
        if (zeroWindowProbe)
        {
            ZeroWindowProbeFrames.Add(segment.Frame);
            ZeroWindowProber ??= segment.Source;
        }
        if (own.IsProbeAnswer(segment, other))
        {
            ProbeAnswers++;
        }

        if (double.IsNaN(FirstTime))
        {
            FirstTime = segment.Time;
        }

        if (_previous is { } previous)
        {
            MaxSilence = Math.Max(MaxSilence, segment.Time - previous.Time);
        }

        if (segment.Has(TcpFlags.Rst) && End?.Has(TcpFlags.Rst) != true && UnansweredFrom is { } waiting && !waiting.Equals(segment.Source))
        {
            if (FirstUnanswered!.Has(TcpFlags.Syn) && !FirstUnanswered.Has(TcpFlags.Ack))
            {
                RefusedSyn = FirstUnanswered;
            }
            else
            {
                ResetAnswer = new ResetAnswer(segment, FirstUnanswered, Unanswered, SilenceBeforeUnanswered ?? 0, fromClient ? _clientTtl : _serverTtl);
            }
        }

        if (!segment.Has(TcpFlags.Rst) && segment.Ttl > 0 && fromClient)
        {
            _clientTtl = segment.Ttl;
        }
        else if (!segment.Has(TcpFlags.Rst) && segment.Ttl > 0)
        {
            _serverTtl = segment.Ttl;
        }

        TrackProbe(segment, probe && !zeroWindowProbe, other);
        TrackAnswers(segment, probe, own.IsRepeat(segment));
        if (FirstRetransmittedAtEnd is { } retransmitted && !retransmitted.Source.Equals(segment.Source))
        {
            (FirstRetransmittedAtEnd, RetransmittedAtEnd) = (null, 0);
        }

        if (!probe && segment.PayloadLength > 0)
        {
            if (own.IsNewData(segment))
            {
                Data.Add((segment.Time, segment.Frame, segment.Source));
                (FirstRetransmittedAtEnd, RetransmittedAtEnd) = (null, 0);
            }
            else
            {
                Retransmissions++;
                (FirstRetransmittedAtEnd, RetransmittedAtEnd) = FirstRetransmittedAtEnd?.Sequence == segment.Sequence
                    ? (FirstRetransmittedAtEnd, RetransmittedAtEnd + 1)
                    : (segment, 1);
            }
        }

        if (segment.Has(TcpFlags.Rst) && End?.Has(TcpFlags.Rst) != true)
        {
            End = segment;
        }
        else if (segment.Has(TcpFlags.Fin) && End is null)
        {
            End = segment;
        }

        own.Update(segment, probe);
        _previous = segment;
    }

    private void TrackProbe(TcpSegment segment, bool probe, DirectionState other)
    {
        if (!probe)
        {
            if (End?.Has(TcpFlags.Rst) == true)
            {
                // The connection is gone on the RST's side: what the other side sends now answers nothing (the prober gave
                // up before it came), so the unanswered run stands.
                LateAnswer ??= _unansweredInARow > 0 && !segment.Source.Equals(End.Source) && !segment.Has(TcpFlags.Rst) ? segment : null;
                return;
            }

            if (_lastProbe is not null && !segment.Source.Equals(_lastProbe.Source) && _unansweredInARow > 0 && !segment.Has(TcpFlags.Rst))
            {
                // The other side spoke: the last probe of the run was answered, the ones before it were not.
                MaxUnansweredProbes = Math.Max(MaxUnansweredProbes, _unansweredInARow - 1);
                AnsweredProbes++;
                _unansweredInARow = 0;
            }

            return;
        }

        ProbeFrames.Add(segment.Frame);
        _firstProber ??= segment.Source;
        var own = IsClient(segment.Source) ? _fromClient : _fromServer;
        var retry = _lastProbe is { } last && last.Source.Equals(segment.Source) && _unansweredInARow > 0;
        if (retry)
        {
            _retryGaps.Add(segment.Time - _lastProbe!.Time);
        }
        else if (own.FirstProbeAfterIdle is null && other.LastHeardTime is { } heard)
        {
            own.FirstProbeAfterIdle = segment.Time - heard;
        }

        _unansweredInARow = retry ? _unansweredInARow + 1 : 1;
        _lastProbe = segment;
    }

    private void TrackAnswers(TcpSegment segment, bool probe, bool repeat)
    {
        if (End?.Has(TcpFlags.Rst) == true)
        {
            // Reset: nothing after it asks or answers on this connection (see TrackProbe).
            return;
        }

        if (UnansweredFrom is { } waiting && !segment.Source.Equals(waiting))
        {
            (Unanswered, SilenceBeforeUnanswered, UnansweredFrom, FirstUnanswered, UnansweredRepeats) = (0, null, null, null, false);
        }

        var asks = probe || segment.PayloadLength > 0 || segment.Has(TcpFlags.Fin) || segment.Has(TcpFlags.Syn);
        if (!asks || segment.Has(TcpFlags.Rst))
        {
            return;
        }

        if (Unanswered == 0)
        {
            UnansweredFrom = segment.Source;
            FirstUnanswered = segment;
            SilenceBeforeUnanswered = _previous is { } previous ? segment.Time - previous.Time : 0;
        }

        Unanswered++;
        UnansweredRepeats |= repeat;
    }
}
