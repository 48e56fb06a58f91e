using KeepAlive.Net.Heartbeats;

namespace KeepAlive.Net;

/// <summary>Dispatcher side: starts a callback, accounts for it when it completes, re-schedules it.</summary>
public sealed partial class HeartbeatScheduler
{
    private readonly Lock _inFlightLock = new();
    private readonly List<(HeartbeatRegistration Registration, long Start)> _newlyBlocked = [];
    private HeartbeatRegistration? _inFlightHead;

    /// <summary>Runs one work item on the current (dispatcher) thread.</summary>
    internal void Execute(in WorkItem item)
    {
        var registration = item.Registration;
        if (item.IsPeerDead)
        {
            registration.RaisePeerDead(TimeProvider.GetTimestamp());
            return;
        }

        if (Interlocked.CompareExchange(ref registration.State, RegistrationState.Running, RegistrationState.Queued) != RegistrationState.Queued)
        {
            return; // disposed while queued
        }

        var start = TimeProvider.GetTimestamp();
        registration.Start = start;
        registration.Sequence++;
        registration.BlockedReported = false;
        var lateness = start - registration.Due;
        registration.QueuedAhead = item.QueuedAhead;
        registration.Overloaded = item.QueuedAhead >= _overloadQueueLength
            || (item.QueuedAhead > 0 && lateness > 0 && (start - item.EnqueuedAt) * 2 >= lateness);

        ValueTask pending;
        try
        {
            pending = registration.Callback(new HeartbeatContext(registration, registration.Due, start, registration.Sequence, TimeProvider));
        }
        catch (Exception exception)
        {
            Complete(registration, exception);
            return;
        }

        if (pending.IsCompleted)
        {
            Complete(registration, GetFailure(pending));
            return;
        }

        // Asynchronous send: do not hold this thread; account for it when it completes, wherever that is.
        registration.Pending = pending;
        AddInFlight(registration);
        pending.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(registration.CompletionCallback);
    }

    /// <summary>Completion of an asynchronous send.</summary>
    internal void CompleteAsync(HeartbeatRegistration registration)
    {
        RemoveInFlight(registration);
        var pending = registration.Pending;
        registration.Pending = default;
        Complete(registration, GetFailure(pending));
    }

    /// <summary>The watchdog's pass over asynchronous sends: report those running longer than their blocked threshold.</summary>
    internal void CheckInFlight()
    {
        var now = TimeProvider.GetTimestamp();
        lock (_inFlightLock)
        {
            for (var registration = _inFlightHead; registration is not null; registration = registration.NextInFlight)
            {
                if (!registration.BlockedReported && now - registration.Start >= registration.BlockedThresholdTicks)
                {
                    registration.BlockedReported = true;
                    _newlyBlocked.Add((registration, registration.Start));
                }
            }
        }

        foreach (var (registration, start) in _newlyBlocked)
        {
            registration.Tracker.RecordBlocked(TimeProvider.GetElapsedTime(start, now), "asynchronous send not completed");
        }

        _newlyBlocked.Clear();
    }

    private static Exception? GetFailure(ValueTask completed)
    {
        try
        {
            completed.GetAwaiter().GetResult();
            return null;
        }
        catch (Exception exception)
        {
            return exception;
        }
    }

    private void Complete(HeartbeatRegistration registration, Exception? failure)
    {
        var end = TimeProvider.GetTimestamp();
        var start = registration.Start;
        var report = registration.Tracker.Record(registration.Due, start, TimeProvider.GetElapsedTime(start, end), failure,
            registration.PreviousOverran, registration.QueuedAhead, registration.Overloaded);

        // Never a burst: after a stall the schedule is re-based on this send; the slots it covered were counted as skipped.
        var nominal = registration.Mode == HeartbeatMode.FixedRate && report.Skipped == 0
            ? registration.Nominal + registration.Interval
            : start + registration.Interval;
        var overran = end >= nominal || registration.BlockedReported;
        registration.PreviousOverran = overran;
        var wake = false;
        lock (_heapLock)
        {
            if (Volatile.Read(ref _disposed) == 0
                && Interlocked.CompareExchange(ref registration.State, RegistrationState.Scheduled, RegistrationState.Running) == RegistrationState.Running)
            {
                registration.Nominal = nominal;
                registration.Due = nominal + NextJitter(registration);
                _heap.Insert(registration.Beat, registration.Due);
                wake = registration.Beat.HeapIndex == 0;
            }
        }

        if (wake)
        {
            Wake();
        }
    }

    private void AddInFlight(HeartbeatRegistration registration)
    {
        lock (_inFlightLock)
        {
            registration.PreviousInFlight = null;
            registration.NextInFlight = _inFlightHead;
            if (_inFlightHead is not null)
            {
                _inFlightHead.PreviousInFlight = registration;
            }

            _inFlightHead = registration;
            registration.IsInFlightListed = true;
        }
    }

    private void RemoveInFlight(HeartbeatRegistration registration)
    {
        lock (_inFlightLock)
        {
            if (!registration.IsInFlightListed)
            {
                return;
            }

            if (registration.PreviousInFlight is { } previous)
            {
                previous.NextInFlight = registration.NextInFlight;
            }
            else
            {
                _inFlightHead = registration.NextInFlight;
            }

            if (registration.NextInFlight is { } next)
            {
                next.PreviousInFlight = registration.PreviousInFlight;
            }

            registration.PreviousInFlight = registration.NextInFlight = null;
            registration.IsInFlightListed = false;
        }
    }
}
