using KeepAlive.Net.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.AspNetCore;

/// <summary>
/// Retires one Kestrel connection when it reaches its age or its request limit: asks Kestrel to close it through
/// <see cref="IConnectionLifetimeNotificationFeature"/> (HTTP/1.1 answers with <c>Connection: close</c> and stops
/// reading requests, HTTP/2 sends GOAWAY and lets open streams finish), then aborts it if it is still open after the
/// grace period.
/// </summary>
internal sealed class ConnectionRetirement : IKeepAliveRetirementFeature, IDisposable
{
    private readonly ConnectionContext _connection;
    private readonly IConnectionLifetimeNotificationFeature? _lifetime;
    private readonly TimeSpan _gracePeriod;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly string _profileName;
    private readonly ITimer? _ageTimer;
    private ITimer? _graceTimer;
    private int _requestCount;
    private int _retiring;

    public ConnectionRetirement(ConnectionContext connection, string profileName, TimeSpan? maxAge, int? maxRequests, TimeSpan gracePeriod, TimeProvider timeProvider, ILogger logger)
    {
        _connection = connection;
        _lifetime = connection.Features.Get<IConnectionLifetimeNotificationFeature>();
        _profileName = profileName;
        _gracePeriod = gracePeriod;
        _timeProvider = timeProvider;
        _logger = logger;
        MaxAge = maxAge;
        MaxRequests = maxRequests;
        if (maxAge is { } age)
        {
            _ageTimer = timeProvider.CreateTimer(static s => ((ConnectionRetirement)s!).Retire("its maximum age"), this, age, Timeout.InfiniteTimeSpan);
        }
    }

    public TimeSpan? MaxAge { get; }

    public int? MaxRequests { get; }

    public int RequestCount => Volatile.Read(ref _requestCount);

    public bool IsRetiring => Volatile.Read(ref _retiring) != 0;

    /// <summary>Counts a request before the application sees it; the request that reaches the limit is the last one.</summary>
    public void OnRequestStarting()
    {
        var count = Interlocked.Increment(ref _requestCount);
        if (count >= MaxRequests)
        {
            Retire("its request limit");
        }
    }

    public void Retire(string reason)
    {
        if (Interlocked.Exchange(ref _retiring, 1) != 0)
        {
            return;
        }

        Log.ConnectionRetiring(_logger, _connection.ConnectionId, _profileName, reason, RequestCount);
        var graceTimer = _timeProvider.CreateTimer(static s => ((ConnectionRetirement)s!).Abort(), this, _gracePeriod, Timeout.InfiniteTimeSpan);
        if (Interlocked.CompareExchange(ref _graceTimer, graceTimer, null) is not null)
        {
            graceTimer.Dispose();
        }

        if (_lifetime is null)
        {
            Abort();
            return;
        }

        _lifetime.RequestClose();
    }

    public void Dispose()
    {
        _ageTimer?.Dispose();
        Interlocked.Exchange(ref _graceTimer, null)?.Dispose();
    }

    private void Abort()
    {
        Log.ConnectionGracePeriodExpired(_logger, _connection.ConnectionId, _profileName, _gracePeriod);
        _connection.Abort(new ConnectionAbortedException($"KeepAlive profile '{_profileName}': the connection was retired and did not finish within the grace period of {_gracePeriod}."));
    }
}
