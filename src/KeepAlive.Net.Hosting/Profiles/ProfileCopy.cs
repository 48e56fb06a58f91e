using System.Reflection;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>
/// The copy of a profile's values that <see cref="IKeepAliveProfiles.GetProfile"/> hands out: the values taken stay in the
/// profiles, and a caller that changes what it got (<c>GetProfile("payments").Heartbeat.Interval = ...</c>) changes its own
/// copy, not every later caller's, new connections' or <c>IOptionsMonitor</c>'s.
/// </summary>
internal static class ProfileCopy
{
    // A field-by-field copy keeps what setters would change: which TCP fields were set (TcpKeepAliveOptions.UnsetValues
    // KeepCurrent) and whether Heartbeat:Interval was (IsIntervalSet). The sections hold values only (TimeSpan, enums,
    // strings, PeerIdleTimeout), so copying each section's fields copies its values.
    private static readonly Func<object, object> Fields =
        typeof(object).GetMethod(nameof(MemberwiseClone), BindingFlags.Instance | BindingFlags.NonPublic)!.CreateDelegate<Func<object, object>>();

    /// <summary>Copies a profile and each of its sections.</summary>
    /// <param name="taken">The values the profiles keep.</param>
    /// <returns>A copy that shares no section with <paramref name="taken"/>.</returns>
    public static KeepAliveProfileOptions Of(KeepAliveProfileOptions taken)
    {
        var copy = (KeepAliveProfileOptions)Fields(taken);
        copy.Tcp = (TcpKeepAliveOptions)Fields(taken.Tcp);
        copy.Heartbeat = (HeartbeatOptions)Fields(taken.Heartbeat);
        copy.Http = (HttpKeepAliveOptions)Fields(taken.Http);
        copy.WebSocket = (WebSocketKeepAliveOptions)Fields(taken.WebSocket);
        copy.SignalR = (SignalRKeepAliveOptions)Fields(taken.SignalR);
        return copy;
    }
}
