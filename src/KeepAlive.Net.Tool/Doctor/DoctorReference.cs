using KeepAlive.Net.Hosting;

namespace KeepAlive.Net.Tool.Doctor;

/// <summary>What <c>doctor</c> judges connections against.</summary>
/// <param name="Peer">The peer's or middlebox's idle timeout.</param>
/// <param name="PeerSource">Where it came from: the flag, the profile, or the default.</param>
/// <param name="ProfileName">The profile given with --settings/--profile, or <see langword="null"/>.</param>
/// <param name="Profile">Its options, validated by the library.</param>
/// <param name="ProfileApplied">Its TCP options as this kernel applies them (a fresh socket, read back), to recognise connections that carry it.</param>
internal sealed record DoctorReference(
    PeerIdleTimeout Peer,
    string PeerSource,
    string? ProfileName,
    KeepAliveProfileOptions? Profile,
    KeepAliveSettings? ProfileApplied)
{
    /// <summary>With nothing given, connections are judged against the shortest common middlebox timeout, as the library's defaults are built.</summary>
    public static PeerIdleTimeout Default => PeerIdleTimeout.AwsAlb;

    /// <summary>Whether the profile's own TCP keep-alive beats <see cref="Peer"/>, so applying it is the fix.</summary>
    public bool ProfileProtects => Profile?.Tcp is { Enabled: true } tcp && Peer.IsBeatenByKeepAlive(tcp.IdleTime, tcp.Interval);
}
