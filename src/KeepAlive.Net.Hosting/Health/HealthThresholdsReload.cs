using System.Globalization;
using KeepAlive.Net.Hosting.Configuration;
using KeepAlive.Net.Hosting.Diagnostics;
using KeepAlive.Net.Hosting.Profiles;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Health;

/// <summary>
/// Says when the health check's thresholds section changes after start-up. The check reads its thresholds once, so event
/// 3006 names each value that stays (or why the change would be refused) and the fix, once per distinct change: a reload
/// of another section, or the file watcher's second event for one save, repeats nothing. Checks reading one section are
/// watched once (<see cref="KeepAliveTelemetryListenerService"/>), so their change is said once too.
/// </summary>
/// <param name="binding">How the section is read (with the reader's refusals), and its path.</param>
/// <param name="section">The thresholds' section, whose reloads are watched.</param>
/// <param name="services">The application's services: the taken thresholds, their validators, the logger.</param>
internal sealed class HealthThresholdsReload(SectionBinding<KeepAliveHealthCheckOptions> binding, IConfiguration section, IServiceProvider services)
{
    private readonly Lock _lock = new();
    private string _reported = string.Empty;
    private Dictionary<string, string> _taken = [];
    private List<IValidateOptions<KeepAliveHealthCheckOptions>> _validators = [];
    private ILogger _logger = NullLogger.Instance;

    /// <summary>Gets the thresholds' section, whose reloads are watched.</summary>
    public IConfiguration Section => section;

    /// <summary>Gets the section's path, as messages name it.</summary>
    public string Path => binding.Path;

    /// <summary>Takes the thresholds the check runs with (the host's start, before the section is watched; called once).</summary>
    public void Start()
    {
        _taken = Values(services.GetRequiredService<IOptionsMonitor<KeepAliveHealthCheckOptions>>().Get(binding.Name));
        _validators = [.. services.GetServices<IValidateOptions<KeepAliveHealthCheckOptions>>()];
        _logger = KeepAliveProfileMetrics.Logger(services, typeof(KeepAliveHealthCheckOptions).FullName!); // CreateLogger<T>'s category
    }

    /// <summary>Reads the section as it is now and says what the check does not apply (a reload of its configuration).</summary>
    public void Check()
    {
        // Read and validated as at start-up: the same paths, values and fixes.
        var now = new KeepAliveHealthCheckOptions();
        binding.Configure(binding.Name, now);
        var failures = _validators.Select(v => v.Validate(binding.Name, now)).Where(static r => r.Failed).SelectMany(static r => r.Failures ?? []).ToList();
        var changes = failures.Count > 0
            ? $"every threshold stays, and the section now would be refused: {string.Join(" | ", failures).TrimEnd('.')}"
            : TakenOnce.Changes(_taken, Values(now), "the health check", "the section");
        lock (_lock)
        {
            if (changes == _reported)
            {
                return;
            }

            _reported = changes;
        }

        if (changes.Length > 0)
        {
            Log.HealthReloadNotApplied(_logger, binding.Path, changes);
        }
    }

    // Every threshold by its path, as written in configuration (the schema's keys: a new option is watched with no list to keep).
    private Dictionary<string, string> Values(KeepAliveHealthCheckOptions options) =>
        OptionsSchema.For<KeepAliveHealthCheckOptions>().Keys.ToDictionary(
            k => $"{binding.Path}:{k.Name}",
            k => k.GetValue(options) switch
            {
                TimeSpan duration => KeepAliveDuration.Format(duration),
                IFormattable value => value.ToString(null, CultureInfo.InvariantCulture),
                var value => value?.ToString() ?? "not set",
            });
}
