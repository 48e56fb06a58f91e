using KeepAlive.Net.AspNetCore;
using KeepAlive.Net.Hosting;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Applies a keep-alive profile to SignalR hubs.</summary>
public static class KeepAliveSignalRServerBuilderExtensions
{
    /// <summary>
    /// Gives every hub the profile's SignalR values by the fixed mapping: <c>SignalR:KeepAliveInterval</c>, else
    /// <c>Heartbeat:Interval</c>, as the hub's <c>KeepAliveInterval</c>; <c>SignalR:ClientTimeoutInterval</c>, else
    /// <c>Heartbeat:Timeout</c>, as its <c>ClientTimeoutInterval</c>; unset keeps SignalR's 15 s and 30 s. Checked when the
    /// host starts: a profile whose client timeout would be below twice its interval (a reconnect loop), or whose interval
    /// is over the middlebox's budget, stops the host with the path, the values and the fix. The connections' sockets get
    /// the profile's <c>Tcp</c> section from <c>listenOptions.UseKeepAlive</c> or <c>UseTcpKeepAlive</c>.
    /// </summary>
    /// <param name="builder">The builder of <c>services.AddSignalR()</c>.</param>
    /// <param name="profileName">The profile, registered with <c>services.AddKeepAlive(...)</c>.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ISignalRServerBuilder UseKeepAlive(this ISignalRServerBuilder builder, string profileName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(profileName);
        builder.Services.AddSingleton<IConfigureOptions<HubOptions>>(services => new KeepAliveHubOptionsSetup(services, profileName));
        builder.Services.AddOptions<HubOptions>().ValidateOnStart();
        return builder;
    }
}
