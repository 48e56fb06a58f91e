using System.Net.WebSockets;
using System.Runtime.Versioning;

namespace KeepAlive.Net.Hosting;

/// <summary>Applies a keep-alive profile's <c>WebSocket</c> section to a <see cref="ClientWebSocket"/>.</summary>
public static class KeepAliveClientWebSocketExtensions
{
    /// <summary>
    /// Sets <see cref="ClientWebSocketOptions.KeepAliveInterval"/> and <see cref="ClientWebSocketOptions.KeepAliveTimeout"/>
    /// from a profile's <c>WebSocket</c> section (values the profile leaves unset keep the client's own). With a timeout,
    /// the client sends PINGs and aborts the WebSocket when a PONG does not arrive within the timeout.
    /// </summary>
    /// <param name="options">The options of a <see cref="ClientWebSocket"/> that has not connected yet.</param>
    /// <param name="profiles">The registered profiles.</param>
    /// <param name="profileName">The profile's name.</param>
    /// <returns>The options, for chaining.</returns>
    /// <exception cref="InvalidOperationException">No profile of that name is registered, or the WebSocket has already connected.</exception>
    [UnsupportedOSPlatform("browser")]
    public static ClientWebSocketOptions UseKeepAlive(this ClientWebSocketOptions options, IKeepAliveProfiles profiles, string profileName)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(profiles);
        var webSocket = profiles.GetProfile(profileName).WebSocket;
        if (webSocket.KeepAliveInterval is { } interval)
        {
            options.KeepAliveInterval = interval;
        }

        if (webSocket.KeepAliveTimeout is { } timeout)
        {
            options.KeepAliveTimeout = timeout;
        }

        return options;
    }
}
