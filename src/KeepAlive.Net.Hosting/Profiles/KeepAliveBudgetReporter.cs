using KeepAlive.Net.Hosting.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>Logs, when the host starts (after every profile was validated), one line per profile with every layer's timers against its budget.</summary>
internal sealed class KeepAliveBudgetReporter(IKeepAliveProfiles profiles, ILoggerFactory? loggerFactory = null) : IHostedService
{
    private readonly ILogger _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("KeepAlive.Net.Hosting");

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var name in profiles.Names)
        {
            if (_logger.IsEnabled(LogLevel.Information))
            {
                var budget = KeepAliveBudget.Describe(profiles.GetProfile(name));
                Log.ProfileBudget(_logger, name, budget);
            }
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
