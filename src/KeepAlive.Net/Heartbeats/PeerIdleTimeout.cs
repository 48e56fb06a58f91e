using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using KeepAlive.Net.Heartbeats;

namespace KeepAlive.Net;

/// <summary>
/// The idle timeout of the peer or of a middlebox on the path: a connection idle for longer is dropped.
/// Either a known preset (bound from configuration by name, for example "AwsNlb") or any positive time.
/// </summary>
[TypeConverter(typeof(PeerIdleTimeoutConverter))]
public readonly struct PeerIdleTimeout : IEquatable<PeerIdleTimeout>
{
    /// <summary>Initializes a new instance of the <see cref="PeerIdleTimeout"/> struct with a custom time.</summary>
    /// <param name="value">The idle timeout.</param>
    public PeerIdleTimeout(TimeSpan value)
        : this(value, null)
    {
    }

    private PeerIdleTimeout(TimeSpan value, string? presetName)
    {
        Value = value;
        PresetName = presetName;
    }

    /// <summary>Gets the idle timeout.</summary>
    public TimeSpan Value { get; }

    /// <summary>Gets the preset's name, for example "AwsNlb", or <see langword="null"/> for a custom time.</summary>
    public string? PresetName { get; }

    /// <summary>Gets Azure Load Balancer's default idle timeout: 240 s.</summary>
    public static PeerIdleTimeout AzureLoadBalancer { get; } = new(TimeSpan.FromSeconds(240), nameof(AzureLoadBalancer));

    /// <summary>Gets the AWS Network Load Balancer's idle timeout: 350 s.</summary>
    public static PeerIdleTimeout AwsNlb { get; } = new(TimeSpan.FromSeconds(350), nameof(AwsNlb));

    /// <summary>Gets the AWS NAT gateway's idle timeout: 350 s.</summary>
    public static PeerIdleTimeout AwsNatGateway { get; } = new(TimeSpan.FromSeconds(350), nameof(AwsNatGateway));

    /// <summary>Gets the AWS Application Load Balancer's default idle timeout: 60 s.</summary>
    public static PeerIdleTimeout AwsAlb { get; } = new(TimeSpan.FromSeconds(60), nameof(AwsAlb));

    /// <summary>Gets GCP Cloud NAT's default established-connection idle timeout: 1200 s.</summary>
    public static PeerIdleTimeout GcpCloudNat { get; } = new(TimeSpan.FromSeconds(1200), nameof(GcpCloudNat));

    /// <summary>Gets every preset.</summary>
    public static IReadOnlyList<PeerIdleTimeout> Presets { get; } = [AzureLoadBalancer, AwsNlb, AwsNatGateway, AwsAlb, GcpCloudNat];

    /// <summary>
    /// Tells whether OS keep-alive beats this idle timeout with a margin: the first probe (after
    /// <paramref name="idleTime"/> of silence) and its first retry (one <paramref name="interval"/> later) both leave
    /// before the peer or middlebox forgets the idle flow, so a single lost probe does not cost the connection.
    /// Profile validation and the <c>keepalive doctor</c> verdicts use this one rule.
    /// </summary>
    /// <param name="idleTime">The keep-alive idle time (TCP_KEEPIDLE).</param>
    /// <param name="interval">The keep-alive interval (TCP_KEEPINTVL).</param>
    /// <returns><see langword="true"/> when both probes leave in time.</returns>
    public bool IsBeatenByKeepAlive(TimeSpan idleTime, TimeSpan interval) => idleTime + interval < Value;

    /// <summary>Converts a time to a custom idle timeout.</summary>
    /// <param name="value">The idle timeout.</param>
    public static implicit operator PeerIdleTimeout(TimeSpan value) => new(value);

    /// <summary>Compares two values by time and preset name.</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public static bool operator ==(PeerIdleTimeout left, PeerIdleTimeout right) => left.Equals(right);

    /// <summary>Compares two values by time and preset name.</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    /// <returns><see langword="true"/> when different.</returns>
    public static bool operator !=(PeerIdleTimeout left, PeerIdleTimeout right) => !left.Equals(right);

    /// <summary>
    /// Parses a preset name (case-insensitive) or a duration such as "350s", "5m50s" or "00:05:50" (<see cref="KeepAliveDuration"/>;
    /// a bare number is refused) within the range of <see cref="HeartbeatOptions.PeerIdleTimeout"/>.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <returns>The idle timeout.</returns>
    /// <exception cref="FormatException">The text is neither a preset name nor a duration within the range; the message says why and gives the fix.</exception>
    public static PeerIdleTimeout Parse(string text) =>
        TryParse(text, out var value, out var error) ? value : throw new FormatException(error);

    /// <summary>Tries to parse a preset name (case-insensitive) or a duration; a bare number such as "10" is refused (it would be ten days).</summary>
    /// <param name="text">The text.</param>
    /// <param name="value">The idle timeout when parsing succeeded.</param>
    /// <returns><see langword="true"/> when the text was parsed.</returns>
    public static bool TryParse(string? text, out PeerIdleTimeout value) => TryParse(text, out value, out _);

    /// <summary>
    /// Tries to parse a preset name (case-insensitive) or a duration within the range of
    /// <see cref="HeartbeatOptions.PeerIdleTimeout"/>, and says why not: the same message configuration and the
    /// <c>keepalive</c> tool give.
    /// </summary>
    /// <param name="text">The text, for example "AwsNlb" or "350s".</param>
    /// <param name="value">The idle timeout when parsing succeeded.</param>
    /// <param name="error">Why the text was refused, with the fix, when it was.</param>
    /// <returns><see langword="true"/> when the text was parsed.</returns>
    public static bool TryParse(string? text, out PeerIdleTimeout value, [NotNullWhen(false)] out string? error)
    {
        value = default;
        var trimmed = text?.Trim() ?? string.Empty;
        foreach (var preset in Presets)
        {
            // The preset's name, or what ToString writes for it ("AwsNlb (5m50s)"), so a value read back parses.
            if (string.Equals(preset.PresetName, trimmed, StringComparison.OrdinalIgnoreCase)
                || string.Equals(preset.ToString(), trimmed, StringComparison.OrdinalIgnoreCase))
            {
                value = preset;
                error = null;
                return true;
            }
        }

        // A duration starts with a number or a sign; text that starts with a letter was meant as a preset, even with a
        // digit in it ("AwsN1b", "AwsNlb (5m50s)"), and is answered with the presets and the closest name.
        if (trimmed.Length == 0 || char.IsLetter(trimmed[0]))
        {
            var presets = string.Join(", ", Presets.Select(static p => $"{p.PresetName} = {KeepAliveDuration.Format(p.Value)}"));
            error = $"'{trimmed}' is neither a preset nor a duration.{ClosestName.Suggest(trimmed, Presets.Select(static p => p.PresetName!))} Fix: write a preset name ({presets}) or the peer's idle timeout as a duration such as \"350s\" or \"00:05:50\".";
            return false;
        }

        if (!OptionRanges<HeartbeatOptions>.Of(nameof(HeartbeatOptions.PeerIdleTimeout)).TryParse(trimmed, out TimeSpan time, out error))
        {
            return false;
        }

        value = new PeerIdleTimeout(time);
        return true;
    }

    /// <inheritdoc />
    public bool Equals(PeerIdleTimeout other) => Value == other.Value && string.Equals(PresetName, other.PresetName, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is PeerIdleTimeout other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Value, PresetName);

    /// <inheritdoc />
    public override string ToString() => PresetName is null
        ? KeepAliveDuration.Format(Value)
        : string.Create(CultureInfo.InvariantCulture, $"{PresetName} ({KeepAliveDuration.Format(Value)})");
}
