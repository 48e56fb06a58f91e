using KeepAlive.Net.Hosting.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Primitives;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>
/// Watches each section given to <c>services.AddKeepAlive(section)</c> from the host's start for what a reload adds there
/// that start-up refuses: a key other than <c>Profiles</c> and <c>Health</c> (event 3009). A reload cannot stop the host, so
/// nothing reads it and nothing in force changes, and that is said with start-up's finding and fix, once per key added
/// however many change events the file watcher raises; a key removed and added again is said again.
/// </summary>
internal sealed class KeepAliveSectionReload(IEnumerable<KeepAliveSection> sections, ILoggerFactory? loggerFactory = null) : IHostedService, IDisposable
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
        lock (_lock)
        {
            _said.IntersectWith(unknown.Select(static u => u.Path));
            foreach (var (path, finding, fix) in unknown.Where(u => _said.Add(u.Path)))
            {
                Log.UnknownKeyAddedAfterStartUp(_logger, path, finding, fix);
            }
        }
    }
}
