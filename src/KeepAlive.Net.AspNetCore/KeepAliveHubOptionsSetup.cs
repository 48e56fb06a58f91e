using KeepAlive.Net.AspNetCore.Diagnostics;
using KeepAlive.Net.Hosting;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.AspNetCore;

/// <summary>Sets the hubs' keep-alive interval and client timeout from a profile (<c>services.AddSignalR().UseKeepAlive</c>), when the host starts.</summary>
internal sealed class KeepAliveHubOptionsSetup(IServiceProvider services, string profileName) : IConfigureOptions<HubOptions>
{
    // HubOptions are built twice (IOptions for SignalR, IOptionsMonitor for ValidateOnStart): one start-up line says it.
    private int _logged;

    public void Configure(HubOptions options)
    {
        var profiles = RegisteredProfiles.From(services, "services.AddSignalR().UseKeepAlive", profileName);
        var settings = KeepAliveSignalRSettings.Create(profiles, profileName);
        if (settings.KeepAliveInterval is { } interval)
        {
            options.KeepAliveInterval = interval;
        }

        if (settings.ClientTimeoutInterval is { } timeout)
        {
            options.ClientTimeoutInterval = timeout;
        }

        settings.ThrowIfReconnectLoop(clientTimeoutInterval: options.ClientTimeoutInterval);
        ReloadWatch.Warn(services, profileName, "The SignalR hubs' HubOptions", p => KeepAliveSignalRSettings.Create(p, profileName) is var s
            ? new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["KeepAliveInterval"] = s.KeepAliveInterval is { } i ? KeepAliveDuration.Format(i) : "SignalR's default",
                ["ClientTimeoutInterval"] = s.ClientTimeoutInterval is { } t ? KeepAliveDuration.Format(t) : "SignalR's default",
            }
            : []);
        var logger = (services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger("KeepAlive.Net.AspNetCore");
        if (logger.IsEnabled(LogLevel.Information) && Interlocked.Exchange(ref _logged, 1) == 0)
        {
            var applied = settings.Describe(keepAliveInterval: options.KeepAliveInterval, clientTimeoutInterval: options.ClientTimeoutInterval);
            Log.HubKeepAliveApplied(logger, profileName, applied);
        }
    }
}
