using KeepAlive.Net.Hosting;

namespace KeepAlive.Net.Tool.Cli;

/// <summary>The profile a command uses, validated by the library (<see cref="ProfileArguments.Resolve"/>), and whether its heartbeat is sent.</summary>
/// <param name="Name">The profile's name (<see cref="ProfileArguments.CommandLineProfile"/> for the flags alone).</param>
/// <param name="Options">The profile.</param>
/// <param name="HeartbeatSent">
/// Whether the profile's heartbeat is sent: by the command (<c>check --heartbeat</c>; <c>show</c> describes sending it), or,
/// for a <c>--settings</c> file's profile, by the application that reads the file, whose heartbeat registration sends its
/// <c>Heartbeat:Interval</c>, the library's 10 s default when the file sets none.
/// </param>
internal sealed record ResolvedProfile(string Name, KeepAliveProfileOptions Options, bool HeartbeatSent)
{
    /// <summary>Gets a value indicating whether the profile's heartbeat is judged and described (<see cref="Judges"/>).</summary>
    public bool JudgesHeartbeat => Judges(HeartbeatSent, Options.Heartbeat);

    /// <summary>
    /// Whether a command judges a profile's heartbeat: validates its <c>Heartbeat:Interval</c> against the peer idle timeout
    /// and describes it. Yes when the heartbeat is sent (a file's profile always is, by the application that reads it), or
    /// when the profile sets the interval (a value someone set is judged); no for the library's 10 s default in a profile
    /// of command-line flags alone that nothing sends (<see cref="UnusedHeartbeatValidation"/>).
    /// </summary>
    /// <param name="sent">Whether the heartbeat is sent (<see cref="HeartbeatSent"/>).</param>
    /// <param name="heartbeat">The profile's heartbeat.</param>
    public static bool Judges(bool sent, HeartbeatOptions heartbeat) => sent || heartbeat.IsIntervalSet;
}
