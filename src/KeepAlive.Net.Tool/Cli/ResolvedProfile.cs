using KeepAlive.Net.Hosting;

namespace KeepAlive.Net.Tool.Cli;

/// <summary>The profile a command uses, validated by the library (<see cref="ProfileArguments.Resolve"/>), and whether the command sends its heartbeat.</summary>
/// <param name="Name">The profile's name (<see cref="ProfileArguments.CommandLineProfile"/> for the flags alone).</param>
/// <param name="Options">The profile.</param>
/// <param name="SendsHeartbeat">Whether the command sends, or describes sending, the profile's heartbeat (<c>check --heartbeat</c>, <c>show</c>).</param>
internal sealed record ResolvedProfile(string Name, KeepAliveProfileOptions Options, bool SendsHeartbeat)
{
    /// <summary>Gets a value indicating whether the profile's heartbeat is judged and described (<see cref="Judges"/>).</summary>
    public bool JudgesHeartbeat => Judges(SendsHeartbeat, Options.Heartbeat);

    /// <summary>
    /// Whether a command judges a profile's heartbeat: validates its <c>Heartbeat:Interval</c> against the peer idle timeout
    /// and describes it. Yes when the command sends it, or when the profile sets the interval (a value someone set is
    /// judged); no for the library's 10 s default that nothing sends (<see cref="UnusedHeartbeatValidation"/>).
    /// </summary>
    /// <param name="sends">Whether the command sends the heartbeat.</param>
    /// <param name="heartbeat">The profile's heartbeat.</param>
    public static bool Judges(bool sends, HeartbeatOptions heartbeat) => sends || heartbeat.IsIntervalSet;
}
