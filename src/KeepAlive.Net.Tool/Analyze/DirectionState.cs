namespace KeepAlive.Net.Tool.Analyze;

/// <summary>
/// Sequence tracking for one direction of a flow, kept the way Wireshark's TCP analysis keeps it so that
/// probes are recognised exactly where tshark's <c>tcp.analysis.keep_alive</c> recognises them.
/// </summary>
internal sealed class DirectionState
{
    public bool Seen { get; private set; }

    /// <summary>The sequence number after the highest byte (or SYN/FIN) this side has sent.</summary>
    public uint NextSequence { get; private set; }

    public uint LastAcknowledgment { get; private set; }

    public ushort Window { get; private set; }

    public bool LastWasProbe { get; private set; }

    /// <summary>
    /// When this side last sent anything but a keep-alive probe: what the other side's kernel hears (a probe is out of
    /// window, so it restarts no idle timer there).
    /// </summary>
    public double? LastHeardTime { get; private set; }

    /// <summary>How long this side had heard nothing from the other when it sent its first keep-alive probe: its idle time.</summary>
    public double? FirstProbeAfterIdle { get; set; }

    public static bool SequenceGreater(uint left, uint right) => (int)(left - right) > 0;

    /// <summary>
    /// A keep-alive probe: zero or one byte, starting one byte before what this side would send next
    /// (SEG.SEQ = SND.NXT − 1), never SYN, FIN or RST.
    /// </summary>
    public bool IsProbe(TcpSegment segment) =>
        Seen && segment.PayloadLength is 0 or 1 && segment.Sequence == NextSequence - 1
        && !segment.OpensOrCloses;

    /// <summary>
    /// A window probe: a probe (<see cref="IsProbe"/>, as Linux sends one: SND.UNA − 1, no payload), or Wireshark's
    /// <c>tcp.analysis.zero_window_probe</c> (one new byte), sent while <paramref name="other"/> last advertised a zero
    /// window: that side stopped reading, it is not idle.
    /// </summary>
    public bool IsZeroWindowProbe(TcpSegment segment, DirectionState other) =>
        other.Seen && other.Window == 0
        && (IsProbe(segment) || (Seen && segment.PayloadLength == 1 && segment.Sequence == NextSequence && !segment.OpensOrCloses));

    /// <summary>The answer to a probe: an empty segment repeating this side's last ACK and window, right after a probe from the other side.</summary>
    public bool IsProbeAnswer(TcpSegment segment, DirectionState other) =>
        Seen && other.LastWasProbe && segment.PayloadLength == 0 && segment.Window != 0 && segment.Window == Window
        && segment.Sequence == NextSequence && segment.Acknowledgment == LastAcknowledgment
        && !segment.OpensOrCloses;

    /// <summary>Whether the segment carries bytes beyond anything this side sent before.</summary>
    public bool IsNewData(TcpSegment segment) =>
        segment.PayloadLength > 0 && (!Seen || SequenceGreater(segment.Sequence + (uint)segment.PayloadLength, NextSequence));

    /// <summary>
    /// Whether the segment sends nothing this side had not sent before (a retransmission, a keep-alive probe, a repeated
    /// SYN or FIN): the sender's own sign that no answer came.
    /// </summary>
    public bool IsRepeat(TcpSegment segment) => Seen && !SequenceGreater(End(segment), NextSequence);

    /// <summary>
    /// Takes <paramref name="nextSequence"/> as what this side would send next, before its first segment in the capture:
    /// learnt from the other side's acknowledgment (<see cref="FlowWalk.LearnFromFirstAnswers"/>).
    /// </summary>
    public void Assume(uint nextSequence) => (NextSequence, Seen) = (nextSequence, true);

    public void Update(TcpSegment segment, bool probe)
    {
        var next = End(segment);
        if (!Seen || SequenceGreater(next, NextSequence))
        {
            NextSequence = next;
        }

        if (segment.Has(TcpFlags.Ack))
        {
            LastAcknowledgment = segment.Acknowledgment;
        }

        Window = segment.Window;
        LastWasProbe = probe;
        LastHeardTime = probe ? LastHeardTime : segment.Time;
        Seen = true;
    }

    /// <summary>The sequence number after the segment: its payload, and one each for SYN and FIN.</summary>
    private static uint End(TcpSegment segment) =>
        segment.Sequence + (uint)segment.PayloadLength + (segment.Has(TcpFlags.Syn) ? 1u : 0u) + (segment.Has(TcpFlags.Fin) ? 1u : 0u);
}
