using System.Diagnostics.Metrics;
using KeepAlive.Net.Diagnostics;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>
/// The profile instruments of the <c>KeepAlive.Net</c> meter, created through <see cref="IMeterFactory"/> when the container
/// has one, else on a meter of their own (as the heartbeat instruments are), so they are published either way.
/// </summary>
internal sealed class KeepAliveProfileMetrics : IDisposable
{
    private readonly Meter? _ownedMeter;
    private readonly Counter<long> _rejected;

    public KeepAliveProfileMetrics(IMeterFactory? meterFactory)
    {
        var meter = KeepAliveMeter.Create(meterFactory, out _ownedMeter);
        _rejected = meter.CreateCounter<long>(KeepAliveMetricNames.ReloadRejected, "{reload}",
            "Configuration reloads that made a keep-alive profile invalid or removed it; the last valid values stayed in force.");
    }

    public void Rejected(string profile) => _rejected.Add(1, new KeyValuePair<string, object?>(KeepAliveMetricNames.ProfileTag, profile));

    public void Dispose() => _ownedMeter?.Dispose();
}
