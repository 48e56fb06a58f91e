using System.Runtime.CompilerServices;
using KeepAlive.Net.AspNetCore.Diagnostics;
using KeepAlive.Net.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.AspNetCore;

/// <summary>
/// Applies the settings of a profile that Kestrel and <c>UseWebSockets</c> only have server-wide: the HTTP/1.1 keep-alive
/// timeout, the HTTP/2 ping delay and timeout, and the WebSocket keep-alive interval and timeout. Two endpoints whose
/// profiles disagree on one of them stop the host, naming both.
/// </summary>
internal static class ServerWideSettings
{
    private static readonly ConditionalWeakTable<object, Dictionary<string, (string Profile, TimeSpan Value, ListenOptions Endpoint)>> Claims = [];

    /// <summary>The server-wide values a profile sets, by Kestrel's or UseWebSockets' name, as they are shown in messages.</summary>
    public static Dictionary<string, string> Values(KeepAliveProfileOptions profile)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        void Add(string setting, TimeSpan? value)
        {
            if (value is { } v)
            {
                values[setting] = KeepAliveDuration.Format(v);
            }
        }

        Add("Kestrel's Limits.KeepAliveTimeout (Http:KeepAliveTimeout)", profile.Http.KeepAliveTimeout);
        Add("Kestrel's Limits.Http2.KeepAlivePingDelay (Http:KeepAlivePingDelay)", profile.Http.KeepAlivePingDelay);
        Add("Kestrel's Limits.Http2.KeepAlivePingTimeout (Http:KeepAlivePingTimeout)", profile.Http.KeepAlivePingTimeout);
        Add("WebSocketOptions.KeepAliveInterval (WebSocket:KeepAliveInterval)", profile.WebSocket.KeepAliveInterval);
        Add("WebSocketOptions.KeepAliveTimeout (WebSocket:KeepAliveTimeout)", profile.WebSocket.KeepAliveTimeout);
        return values;
    }

    public static void Apply(ListenOptions listenOptions, string profileName, KeepAliveProfileOptions profile)
    {
        var limits = listenOptions.KestrelServerOptions.Limits;
        var server = listenOptions.KestrelServerOptions;
        if (profile.Http.KeepAliveTimeout is { } keepAlive)
        {
            Claim(server, "Http:KeepAliveTimeout", "Kestrel's Limits.KeepAliveTimeout", profileName, keepAlive, listenOptions);
            limits.KeepAliveTimeout = keepAlive;
        }

        if (profile.Http.KeepAlivePingDelay is { } delay)
        {
            Claim(server, "Http:KeepAlivePingDelay", "Kestrel's Limits.Http2.KeepAlivePingDelay", profileName, delay, listenOptions);
            limits.Http2.KeepAlivePingDelay = delay;
        }

        if (profile.Http.KeepAlivePingTimeout is { } timeout)
        {
            Claim(server, "Http:KeepAlivePingTimeout", "Kestrel's Limits.Http2.KeepAlivePingTimeout", profileName, timeout, listenOptions);
            limits.Http2.KeepAlivePingTimeout = timeout;
        }

        if (profile.WebSocket.KeepAliveInterval is null && profile.WebSocket.KeepAliveTimeout is null)
        {
            return;
        }

        // UseWebSockets() reads these options when each WebSocket is accepted, so setting them while Kestrel binds reaches every WebSocket.
        var webSockets = listenOptions.ApplicationServices.GetRequiredService<IOptions<WebSocketOptions>>().Value;
        if (profile.WebSocket.KeepAliveInterval is { } interval)
        {
            Claim(webSockets, "WebSocket:KeepAliveInterval", "WebSocketOptions.KeepAliveInterval of UseWebSockets", profileName, interval, listenOptions);
            webSockets.KeepAliveInterval = interval;
        }

        if (profile.WebSocket.KeepAliveTimeout is { } wsTimeout)
        {
            Claim(webSockets, "WebSocket:KeepAliveTimeout", "WebSocketOptions.KeepAliveTimeout of UseWebSockets", profileName, wsTimeout, listenOptions);
            webSockets.KeepAliveTimeout = wsTimeout;
        }
    }

    private static readonly ConditionalWeakTable<KestrelServerOptions, object> Verified = [];

    /// <summary>
    /// Once per server, at its first connection (when every configuration callback has run): warns for each Kestrel limit a
    /// profile set that other code has changed since, so the server runs with a value the profile did not validate.
    /// </summary>
    public static void VerifyOnce(KestrelServerOptions server, ILogger logger)
    {
        if (Verified.TryGetValue(server, out _) || !Verified.TryAdd(server, server) || !Claims.TryGetValue(server, out var claims))
        {
            return;
        }

        lock (claims)
        {
            foreach (var (setting, claim) in claims.OrderBy(static c => c.Key, StringComparer.Ordinal))
            {
                (string What, TimeSpan Actual)? current = setting switch
                {
                    "Http:KeepAliveTimeout" => ("Kestrel's Limits.KeepAliveTimeout", server.Limits.KeepAliveTimeout),
                    "Http:KeepAlivePingDelay" => ("Kestrel's Limits.Http2.KeepAlivePingDelay", server.Limits.Http2.KeepAlivePingDelay),
                    "Http:KeepAlivePingTimeout" => ("Kestrel's Limits.Http2.KeepAlivePingTimeout", server.Limits.Http2.KeepAlivePingTimeout),
                    _ => null,
                };
                if (current is { } c && c.Actual != claim.Value)
                {
                    Log.ServerWideSettingOverridden(logger, c.What, KeepAliveDuration.Format(c.Actual), KeepAliveDuration.Format(claim.Value), claim.Profile, setting);
                }
            }
        }
    }

    private static void Claim(object owner, string setting, string what, string profileName, TimeSpan value, ListenOptions endpoint)
    {
        var claims = Claims.GetOrCreateValue(owner);
        lock (claims)
        {
            if (claims.TryGetValue(setting, out var earlier) && earlier.Value != value && !string.Equals(earlier.Profile, profileName, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException(
                    $"{what} is server-wide, but KeepAlive profile '{earlier.Profile}' sets {setting} to {KeepAliveDuration.Format(earlier.Value)} and profile '{profileName}' to {KeepAliveDuration.Format(value)} {(ReferenceEquals(earlier.Endpoint, endpoint) ? $"on the same endpoint {endpoint} (ConfigureEndpointDefaults applies '{earlier.Profile}' to every endpoint, this one's own call replaces it there, but not server-wide values)" : "on another endpoint")}. Fix: give both profiles the same {setting}, or set it in one of them only.");
            }

            claims[setting] = (profileName, value, endpoint);
        }
    }
}
