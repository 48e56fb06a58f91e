using KeepAlive.Net.Hosting.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>
/// Logs, when the host starts (after every profile was validated), one line per profile with every layer's timers against
/// its budget, and a warning for each ping timeout that thread-pool starvation could make misfire (as an accepted reload does).
/// </summary>
internal sealed class KeepAliveBudgetReporter(KeepAliveProfiles profiles, ILoggerFactory? loggerFactory = null) : IHostedService
{
    private readonly ILogger _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("KeepAlive.Net.Hosting");

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var name in profiles.Names)
        {
            var profile = profiles.GetProfile(name);
            if (_logger.IsEnabled(LogLevel.Information))
            {
                var budget = KeepAliveBudget.Describe(profile);
                Log.ProfileBudget(_logger, name, budget);
            }

            profiles.WarnOfPingTimeouts(name, profile);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
