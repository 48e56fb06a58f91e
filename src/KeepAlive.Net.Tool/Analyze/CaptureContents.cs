namespace KeepAlive.Net.Tool.Analyze;

/// <summary>What could be read from a capture file: its TCP segments, and whether and why the file ended early.</summary>
/// <param name="Segments">The TCP segments over IPv4 or IPv6, in file order.</param>
/// <param name="Frames">How many frames were read, TCP or not.</param>
/// <param name="TruncationReason">Why reading stopped before a clean end of file, or <see langword="null"/> when it did not.</param>
/// <param name="Undecodable">How many frames were too short or malformed to decode; they are left out of the analysis.</param>
/// <param name="FirstUndecodable">The number of the first such frame, or 0 when there is none.</param>
/// <param name="UnknownLinkType">
/// The link type of the first frame that was left out because PacketDotNet cannot decode its link type at all (an
/// OpenBSD loopback or a raw-IPv4 capture), or <see langword="null"/>: such frames are not damaged, so the analysis of
/// them is missing, not complete.
/// </param>
internal sealed record CaptureContents(IReadOnlyList<TcpSegment> Segments, long Frames, string? TruncationReason, long Undecodable, long FirstUndecodable, string? UnknownLinkType)
{
    /// <summary>Why reading stopped when libpcap gives no reason: the last frame is incomplete.</summary>
    public const string EndsInAFrame = "the file ends in the middle of a frame";

    public bool Truncated => TruncationReason is not null;

    /// <summary>
    /// Whether reading stopped because the file is cut short (libpcap's "truncated dump file"), not because libpcap
    /// refused what follows (a pcapng interface of a second link type, a damaged record).
    /// </summary>
    public bool Cut => TruncationReason is { } reason && (reason == EndsInAFrame || reason.Contains("truncated", StringComparison.OrdinalIgnoreCase));

    /// <summary>How the capture's early end is named on screen: cut off, or where libpcap stopped reading.</summary>
    public string Stopped(string name) => Cut
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{name} is cut off after {Frames} frames ({TruncationReason})")
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"libpcap stopped reading {name} after {Frames} frames ({TruncationReason})");
}
