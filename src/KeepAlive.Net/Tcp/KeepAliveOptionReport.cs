using System.Globalization;

namespace KeepAlive.Net;

/// <summary>What became of one keep-alive setting: requested value, effective value and why they differ.</summary>
/// <remarks>
/// Values are in the option's natural unit: milliseconds for <see cref="KeepAliveOption.IdleTime"/>,
/// <see cref="KeepAliveOption.Interval"/> and <see cref="KeepAliveOption.UserTimeout"/>; probes for
/// <see cref="KeepAliveOption.ProbeCount"/>; 1 or 0 for <see cref="KeepAliveOption.Enabled"/>.
/// <see cref="ToString"/> formats them for people.
/// </remarks>
/// <param name="Option">The setting.</param>
/// <param name="Status">Whether it was applied, rounded, derived, fixed or unsupported.</param>
/// <param name="Requested">The requested value, or <see langword="null"/> when nothing was requested.</param>
/// <param name="Effective">The effective value, read back from the kernel where the platform allows, or <see langword="null"/> when unsupported or unknown.</param>
/// <param name="Reason">Why the effective value differs from the request, or why the option is unsupported; <see langword="null"/> when applied as asked.</param>
public sealed record KeepAliveOptionReport(
    KeepAliveOption Option,
    KeepAliveOptionStatus Status,
    long? Requested,
    long? Effective,
    string? Reason)
{
    private readonly TimeSpan? _requestedTime;

    /// <summary>
    /// Gets the requested value as a duration, for the time options, exactly as requested (a 0.5 ms request is 0.5 ms,
    /// while <see cref="Requested"/> holds whole milliseconds).
    /// </summary>
    public TimeSpan? RequestedTime
    {
        get => _requestedTime ?? (IsTime && Requested is { } ms ? TimeSpan.FromMilliseconds(ms) : null);
        init => _requestedTime = value;
    }

    /// <summary>Gets the effective value as a duration, for the time options.</summary>
    public TimeSpan? EffectiveTime => IsTime && Effective is { } ms ? TimeSpan.FromMilliseconds(ms) : null;

    private bool IsTime => Option is KeepAliveOption.IdleTime or KeepAliveOption.Interval or KeepAliveOption.UserTimeout;

    /// <summary>Formats a value of this option for people, a time as configuration reads it ("30s", "1s500ms", "3", "on").</summary>
    /// <param name="value">A value in the option's unit.</param>
    /// <returns>The text, or "n/a" for <see langword="null"/>.</returns>
    public string Format(long? value) => value switch
    {
        null => "n/a",
        { } v when Option == KeepAliveOption.Enabled => v != 0 ? "on" : "off",
        { } v when IsTime => KeepAliveDuration.Format(TimeSpan.FromMilliseconds(v)),
        { } v => v.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Formats the request for people: a time exactly as requested (<see cref="RequestedTime"/>), else as <see cref="Format"/> does.</summary>
    /// <returns>The text, or "n/a" when nothing was requested.</returns>
    internal string FormatRequested() => RequestedTime is { } requestedTime ? KeepAliveDuration.Format(requestedTime) : Format(Requested);

    /// <inheritdoc />
    public override string ToString()
    {
        var text = $"{Option}: {Status}";
        if (RequestedTime is not null || Requested is not null)
        {
            text += $", requested {FormatRequested()}";
        }

        if (Effective is not null)
        {
            text += $", effective {Format(Effective)}";
        }

        return Reason is null ? text : $"{text} ({Reason})";
    }
}
