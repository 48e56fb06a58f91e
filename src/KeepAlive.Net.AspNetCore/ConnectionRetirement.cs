using KeepAlive.Net.AspNetCore.Diagnostics;
using KeepAlive.Net.AspNetCore.Http2;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.AspNetCore;

/// <summary>
/// Retires one Kestrel connection when it reaches its age or its request limit, then aborts it if it is still open after
/// the grace period. HTTP/1.1: Kestrel is asked to close it through <see cref="IConnectionLifetimeNotificationFeature"/>
/// (it answers with <c>Connection: close</c> and reads no further request). HTTP/2: <see cref="Http2GracefulShutdown"/>
/// first sends GOAWAY and a PING, waits the round trip and for the streams opened before it to end, and only then asks
/// Kestrel, so no request is lost (RFC 9113 §6.8).
/// </summary>
internal sealed class ConnectionRetirement : IKeepAliveRetirementFeature, IDisposable
{
    private readonly ConnectionContext _connection;
    private readonly IConnectionLifetimeNotificationFeature? _lifetime;
    private readonly TimeSpan _gracePeriod;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly string _profileName;
    private readonly Http2GracefulShutdown _http2;
    private readonly ITimer? _ageTimer;
    private ITimer? _graceTimer;
    private readonly bool _requestsCounted;
    private int _requestCount;
    private int _retiring;
    private int _disposed;

    public ConnectionRetirement(ConnectionContext connection, string profileName, TimeSpan? maxAge, int? maxRequests, TimeSpan gracePeriod, TimeProvider timeProvider, ILogger logger, Http2GracefulShutdown http2, bool requestsCounted = true)
    {
        _connection = connection;
        _requestsCounted = requestsCounted;
        _http2 = http2;
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

    /// <summary>Gets whether the connection's HTTP/2 frames are followed, so it is retired in the sequence of RFC 9113 §6.8.</summary>
    public bool FollowsHttp2Frames => _http2.IsHttp2;

    /// <summary>
    /// Counts a request before the application sees it; the request that reaches the limit is the last one.
    /// </summary>
    /// <returns><see langword="true"/> when this request retired the connection, which closes gracefully: call <see cref="StartGracePeriod()"/> when it ends.</returns>
    public bool OnRequestStarting()
    {
        var count = Interlocked.Increment(ref _requestCount);
        return count >= MaxRequests && Retire("its request limit", startGracePeriod: false);
    }

    /// <summary>
    /// Starts the grace period after which a retired connection still open is aborted. A connection retired by its request
    /// limit starts it when its last request ends, so that request (a download, a long poll, a WebSocket) is never cut short.
    /// </summary>
    public void StartGracePeriod() => StartGracePeriod("the request that reached its request limit ended");

    /// <param name="since">What the grace period counts from, as warning 3104 says it.</param>
    private void StartGracePeriod(string since)
    {
        var grace = KeepAliveDuration.Format(_gracePeriod);
        var graceTimer = _timeProvider.CreateTimer(
            _ => Abort(grace, since, $"KeepAlive profile '{_profileName}': the connection was retired and did not finish within the grace period of {grace} (Http:ConnectionCloseGracePeriod)."),
            null,
            _gracePeriod,
            Timeout.InfiniteTimeSpan);
        if (Interlocked.CompareExchange(ref _graceTimer, graceTimer, null) is not null)
        {
            graceTimer.Dispose();
        }
        else if (Volatile.Read(ref _disposed) != 0)
        {
            Interlocked.Exchange(ref _graceTimer, null)?.Dispose(); // the connection ended meanwhile: Dispose may have missed it
        }
    }

    public void Retire(string reason) => Retire(reason, startGracePeriod: true);

    private bool Retire(string reason, bool startGracePeriod)
    {
        // An age timer's callback may still run after Dispose stopped the timer: a connection that ended is not retired.
        if (Volatile.Read(ref _disposed) != 0 || Interlocked.Exchange(ref _retiring, 1) != 0)
        {
            return false;
        }

        var requests = _requestsCounted
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{RequestCount} requests")
            : "requests not counted: services." + Calls.AddKeepAliveRequestLimits + " was not called";
        Log.ConnectionRetiring(_logger, _connection.ConnectionId, _profileName, reason, requests);
        if (_lifetime is not { } lifetime)
        {
            Abort(
                KeepAliveDuration.Format(TimeSpan.Zero),
                "it was retired (its transport cannot close it gracefully: no IConnectionLifetimeNotificationFeature)",
                $"KeepAlive profile '{_profileName}': the connection was retired and its transport cannot close it gracefully (no IConnectionLifetimeNotificationFeature), so it was aborted at once.");
            return false; // aborted: no grace period to start when the request ends
        }

        if (startGracePeriod)
        {
            StartGracePeriod("it was retired");
        }

        // HTTP/2 seen in the clear: GOAWAY and PING first, Kestrel asked once the round trip is over and the streams ended.
        if (!_http2.TryBegin(lifetime.RequestClose, RoundTripLimit(_gracePeriod), _timeProvider))
        {
            lifetime.RequestClose();
        }

        return true;
    }

    /// <summary>How long an HTTP/2 client may take to acknowledge the PING sent with the first GOAWAY: 5 s, or half the grace period if shorter.</summary>
    public static TimeSpan RoundTripLimit(TimeSpan gracePeriod) => TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(5).Ticks, gracePeriod.Ticks / 2));

    public void Dispose()
    {
        Interlocked.Exchange(ref _disposed, 1);
        _ageTimer?.Dispose();
        Interlocked.Exchange(ref _graceTimer, null)?.Dispose();
        _http2.ConnectionEnded();
    }

    /// <param name="openFor">How long the connection was still open after <paramref name="since"/>.</param>
    /// <param name="since">What that time counts from: the retirement, or the end of the request that reached the limit.</param>
    /// <param name="reason">The reason the application sees on the aborted connection.</param>
    private void Abort(string openFor, string since, string reason)
    {
        Log.ConnectionGracePeriodExpired(_logger, _connection.ConnectionId, _profileName, openFor, since);
        _connection.Abort(new ConnectionAbortedException(reason));
    }
}
