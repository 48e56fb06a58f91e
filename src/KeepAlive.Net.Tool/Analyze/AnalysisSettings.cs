namespace KeepAlive.Net.Tool.Analyze;

/// <summary>What the user told <c>analyze</c> about the application.</summary>
/// <param name="HeartbeatInterval">The heartbeat period; a data gap of 1.5 times this or more is a late heartbeat.</param>
/// <param name="IdleTimeout">The idle timeout of the peer or a middlebox; an end after this much idle is a kill.</param>
internal sealed record AnalysisSettings(TimeSpan? HeartbeatInterval, TimeSpan? IdleTimeout)
{
    /// <summary>A gap this many times the heartbeat interval makes the heartbeat late.</summary>
    public const double LateFactor = 1.5;
}
