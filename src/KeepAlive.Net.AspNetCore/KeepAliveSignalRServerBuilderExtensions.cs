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
    /// host starts, on the values in force (a <c>Configure&lt;HubOptions&gt;</c> after this call replaces the profile's, and the
    /// start-up line, event 3105, says so): a profile whose client timeout would be below twice its interval (a reconnect loop), or whose interval
    /// is over the middlebox's budget, stops the host with the path, the values and the fix; a hub's own client timeout
    /// (<c>AddHubOptions&lt;THub&gt;</c>) is held to the same rule when the hub is mapped (and at each reload, where warning 3106 says that a restart would be refused), and a hub's keep-alive interval set in
    /// code over the profile's must be at most half the client's <c>ServerTimeout</c> the profile gives. The connections' sockets get
    /// the profile's <c>Tcp</c> section from <c>listenOptions.UseKeepAlive</c> or <c>UseTcpKeepAlive</c>.
    /// </summary>
    /// <param name="builder">The builder of <c>services.AddSignalR()</c>.</param>
    /// <param name="profileName">The profile, registered with <c>services.AddKeepAlive(...)</c>.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="InvalidOperationException">The hubs already take another profile.</exception>
    public static ISignalRServerBuilder UseKeepAlive(this ISignalRServerBuilder builder, string profileName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(profileName);
        if (builder.Services.FirstOrDefault(static d => d.ServiceType == typeof(HubProfile))?.ImplementationInstance is HubProfile existing)
        {
            return string.Equals(existing.Name, profileName, StringComparison.OrdinalIgnoreCase) ? builder : throw new InvalidOperationException(
                $"{Calls.With(Calls.HubsUseKeepAlive, profileName)}: the hubs already take profile '{existing.Name}', and one profile sets every hub's KeepAliveInterval and ClientTimeoutInterval (the last call would silently win). Fix: call UseKeepAlive once, with the profile the hubs' clients use.");
        }

        builder.Services.AddSingleton(new HubProfile(profileName));
        builder.Services.AddSingleton(services => new KeepAliveHubOptionsSetup(services, profileName));
        builder.Services.AddSingleton<IConfigureOptions<HubOptions>>(static services => services.GetRequiredService<KeepAliveHubOptionsSetup>());
        builder.Services.AddSingleton<IPostConfigureOptions<HubOptions>>(static services => services.GetRequiredService<KeepAliveHubOptionsSetup>());
        builder.Services.AddSingleton(typeof(IPostConfigureOptions<>), typeof(KeepAliveHubOptionsCheck<>)); // each hub's own HubOptions<THub>
        builder.Services.AddOptions<HubOptions>().ValidateOnStart();
        return builder;
    }

    /// <summary>The profile the hubs take: one per service collection.</summary>
    private sealed record HubProfile(string Name);
}
