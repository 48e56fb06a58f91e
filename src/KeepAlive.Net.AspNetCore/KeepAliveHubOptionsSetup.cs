using System.Collections.Concurrent;
using KeepAlive.Net.AspNetCore.Diagnostics;
using KeepAlive.Net.Hosting;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.AspNetCore;

/// <summary>
/// Sets the hubs' keep-alive interval and client timeout from a profile (<c>services.AddSignalR().UseKeepAlive</c>), when the
/// host starts; checks and reports the values in force after every other configuration (a <c>Configure&lt;HubOptions&gt;</c>
/// after the call runs after the profile's values).
/// </summary>
internal sealed class KeepAliveHubOptionsSetup(IServiceProvider services, string profileName) : IConfigureOptions<HubOptions>, IPostConfigureOptions<HubOptions>
{
    // HubOptions are built twice (IOptions for SignalR, IOptionsMonitor for ValidateOnStart): one start-up line says it.
    private int _logged;
    private readonly ConcurrentDictionary<Type, byte> _hubsLogged = new();

    public void Configure(HubOptions options)
    {
        var settings = Settings();
        if (settings.KeepAliveInterval is { } interval)
        {
            options.KeepAliveInterval = interval;
        }

        if (settings.ClientTimeoutInterval is { } timeout)
        {
            options.ClientTimeoutInterval = timeout;
        }

        ReloadWatch.Warn(services, profileName, "The SignalR hubs' HubOptions", p => KeepAliveSignalRSettings.Create(p, profileName) is var s
            ? new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["KeepAliveInterval"] = s.KeepAliveInterval is { } i ? KeepAliveDuration.Format(i) : "SignalR's default",
                ["ClientTimeoutInterval"] = s.ClientTimeoutInterval is { } t ? KeepAliveDuration.Format(t) : "SignalR's default",
            }
            : []);
    }

    public void PostConfigure(string? name, HubOptions options)
    {
        Settings().ThrowIfReconnectLoop(clientTimeoutInterval: options.ClientTimeoutInterval, hubKeepAliveInterval: options.KeepAliveInterval);
        if (Interlocked.Exchange(ref _logged, 1) == 0)
        {
            Report("SignalR hubs use", options.KeepAliveInterval, options.ClientTimeoutInterval);
        }
    }

    /// <summary>
    /// Holds one hub's own options (<c>AddHubOptions&lt;THub&gt;</c>, which replace every hub's values for it) to the rule every
    /// hub's are held to, and gives that hub a start-up line of its own when it runs with other values than every hub's.
    /// </summary>
    public void CheckHub(HubOptions options, Type hub)
    {
        // A value the hub's options leave unset is every hub's (SignalR falls back to HubOptions), checked already.
        var everyHubs = services.GetRequiredService<IOptions<HubOptions>>().Value;
        var (interval, timeout) = (options.KeepAliveInterval ?? everyHubs.KeepAliveInterval, options.ClientTimeoutInterval ?? everyHubs.ClientTimeoutInterval);
        Settings().ThrowIfReconnectLoop(clientTimeoutInterval: timeout, hubOptions: $"HubOptions<{hub.Name}>", hubKeepAliveInterval: interval);
        if ((interval, timeout) != (everyHubs.KeepAliveInterval, everyHubs.ClientTimeoutInterval) && _hubsLogged.TryAdd(hub, 0))
        {
            Report($"SignalR hub {hub.Name} (AddHubOptions<{hub.Name}>) uses", interval, timeout);
        }
    }

    // The start-up line (3105): the values in force, and where each comes from.
    private void Report(string hubs, TimeSpan? keepAliveInterval, TimeSpan? clientTimeoutInterval)
    {
        var logger = (services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger("KeepAlive.Net.AspNetCore");
        if (logger.IsEnabled(LogLevel.Information))
        {
            var applied = Settings().Describe(keepAliveInterval: keepAliveInterval, clientTimeoutInterval: clientTimeoutInterval);
            Log.HubKeepAliveApplied(logger, hubs, profileName, applied);
        }
    }

    private KeepAliveSignalRSettings Settings() =>
        KeepAliveSignalRSettings.Create(RegisteredProfiles.From(services, "services.AddSignalR().UseKeepAlive", profileName), profileName);
}

/// <summary>
/// One hub's options (<c>HubOptions&lt;THub&gt;</c>: SignalR copies every hub's values into them, then <c>AddHubOptions&lt;THub&gt;</c>
/// may replace them): checked as <see cref="KeepAliveHubOptionsSetup"/> checks every hub's, when SignalR builds them (at <c>MapHub</c>).
/// Registered for every options type; the container takes it only where <typeparamref name="TOptions"/> is a <see cref="HubOptions"/>.
/// </summary>
internal sealed class KeepAliveHubOptionsCheck<TOptions>(KeepAliveHubOptionsSetup setup) : IPostConfigureOptions<TOptions>
    where TOptions : HubOptions
{
    public void PostConfigure(string? name, TOptions options)
    {
        if (typeof(TOptions) is { IsGenericType: true } hubOptions && hubOptions.GetGenericTypeDefinition() == typeof(HubOptions<>))
        {
            setup.CheckHub(options, hubOptions.GenericTypeArguments[0]);
        }
    }
}
