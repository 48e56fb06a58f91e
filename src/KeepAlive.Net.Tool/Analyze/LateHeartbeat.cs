namespace KeepAlive.Net.Tool.Analyze;

/// <summary>A data segment that left later than the heartbeat interval allows.</summary>
/// <param name="At">When it left, in seconds from the start of the capture.</param>
/// <param name="Gap">Seconds since the data segment before it, in either direction.</param>
/// <param name="Late">How much later than the interval it left, in seconds.</param>
/// <param name="From">Its sender, "ip:port".</param>
/// <param name="Frame">Its frame number.</param>
internal sealed record LateHeartbeat(double At, double Gap, double Late, string From, long Frame);
