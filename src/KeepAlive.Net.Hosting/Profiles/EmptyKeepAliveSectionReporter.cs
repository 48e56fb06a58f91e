using KeepAlive.Net.Hosting.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>
/// Warns once when the host starts (event 3007) for each section given to <c>services.AddKeepAlive(section)</c> that held
/// nothing it reads: no profile and no health check's thresholds (a misspelt path reads as an empty section). Its logger is
/// guarded (<see cref="KeepAliveProfileMetrics"/>): a logger that throws drops the warning, it does not stop the host.
/// </summary>
internal sealed class EmptyKeepAliveSectionReporter(IEnumerable<EmptyKeepAliveSection> sections, KeepAliveProfileMetrics metrics, IConfiguration? configuration = null, ILoggerFactory? loggerFactory = null) : IHostedService
{
    private readonly ILogger _logger = metrics.Logger(loggerFactory, "KeepAlive.Net.Hosting");

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // The same section given twice is one finding.
        foreach (var (path, finding) in sections.Where(static s => s.IsReported).Select(s => s.Describe(configuration)).Distinct())
        {
            Log.KeepAliveSectionWithoutProfiles(_logger, path, finding);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
