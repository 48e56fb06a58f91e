using KeepAlive.Net.Hosting.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>
/// Logs, when the host starts (after every profile was validated), one line per profile with every layer's timers against
/// its budget, and a warning for each ping timeout that thread-pool starvation could make misfire (as an accepted reload does).
/// Both through guarded loggers (<see cref="KeepAliveProfileMetrics"/>): a logger that throws drops the line, it does not stop the host.
/// </summary>
internal sealed class KeepAliveBudgetReporter(KeepAliveProfiles profiles, KeepAliveProfileMetrics metrics, ILoggerFactory? loggerFactory = null) : IHostedService
{
    private readonly ILogger _logger = metrics.Logger(loggerFactory, "KeepAlive.Net.Hosting");

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
