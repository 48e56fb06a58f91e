namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// The rare state of one registration, allocated on first need so that a healthy registration without event handlers costs
/// only its <see cref="Slot"/>: event handlers and incident counters (telemetry's), the cancellation source and the
/// <see cref="InFlightSend"/> (the engine's).
/// </summary>
internal sealed class SlotExtras
{
    private static readonly CancellationTokenSource CanceledSource = new(TimeSpan.Zero); // a zero delay cancels it at once
    private CancellationTokenSource? _cancellation;

    public EventHandler<PeerDeadEventArgs>? PeerDead { get; set; }
    public EventHandler<HeartbeatDelayedEventArgs>? Delayed { get; set; }
    public IncidentCounters Incidents { get; } = new();
    public InFlightSend? InFlight { get; set; }

    /// <summary>
    /// Gets a token cancelled when the registration or the scheduler stops. Not linked to the scheduler's token: a long-lived
    /// source keeps a node for every registration ever linked to it; the scheduler cancels each registration's source when it
    /// stops instead (<see cref="SlotTable.CancelAll"/>), and a source made while it stops is cancelled here.
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
