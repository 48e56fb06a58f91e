using KeepAlive.Net.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// The lateness accounting of one heartbeat stream, shared by <see cref="HeartbeatRegistration"/> and
/// <see cref="DriftMonitor"/>: lateness and send duration, skipped heartbeats, warning threshold and budget,
/// cause attribution, log messages, metrics and statistics. Allocates only for a delayed heartbeat.
/// </summary>
internal sealed class DriftTracker
{
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly HeartbeatMetrics _metrics;
    private readonly RuntimeSampler _sampler;
    private readonly KeyValuePair<string, object?> _nameTag;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _threshold;
    private readonly TimeSpan? _margin;
    private readonly string _peerText;
    private long _sent;
    private long _failed;
    private long _skipped;
    private long _delayed;
    private long _blocked;
    private long _maxLateness;
    private long _lastLateness;
    private long _lastSendDuration;
    private int _lastCause;
    private int _peerDead;

    public DriftTracker(HeartbeatOptions options, TimeProvider timeProvider, ILogger logger, HeartbeatMetrics metrics, RuntimeSampler sampler)
    {
        Name = options.Name ?? string.Empty;
        _timeProvider = timeProvider;
        _logger = logger;
        _metrics = metrics;
        _sampler = sampler;
        _nameTag = HeartbeatMetrics.NameTag(Name);
        _interval = options.Interval;
        _threshold = options.DriftWarningThreshold;
        BlockedThreshold = options.BlockedCallbackThreshold;
        if (options.PeerIdleTimeout is { } peer)
        {
            _margin = peer.Value - options.Interval - options.Jitter;
            _peerText = peer.ToString();
        }
        else
        {
            _peerText = "none";
        }
    }

    /// <summary>Raised (inline, exceptions caught) for every delayed heartbeat.</summary>
    public event EventHandler<HeartbeatDelayedEventArgs>? Delayed;

    public string Name { get; }

    public TimeSpan BlockedThreshold { get; }

    public long SentCount => Interlocked.Read(ref _sent);

    public object? EventSender { get; set; }

    /// <summary>How many whole intervals passed after <paramref name="lateness"/>: due heartbeats folded into this one.</summary>
    public long SkippedFor(TimeSpan lateness) => lateness.Ticks / _interval.Ticks;

    public HeartbeatLatenessReport Record(long due, long start, TimeSpan sendDuration, Exception? failure, bool sendBlocked, int queuedAhead, bool overloaded)
    {
        var lateness = _timeProvider.GetElapsedTime(due, start);
        if (lateness < TimeSpan.Zero)
        {
            lateness = TimeSpan.Zero;
        }

        var skipped = SkippedFor(lateness);
        var budgetExceeded = _margin is { } margin && lateness >= margin;
        var budgetWarning = _margin is { } half && lateness >= half / 2;
        var delayed = lateness >= _threshold || budgetWarning || budgetExceeded;
        var cause = HeartbeatDelayCause.None;
        var evidenceText = string.Empty;
        if (delayed)
        {
            var endedAgo = _timeProvider.GetElapsedTime(start, _timeProvider.GetTimestamp());
            var evidence = _sampler.GetEvidence(endedAgo < TimeSpan.Zero ? TimeSpan.Zero : endedAgo, lateness);
            (cause, evidenceText) = CauseAnalyzer.Analyze(lateness, sendBlocked || sendDuration >= BlockedThreshold, queuedAhead, overloaded, evidence);
        }

        var report = new HeartbeatLatenessReport(lateness, sendDuration, cause, delayed, budgetExceeded, skipped);
        Account(report, failure);
        if (delayed)
        {
            ReportDelayed(report, evidenceText);
        }

        return report;
    }

    public void RecordBlocked(TimeSpan running, string kind)
    {
        Interlocked.Increment(ref _blocked);
        _metrics.Blocked.Add(1, _nameTag);
        Log.HeartbeatSendBlocked(_logger, Name, running.TotalMilliseconds, BlockedThreshold.TotalMilliseconds, kind);
    }

