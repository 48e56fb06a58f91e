namespace KeepAlive.Net.Heartbeats;

/// <summary>A registration's rare state, made on first need: event handlers, incident counters, cancellation, <see cref="InFlightSend"/>.</summary>
internal sealed class SlotExtras
{
    private static readonly CancellationTokenSource CanceledSource = new(TimeSpan.Zero); // a zero delay cancels it at once
    private CancellationTokenSource? _cancellation;

    public EventHandler<PeerDeadEventArgs>? PeerDead { get; set; }
    public EventHandler<HeartbeatDelayedEventArgs>? Delayed { get; set; }
    public IncidentCounters Incidents { get; } = new();
    public InFlightSend? InFlight { get; set; }

    /// <summary>
    /// Gets a token cancelled when the registration or the scheduler stops; not linked to the scheduler's (which would keep a
    /// node per registration ever made): <see cref="SlotTable.CancelAll"/> cancels it, or this call if made while stopping.
    /// </summary>
    public CancellationToken GetToken(CancellationToken stopping)
    {
        var source = Volatile.Read(ref _cancellation);
        if (source is null)
        {
            var created = new CancellationTokenSource();
            source = Interlocked.CompareExchange(ref _cancellation, created, null) ?? created;
            if (!ReferenceEquals(source, created))
            {
                created.Dispose();
            }
            else if (stopping.IsCancellationRequested)
            {
                Cancel(); // the scheduler stopped while this was made: CancelAll may have missed it
            }
        }

        try
        {
            return source.Token;
        }
        catch (ObjectDisposedException)
        {
            return new CancellationToken(canceled: true);
        }
    }

    /// <summary>Cancels sends in flight and releases the source.</summary>
    public void Cancel()
    {
        var source = Interlocked.Exchange(ref _cancellation, CanceledSource);
        if (source is null || ReferenceEquals(source, CanceledSource))
        {
            return;
        }

        try
        {
            source.Cancel();
        }
        catch (AggregateException)
        {
            // A user's cancellation callback threw; stopping must not.
        }

        source.Dispose();
    }
}
