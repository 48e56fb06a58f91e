using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>
/// Binds a profile from configuration with <see cref="BinderOptions.ErrorOnUnknownConfiguration"/>, turning a
/// binding error into an <see cref="OptionsValidationException"/> that names the full path of the key and the fix.
/// Uses the configuration binding source generator, so it is trimming- and AOT-safe.
/// </summary>
internal static class KeepAliveProfileBinder
{
    private const string TcpSection = nameof(KeepAliveProfileOptions.Tcp);
    private const string HeartbeatSection = nameof(KeepAliveProfileOptions.Heartbeat);
    private const string PeerIdleTimeoutKey = nameof(HeartbeatOptions.PeerIdleTimeout);

    private static readonly string[] ProfileKeys = [TcpSection, HeartbeatSection, HttpProfileSections.Http, HttpProfileSections.WebSocket];

    private static readonly string[] HeartbeatKeys =
    [
        nameof(HeartbeatOptions.Mode),
        nameof(HeartbeatOptions.Interval),
        nameof(HeartbeatOptions.Timeout),
        PeerIdleTimeoutKey,
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
    ];

    public static void Bind(string name, IConfiguration section, KeepAliveProfileOptions options)
    {
        var where = KeepAliveProfileRegistration.Describe((section as IConfigurationSection)?.Path, name);
        var failures = new List<string>();
        CheckKeys(section, where, ProfileKeys, failures);
        CheckKeys(section.GetSection(TcpSection), $"{where}:{TcpSection}", TcpKeys, failures);
        var heartbeat = section.GetSection(HeartbeatSection);
        CheckKeys(heartbeat, $"{where}:{HeartbeatSection}", HeartbeatKeys, failures);
        CheckKeys(section.GetSection(HttpProfileSections.Http), $"{where}:{HttpProfileSections.Http}", HttpProfileSections.HttpKeys, failures);
        CheckKeys(section.GetSection(HttpProfileSections.WebSocket), $"{where}:{HttpProfileSections.WebSocket}", HttpProfileSections.WebSocketKeys, failures);
        var peerIdleTimeout = heartbeat.GetSection(PeerIdleTimeoutKey);
        if (peerIdleTimeout.GetChildren().Any())
        {
            failures.Add($"{where}:{HeartbeatSection}:{PeerIdleTimeoutKey}: is a section, but it takes one value. Fix: write a preset name ({PresetNames()}) or a time such as \"00:05:50\".");
        }

        if (failures.Count == 0)
        {
            try
            {
                section.Bind(options, static binder => binder.ErrorOnUnknownConfiguration = true);
            }
            catch (InvalidOperationException ex)
            {
                failures.Add($"{where}: {ex.Message} Fix: write times as \"hh:mm:ss\" (e.g. \"00:00:30\"), whole numbers for ProbeCount, true or false for Enabled, WhenIdle or FixedRate for Mode; see docs/CONFIGURATION.md.");
            }

            // The binding generator does not use PeerIdleTimeout's TypeConverter: parse the preset name or time here.
            if (peerIdleTimeout.Value is { Length: > 0 } text)
            {
                if (PeerIdleTimeout.TryParse(text, out var value))
                {
                    options.Heartbeat.PeerIdleTimeout = value;
                }
                else
                {
                    failures.Add($"{where}:{HeartbeatSection}:{PeerIdleTimeoutKey}: '{text}' is neither a preset nor a time. Fix: write a preset name ({PresetNames()}) or the peer's idle timeout as a time such as \"00:05:50\".");
                }
            }
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(name, typeof(KeepAliveProfileOptions), failures);
        }
    }

    private static string PresetNames() =>
        string.Join(", ", PeerIdleTimeout.Presets.Select(static p => $"{p.PresetName} = {p.Value.TotalSeconds:0} s"));

    private static void CheckKeys(IConfiguration section, string where, string[] allowed, List<string> failures)
    {
        foreach (var child in section.GetChildren())
        {
            if (!allowed.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                failures.Add($"{where}:{child.Key}: unknown key '{child.Key}'. Fix: remove it or use one of the known keys: {string.Join(", ", allowed)}; see docs/CONFIGURATION.md.");
            }
        }
    }
}
