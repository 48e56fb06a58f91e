namespace KeepAlive.Net.Benchmarks.Cli;

/// <summary>Whether a run met a target.</summary>
internal enum TargetStatus
{
    Pass,
    Miss,
    NotMeasured,
}
