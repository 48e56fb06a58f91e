using System.Diagnostics.Metrics;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>The profile instruments of the <c>KeepAlive.Net</c> meter.</summary>
internal sealed class KeepAliveProfileMetrics
{
    public const string MeterName = "KeepAlive.Net";
    public const string ReloadRejected = "keepalive.profile.reload.rejected";
    public const string ProfileTag = "keepalive.profile";

    private readonly Counter<long>? _rejected;

    public KeepAliveProfileMetrics(IMeterFactory? meterFactory)
    {
        _rejected = meterFactory?.Create(MeterName).CreateCounter<long>(ReloadRejected, "{reload}",
            "Configuration reloads that made a keep-alive profile invalid or removed it; the last valid values stayed in force.");
    }

    public void Rejected(string profile) => _rejected?.Add(1, new KeyValuePair<string, object?>(ProfileTag, profile));
}
