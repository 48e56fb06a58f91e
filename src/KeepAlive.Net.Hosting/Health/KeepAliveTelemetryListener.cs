using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Diagnostics.Metrics;
using KeepAlive.Net.Diagnostics;
using KeepAlive.Net.Hosting.Profiles;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace KeepAlive.Net.Hosting.Health;

/// <summary>
/// Listens, from host start, to the <c>KeepAlive.Net</c> meter's lateness histogram, blocked-send, overdue and dead-peer counters, whoever
/// records them (<see cref="HeartbeatScheduler"/> or a <see cref="DriftMonitor"/> watching the application's own timer),
/// and keeps a sliding window per heartbeat name the check reads (a profile's). Meters of the host's <see cref="IMeterFactory"/>
/// and meters created without a factory are heard; meters of other factories (other hosts in the process) are not.
/// </summary>
internal sealed class KeepAliveTelemetryListener : IDisposable
{
    /// <summary>
    /// The instruments of the <c>KeepAlive.Net</c> meter the check listens to, declared once: docs/HEALTH.md and the XML
    /// docs of <c>KeepAliveHealthChecksBuilderExtensions</c> name each (DocumentedHealthDataTests holds them to this set).
    /// </summary>
    internal static readonly FrozenSet<string> Instruments =
        [KeepAliveMetricNames.Lateness, KeepAliveMetricNames.Blocked, KeepAliveMetricNames.Overdue, KeepAliveMetricNames.PeerDead];

    private readonly ConcurrentDictionary<string, RecentHeartbeatWindow> _windows = new(StringComparer.OrdinalIgnoreCase);
    private readonly MeterListener _listener = new();
    private readonly TimeProvider _time;
    private readonly object? _scope;
    private readonly long _bucketTicks;
    private readonly IKeepAliveProfiles? _profiles;
    private readonly List<IDisposable> _reloads = [];

    // The heartbeat names the check reads, kept for the registered profiles and built again when a reload of one is
    // accepted, so a measurement of another name costs one lookup; null: not kept (another IKeepAliveProfiles, which
    // signals no reloads, is asked at each new name as before), or a profile was invalid when it was built.
    private volatile HashSet<string>? _readNames;

