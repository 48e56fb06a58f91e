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
        var settings = Settings();
        settings.ThrowIfReconnectLoop(clientTimeoutInterval: options.ClientTimeoutInterval);
        var logger = (services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger("KeepAlive.Net.AspNetCore");
        if (logger.IsEnabled(LogLevel.Information) && Interlocked.Exchange(ref _logged, 1) == 0)
        {
            var applied = settings.Describe(keepAliveInterval: options.KeepAliveInterval, clientTimeoutInterval: options.ClientTimeoutInterval);
            Log.HubKeepAliveApplied(logger, profileName, applied);
        }
    }

    private KeepAliveSignalRSettings Settings() =>
        KeepAliveSignalRSettings.Create(RegisteredProfiles.From(services, "services.AddSignalR().UseKeepAlive", profileName), profileName);
}
