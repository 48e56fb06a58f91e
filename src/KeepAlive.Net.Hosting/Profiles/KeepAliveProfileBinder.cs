using KeepAlive.Net.Hosting.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>
/// Binds a profile from configuration key by key with <see cref="SectionReader"/>: unknown keys, wrong value types,
/// bare numbers as durations and durations outside <see cref="ProfileDurationLimits"/> become an
/// <see cref="OptionsValidationException"/> whose failures each name the full path, the value and the fix.
/// No reflection and no binding generator, so it is trimming- and AOT-safe.
/// </summary>
internal static class KeepAliveProfileBinder
{
    private const string TcpSection = nameof(KeepAliveProfileOptions.Tcp);
    private const string HeartbeatSection = nameof(KeepAliveProfileOptions.Heartbeat);

    private static readonly string[] ProfileKeys = [TcpSection, HeartbeatSection, HttpProfileSections.Http, HttpProfileSections.WebSocket];

    private static readonly string[] HeartbeatKeys =
    [
        nameof(HeartbeatOptions.Mode),
        nameof(HeartbeatOptions.Interval),
        nameof(HeartbeatOptions.Timeout),
        nameof(HeartbeatOptions.PeerIdleTimeout),
        nameof(HeartbeatOptions.DriftWarningThreshold),
        nameof(HeartbeatOptions.Jitter),
        nameof(HeartbeatOptions.BlockedCallbackThreshold),
        nameof(HeartbeatOptions.MaxIntervalToPeerIdleRatio),
        nameof(HeartbeatOptions.Name),
    ];

    private static readonly string[] TcpKeys =
    [
        nameof(TcpKeepAliveOptions.Enabled),
        nameof(TcpKeepAliveOptions.IdleTime),
        nameof(TcpKeepAliveOptions.Interval),
        nameof(TcpKeepAliveOptions.ProbeCount),
        nameof(TcpKeepAliveOptions.UserTimeout),
        nameof(TcpKeepAliveOptions.UnsetValues),
    ];

    /// <summary>Reads the profile's section into <paramref name="options"/>.</summary>
    /// <param name="name">The profile's name.</param>
    /// <param name="section">The profile's section.</param>
    /// <param name="options">The options to fill; keys that are absent keep their defaults.</param>
    /// <exception cref="OptionsValidationException">Any key is unknown, of the wrong type or out of range.</exception>
    public static void Bind(string name, IConfiguration section, KeepAliveProfileOptions options)
    {
        var failures = new List<string>();
        var where = KeepAliveProfileRegistration.Describe((section as IConfigurationSection)?.Path, name);
        if (SectionReader.Open(section, where, ProfileKeys, failures) is { } profile)
        {
            if (profile.Child(TcpSection, TcpKeys) is { } tcp)
            {
                BindTcp(tcp, options.Tcp);
            }

            if (profile.Child(HeartbeatSection, HeartbeatKeys) is { } heartbeat)
            {
                BindHeartbeat(heartbeat, options.Heartbeat);
            }

            HttpProfileSections.Bind(profile, options);
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(name, typeof(KeepAliveProfileOptions), failures);
        }
    }

    private static void BindTcp(SectionReader tcp, TcpKeepAliveOptions options)
    {
        tcp.Choice<TcpKeepAliveUnsetValues>(nameof(options.UnsetValues), v => options.UnsetValues = v);
        tcp.Boolean(nameof(options.Enabled), v => options.Enabled = v);
        tcp.Duration(nameof(options.IdleTime), ProfileDurationLimits.TcpIdleTime, v => options.IdleTime = v);
        tcp.Duration(nameof(options.Interval), ProfileDurationLimits.TcpInterval, v => options.Interval = v);
        tcp.Integer(nameof(options.ProbeCount), v => options.ProbeCount = v);
        tcp.OptionalDuration(nameof(options.UserTimeout), ProfileDurationLimits.TcpUserTimeout, v => options.UserTimeout = v);
    }

    private static void BindHeartbeat(SectionReader heartbeat, HeartbeatOptions options)
    {
        heartbeat.Choice<HeartbeatMode>(nameof(options.Mode), v => options.Mode = v);
        heartbeat.Duration(nameof(options.Interval), ProfileDurationLimits.HeartbeatInterval, v => options.Interval = v);
        heartbeat.OptionalDuration(nameof(options.Timeout), ProfileDurationLimits.HeartbeatTimeout, v => options.Timeout = v);
        heartbeat.Value(nameof(options.PeerIdleTimeout), text => ParsePeerIdleTimeout(heartbeat, text), v => options.PeerIdleTimeout = v ?? options.PeerIdleTimeout);
        heartbeat.Duration(nameof(options.DriftWarningThreshold), ProfileDurationLimits.DriftWarningThreshold, v => options.DriftWarningThreshold = v);
        heartbeat.Duration(nameof(options.Jitter), ProfileDurationLimits.Jitter, v => options.Jitter = v);
        heartbeat.Duration(nameof(options.BlockedCallbackThreshold), ProfileDurationLimits.BlockedCallbackThreshold, v => options.BlockedCallbackThreshold = v);
        heartbeat.Number(nameof(options.MaxIntervalToPeerIdleRatio), v => options.MaxIntervalToPeerIdleRatio = v);
        heartbeat.Text(nameof(options.Name), v => options.Name = v);
    }

    // A preset name, or a duration parsed (and range-checked) like every other duration; ParseDuration records its own failure.
    private static (PeerIdleTimeout? Value, string? Error) ParsePeerIdleTimeout(SectionReader heartbeat, string text)
    {
        var preset = PeerIdleTimeout.Presets.FirstOrDefault(p => string.Equals(p.PresetName, text.Trim(), StringComparison.OrdinalIgnoreCase));
        if (preset.PresetName is not null)
        {
            return (preset, null);
        }

        if (!text.Any(char.IsAsciiDigit))
        {
            return (null, $"'{text}' is neither a preset nor a duration. Fix: write a preset name ({PresetNames()}) or the peer's idle timeout as a duration such as \"350s\" or \"00:05:50\".");
        }

        return heartbeat.ParseDuration(nameof(HeartbeatOptions.PeerIdleTimeout), text, ProfileDurationLimits.PeerIdleTimeout) is { } value
            ? (new PeerIdleTimeout(value), null)
            : (null, null);
    }

    private static string PresetNames() =>
        string.Join(", ", PeerIdleTimeout.Presets.Select(static p => $"{p.PresetName} = {p.Value.TotalSeconds:0} s"));
}
