using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Heartbeats;

/// <summary>
/// Owns the process's one <see cref="HeartbeatScheduler"/>: created on first use with the host's
/// <see cref="TimeProvider"/>, <see cref="ILoggerFactory"/> and <see cref="IMeterFactory"/>, stopped when the host
/// stops. After that no heartbeat is sent and no new registration is accepted.
/// </summary>
internal sealed class HeartbeatSchedulerHost(IServiceProvider services, IOptions<HeartbeatSchedulerOptions> options) : IAsyncDisposable, IDisposable
{
    private readonly Lock _lock = new();
    private HeartbeatScheduler? _scheduler;
    private bool _stopped;

    public HeartbeatScheduler Scheduler
    {
        get
        {
            lock (_lock)
            {
                if (_stopped)
                {
                    throw new ObjectDisposedException(nameof(HeartbeatScheduler), "The host's heartbeat scheduler stopped with the host: no heartbeat is sent any more, and nothing was registered. Fix: register heartbeats while the host runs, and dispose them in your own StopAsync before closing their sockets.");
                }

                return _scheduler ??= new HeartbeatScheduler(
                    services.GetService<TimeProvider>() ?? TimeProvider.System,
                    services.GetService<ILoggerFactory>(),
                    services.GetService<IMeterFactory>(),
                    options.Value);
            }
        }
    }

    /// <summary>Stops every heartbeat and the scheduler's threads; later use throws <see cref="ObjectDisposedException"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Stop() is { } scheduler)
        {
            await scheduler.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Stops every heartbeat and the scheduler's threads, synchronously.</summary>
    public void Dispose() => Stop()?.Dispose();

    private HeartbeatScheduler? Stop()
    {
        lock (_lock)
        {
            _stopped = true;
            return _scheduler;
        }
    }
}
