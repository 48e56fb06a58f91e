using KeepAlive.Net.Hosting.Configuration;
using KeepAlive.Net.Hosting.Diagnostics;
using KeepAlive.Net.Hosting.Health;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Primitives;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>
/// Watches each section given to <c>services.AddKeepAlive(section)</c> from the host's start for what a reload adds there
/// that start-up refuses: a key other than <c>Profiles</c> and <c>Health</c> (event 3009), or a <c>Health</c> section no
/// keep-alive health check reads (event 3010; one a check reads is that check's to watch, event 3006). A reload cannot stop
/// the host, so nothing reads it and nothing in force changes, and that is said with start-up's reason and fix, once per
/// key or section added however many change events the file watcher raises; one removed and added again is said again.
/// </summary>
internal sealed class KeepAliveSectionReload(
    IEnumerable<KeepAliveSection> sections,
    IEnumerable<SectionBinding<KeepAliveHealthCheckOptions>> healthBindings,
    IEnumerable<KeepAliveHealthCheckRegistration> healthChecks,
    ILoggerFactory? loggerFactory = null) : IHostedService, IDisposable
{
    private readonly ILogger _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("KeepAlive.Net.Hosting");
    private readonly KeepAliveSection[] _sections = [.. sections.DistinctBy(static s => s.Path, StringComparer.OrdinalIgnoreCase)];
    private readonly List<IDisposable> _subscriptions = [];
    private readonly HashSet<string> _said = new(StringComparer.OrdinalIgnoreCase); // under the lock: the paths said
    private readonly Lock _lock = new();

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            foreach (var section in _sections)
            {
                _subscriptions.Add(ChangeToken.OnChange(section.Section.GetReloadToken, Check));
            }
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var subscription in _subscriptions)
            {
                subscription.Dispose();
            }

            _subscriptions.Clear();
        }
    }

    // Every section, at any one's reload: what is there now and was not said since it last appeared.
    private void Check()
    {
        var unknown = _sections.SelectMany(static s => s.UnknownKeys()).ToList();
        var unread = _sections.Select(static s => s.Health?.Path).OfType<string>()
            .Select(path => (Path: path, Unread: KeepAliveHealthCheckOptionsValidator.Unread(path, healthBindings, healthChecks)))
            .Where(static h => h.Unread is not null).ToList();
        lock (_lock)
        {
            _said.IntersectWith([.. unknown.Select(static u => u.Path), .. unread.Select(static h => h.Path)]);
            foreach (var (path, finding, fix) in unknown.Where(u => _said.Add(u.Path)))
            {
                Log.UnknownKeyAddedAfterStartUp(_logger, path, finding, fix);
            }

            foreach (var (path, why) in unread.Where(h => _said.Add(h.Path)))
            {
                Log.HealthSectionAddedAfterStartUp(_logger, path, why!, KeepAliveHealthCheckOptionsValidator.ReadingCall(path));
            }
        }
    }
}
