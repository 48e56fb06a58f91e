namespace KeepAlive.Net.Tool.Analyze;

/// <summary>What could be read from a capture file: its TCP segments, and whether and why the file ended early.</summary>
/// <param name="Segments">The TCP segments over IPv4 or IPv6, in file order.</param>
/// <param name="Frames">How many frames were read, TCP or not.</param>
/// <param name="TruncationReason">Why reading stopped before a clean end of file, or <see langword="null"/> when it did not.</param>
/// <param name="Undecodable">How many frames were too short or malformed to decode; they are left out of the analysis.</param>
/// <param name="FirstUndecodable">The number of the first such frame, or 0 when there is none.</param>
internal sealed record CaptureContents(IReadOnlyList<TcpSegment> Segments, long Frames, string? TruncationReason, long Undecodable, long FirstUndecodable)
{
    public bool Truncated => TruncationReason is not null;
}
