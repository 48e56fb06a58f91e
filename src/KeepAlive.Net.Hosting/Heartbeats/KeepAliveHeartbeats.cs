using System.Net.Sockets;

namespace KeepAlive.Net.Hosting.Heartbeats;

/// <summary>Profile, keep-alive and scheduler in one call, built only on the public scheduler API.</summary>
internal sealed class KeepAliveHeartbeats(IKeepAliveProfiles profiles, IHeartbeatScheduler scheduler) : IKeepAliveHeartbeats
{
    public HeartbeatRegistration RegisterSocket(Socket socket, ReadOnlyMemory<byte> payload, string profileName)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var heartbeat = profiles.GetProfile(profileName).Heartbeat;
        profiles.Configure(socket, profileName);
        return scheduler.RegisterSocket(socket, payload, heartbeat);
    }
}