    public KeepAliveTelemetryListener(IOptions<KeepAliveHealthCheckOptions> options, TimeProvider? timeProvider = null, IMeterFactory? meterFactory = null, IKeepAliveProfiles? profiles = null)
    {
        _time = timeProvider ?? TimeProvider.System;
        _profiles = profiles;
        if (profiles is KeepAliveProfiles registered)
        {
            _readNames = ReadNames(registered);
            foreach (var name in registered.Names)
            {
                _reloads.Add(ChangeToken.OnChange(() => registered.AcceptedChanges(name), () => KeepOnly(_readNames = ReadNames(registered))));
            }
        }

        _scope = meterFactory;
        Window = options.Value.Window;
        _bucketTicks = Math.Max(1, (long)(RecentHeartbeatWindow.BucketLength(Window).TotalSeconds * _time.TimestampFrequency));
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == KeepAliveMetricNames.MeterName
                && (instrument.Meter.Scope is null || ReferenceEquals(instrument.Meter.Scope, _scope))
                && Instruments.Contains(instrument.Name))
            {
                listener.EnableMeasurementEvents(instrument, this);
            }
        };
        _listener.SetMeasurementEventCallback<double>(static (instrument, value, tags, state) =>
        {
            if (instrument.Name == KeepAliveMetricNames.Lateness)
            {
                ((KeepAliveTelemetryListener)state!).OnLateness(value, tags);
            }
        });
        _listener.SetMeasurementEventCallback<long>(static (instrument, value, tags, state) =>
        {
            var listener = (KeepAliveTelemetryListener)state!;
            switch (instrument.Name)
            {
                case KeepAliveMetricNames.Blocked:
                    listener.OnBlocked(value, tags);
                    break;
                case KeepAliveMetricNames.Overdue:
                    listener.OnOverdue(value, tags);
                    break;
                case KeepAliveMetricNames.PeerDead:
                    listener.OnPeerDead(value, tags);
                    break;

                // An instrument of Instruments without a case of its own is counted as nothing, not as another's: the
                // listener's tests record one measurement of each and see its own counter move.
            }
        });
        _listener.Start();
    }

    public TimeSpan Window { get; }

    /// <summary>Gets how many heartbeat names have a window.</summary>
    internal int KeptNames => _windows.Count;

    /// <summary>Reads what <paramref name="heartbeatName"/> reported within <see cref="Window"/> of now.</summary>
    public RecentHeartbeats Read(string heartbeatName) =>
        _windows.TryGetValue(heartbeatName, out var window) ? window.Read(CurrentBucket()) : default;

    public void Dispose()
    {
        _reloads.ForEach(static r => r.Dispose());
        _listener.Dispose();
    }

    /// <summary>The heartbeat name whose telemetry is a profile's: its <c>Heartbeat:Name</c>, by default the profile's name.</summary>
    internal static string HeartbeatName(HeartbeatOptions heartbeat, string profile) => heartbeat.Name ?? profile;

    /// <summary>Each profile with its heartbeat name, <see langword="null"/> for a profile whose values are invalid (its validation reports it).</summary>
    internal static IEnumerable<(string Profile, string? Heartbeat)> HeartbeatNames(IKeepAliveProfiles profiles)
    {
        foreach (var profile in profiles.Names)
        {
            string? heartbeat;
            try
            {
                heartbeat = HeartbeatName(profiles.GetProfile(profile).Heartbeat, profile);
            }
            catch (OptionsValidationException)
            {
                heartbeat = null;
            }

            yield return (profile, heartbeat);
        }
    }

    private static string? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string key)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == key)
            {
                return tag.Value as string;
            }
        }

        return null;
    }

    private long CurrentBucket() => _time.GetTimestamp() / _bucketTicks;

    private RecentHeartbeatWindow? WindowOf(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var name = Tag(tags, KeepAliveMetricNames.NameTag) ?? string.Empty;
        return _windows.TryGetValue(name, out var window) ? window
            : IsRead(name) ? _windows.GetOrAdd(name, static _ => new RecentHeartbeatWindow())
            : null;
    }

    // Only a profile's heartbeat name is ever read: a window for every other name seen (heartbeats named per connection, against
    // HeartbeatOptions.Name's advice) would be kept for as long as the process runs.
    private bool IsRead(string name) => _profiles is null || ((_readNames ?? ReadNames(_profiles))?.Contains(name) ?? true);

    // The profiles' heartbeat names, or null when one profile is invalid: then every name is kept (an invalid profile stops
    // the host; a heartbeat's thread must not throw meanwhile).
    private static HashSet<string>? ReadNames(IKeepAliveProfiles profiles)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (_, heartbeat) in HeartbeatNames(profiles))
        {
            if (heartbeat is null)
            {
                return null;
            }

            names.Add(heartbeat);
        }

        return names;
    }

    // A name no profile reports under any more (a reload renamed its heartbeat) is never read again: its window goes, so
    // the windows stay one per profile's heartbeat name however often reloads rename them.
    private void KeepOnly(HashSet<string>? names)
    {
        foreach (var name in names is null ? [] : _windows.Keys)
        {
            if (!names!.Contains(name))
            {
                _windows.TryRemove(name, out _);
            }
        }
    }

    private void OnLateness(double seconds, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
        WindowOf(tags)?.RecordLateness(CurrentBucket(), seconds, Tag(tags, KeepAliveMetricNames.CauseTag));

    private void OnBlocked(long count, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
        WindowOf(tags)?.RecordBlocked(CurrentBucket(), count);

    private void OnOverdue(long count, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
        WindowOf(tags)?.RecordOverdue(CurrentBucket(), count, Tag(tags, KeepAliveMetricNames.CauseTag));

    private void OnPeerDead(long count, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
        WindowOf(tags)?.RecordPeerDead(CurrentBucket(), count, Tag(tags, KeepAliveMetricNames.ReasonTag) == KeepAliveMetricNames.SendFailed);
}
