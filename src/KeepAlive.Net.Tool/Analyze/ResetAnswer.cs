namespace KeepAlive.Net.Tool.Analyze;

/// <summary>A RST that answered segments sent after a silence: the flow had been forgotten by whoever sent it.</summary>
/// <param name="Reset">The RST.</param>
/// <param name="First">The first segment it answered (data or a keep-alive probe after the silence).</param>
/// <param name="Answered">How many segments (the first and its retransmissions) went out before the RST came.</param>
/// <param name="Silence">How long the flow had been silent before <paramref name="First"/>.</param>
/// <param name="UsualTtl">The TTL of the RST sender's other segments, or <see langword="null"/> when none was seen.</param>
internal sealed record ResetAnswer(TcpSegment Reset, TcpSegment First, int Answered, double Silence, int? UsualTtl)
{
    /// <summary>Whether another device sent the RST: its TTL differs from the one the endpoint's segments arrive with.</summary>
    public bool FromAnotherDevice => UsualTtl is { } usual && Reset.Ttl > 0 && usual != Reset.Ttl;
}
