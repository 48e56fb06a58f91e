using System.Net.Sockets;
using KeepAlive.Net.Hosting.Profiles;

namespace KeepAlive.Net.Hosting.Heartbeats;

/// <summary>Profile, keep-alive and scheduler in one call, built only on the public scheduler API.</summary>
internal sealed class KeepAliveHeartbeats(IKeepAliveProfiles profiles, IHeartbeatScheduler scheduler) : IKeepAliveHeartbeats
{
    public HeartbeatRegistration RegisterSocket(Socket socket, ReadOnlyMemory<byte> payload, string profileName)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var profile = profiles.GetProfile(profileName);
        var local = socket.AddressFamily == AddressFamily.Unix;
        if (local && profile.Tcp.Enabled)
        {
            throw new ArgumentException(
                $"KeepAlive profile '{profileName}' turns TCP keep-alive on (Tcp:Enabled), but this is a Unix-domain socket, which has no TCP layer; nothing was registered. Fix: give local sockets a profile with \"Tcp\": {{ \"Enabled\": false }}; its heartbeat still runs.",
                nameof(socket));
        }

        // The socket's and the payload's checks first (a connected stream socket, a payload: the scheduler's own, in its
        // order); then the scheduler, whose only ArgumentException left is the profile's heartbeat failing its rule
        // (HeartbeatOptionsValidator), said again named by the profile and its path. The rule runs here only on a refusal:
        // the scheduler validates options once per distinct value, and a registration burst should not pay it per socket.
        // A refused registration leaves the socket's keep-alive as it was. A Unix-domain socket carries the heartbeat alone.
        var sendHeartbeat = SocketHeartbeat.Create(socket, payload);
        HeartbeatRegistration registration;
        try
        {
            registration = scheduler.Register(profile.Heartbeat, sendHeartbeat);
        }
        catch (ArgumentException refused) when (HeartbeatOptionsValidator.Validate(profile.Heartbeat) is { Count: > 0 } errors)
        {
            // The rule's messages name the value, the limit and the fix, not which profile nor where it is set.
            throw new ArgumentException(
                $"KeepAlive profile '{profileName}' has a heartbeat the scheduler refuses; nothing was registered. " +
                string.Join(" ", errors.Select(e => $"{KeepAliveProfiles.Describe(profiles, profileName, $"{nameof(KeepAliveProfileOptions.Heartbeat)}:{e.OptionName}")}: {e.Message}")),
                nameof(profileName),
                refused);
        }

        try
        {
            if (!local)
            {
                KeepAliveProfiles.Configure(profiles, socket, profile); // the values registered above, not a reload's
            }

            return registration;
        }
        catch
        {
            registration.Dispose();
            throw;
        }
    }
}