    public bool TryRecordPeerDead(string reason)
    {
        if (Interlocked.Exchange(ref _peerDead, 1) != 0)
        {
            return false;
        }

        _metrics.PeerDead.Add(1, _nameTag);
        Log.PeerDead(_logger, Name, reason);
        return true;
    }

    public void ReportHandlerFailure(Exception exception, string eventName) => Log.HeartbeatHandlerFailed(_logger, exception, Name, eventName);

    public HeartbeatStatistics GetStatistics() => new()
    {
        Sent = Interlocked.Read(ref _sent),
        Failed = Interlocked.Read(ref _failed),
        Skipped = Interlocked.Read(ref _skipped),
        Delayed = Interlocked.Read(ref _delayed),
        Blocked = Interlocked.Read(ref _blocked),
        MaxLateness = TimeSpan.FromTicks(Interlocked.Read(ref _maxLateness)),
        LastLateness = TimeSpan.FromTicks(Interlocked.Read(ref _lastLateness)),
        LastSendDuration = TimeSpan.FromTicks(Interlocked.Read(ref _lastSendDuration)),
        LastDelayCause = (HeartbeatDelayCause)Volatile.Read(ref _lastCause),
        PeerDead = Volatile.Read(ref _peerDead) != 0,
    };

    private void Account(in HeartbeatLatenessReport report, Exception? failure)
    {
        var latenessTicks = report.Lateness.Ticks;
        Interlocked.Exchange(ref _lastLateness, latenessTicks);
        Interlocked.Exchange(ref _lastSendDuration, report.SendDuration.Ticks);
        InterlockedMax.Raise(ref _maxLateness, latenessTicks);

        var causeTag = HeartbeatMetrics.CauseTag(report.Cause);
        _metrics.Lateness.Record(report.Lateness.TotalSeconds, _nameTag, causeTag);
        _metrics.SendDuration.Record(report.SendDuration.TotalSeconds, _nameTag);
        if (failure is null)
        {
            Interlocked.Increment(ref _sent);
            _metrics.Sent.Add(1, _nameTag);
        }
        else
        {
            Interlocked.Increment(ref _failed);
            _metrics.Failed.Add(1, _nameTag);
            Log.HeartbeatSendFailed(_logger, failure, Name);
        }

        if (report.Skipped > 0)
        {
            Interlocked.Add(ref _skipped, report.Skipped);
            _metrics.Skipped.Add(report.Skipped, _nameTag);
            Log.HeartbeatSkipped(_logger, Name, report.Skipped);
        }

        if (report.IsDelayed)
        {
            Interlocked.Increment(ref _delayed);
            Volatile.Write(ref _lastCause, (int)report.Cause);
            _metrics.Delayed.Add(1, _nameTag, causeTag);
        }
    }

    private void ReportDelayed(in HeartbeatLatenessReport report, string evidence)
    {
        var lateMs = report.Lateness.TotalMilliseconds;
        var marginMs = _margin?.TotalMilliseconds ?? 0;
        if (report.BudgetExceeded)
        {
            Log.HeartbeatBudgetExceeded(_logger, Name, lateMs, marginMs, _peerText, report.Cause, evidence);
        }
        else if (_margin is { } margin && report.Lateness >= margin / 2)
        {
            Log.HeartbeatBudgetWarning(_logger, Name, lateMs, marginMs, _peerText, report.Cause, evidence);
        }
        else
        {
            Log.HeartbeatLate(_logger, Name, lateMs, _threshold.TotalMilliseconds, report.Cause, evidence, report.Skipped);
        }

        var handler = Delayed;
        if (handler is not null)
        {
            try
            {
                handler(EventSender, new HeartbeatDelayedEventArgs(Name, report, evidence));
            }
            catch (Exception exception)
            {
                ReportHandlerFailure(exception, "Delayed");
            }
        }
    }
}
