using System.Globalization;
using KeepAlive.Net.Hosting.Configuration;
using KeepAlive.Net.Hosting.Diagnostics;
using KeepAlive.Net.Hosting.Profiles;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace KeepAlive.Net.Hosting.Health;

/// <summary>
/// Says when the health check's thresholds section changes after start-up. The check reads its thresholds once, so event
/// 3006 names each value that stays (or why the change would be refused) and the fix, once per distinct change: a reload
/// of another section, or the file watcher's second event for one save, repeats nothing.
/// </summary>
/// <param name="binding">How the section is read (with the reader's refusals), and its path.</param>
/// <param name="section">The thresholds' section, whose reloads are watched.</param>
/// <param name="services">The application's services: the taken thresholds, their validators, the logger.</param>
internal sealed class HealthThresholdsReload(SectionBinding<KeepAliveHealthCheckOptions> binding, IConfiguration section, IServiceProvider services) : IDisposable
{
    private readonly Lock _lock = new();
    private IDisposable? _subscription;
    private string _reported = string.Empty;

    /// <summary>Takes the thresholds the check runs with and starts watching (the host's start; called once).</summary>
    public void Start()
    {
        var taken = Values(services.GetRequiredService<IOptionsMonitor<KeepAliveHealthCheckOptions>>().Get(binding.Name));
        var validators = services.GetServices<IValidateOptions<KeepAliveHealthCheckOptions>>().ToList();
        var logger = KeepAliveProfileMetrics.Logger(services, typeof(KeepAliveHealthCheckOptions).FullName!); // CreateLogger<T>'s category
        _subscription = ChangeToken.OnChange(section.GetReloadToken, () => Check(taken, validators, logger));
    }

    public void Dispose() => _subscription?.Dispose();

    private void Check(Dictionary<string, string> taken, List<IValidateOptions<KeepAliveHealthCheckOptions>> validators, ILogger logger)
    {
        // Read and validated as at start-up: the same paths, values and fixes.
        var now = new KeepAliveHealthCheckOptions();
        binding.Configure(binding.Name, now);
        var failures = validators.Select(v => v.Validate(binding.Name, now)).Where(static r => r.Failed).SelectMany(static r => r.Failures ?? []).ToList();
        var changes = failures.Count > 0
            ? $"every threshold stays, and the section now would be refused: {string.Join(" | ", failures).TrimEnd('.')}"
            : TakenOnce.Changes(taken, Values(now), "the health check", "the section");
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
            Log.HealthReloadNotApplied(logger, binding.Path, changes);
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
