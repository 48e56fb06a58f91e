using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace KeepAlive.Net;

/// <summary>
/// Parses and formats durations the way people write them: <c>250ms</c>, <c>10s</c>, <c>5m</c>, <c>1h</c>,
/// <c>1m30s</c> or a <see cref="TimeSpan"/> such as <c>00:00:10</c>. A bare number is refused, because .NET's
/// <see cref="TimeSpan.Parse(string)"/> reads <c>"10"</c> as ten <em>days</em>, which nobody means.
/// Used by configuration binding, the <c>keepalive</c> tool and the benchmarks, so every surface agrees.
/// </summary>
public static class KeepAliveDuration
{
    /// <summary>The forms accepted, for error messages.</summary>
    public const string AcceptedForms = "\"250ms\", \"10s\", \"5m\", \"1h\", \"1m30s\" or \"00:00:10\"";

    private static readonly (string Suffix, long TicksPerUnit)[] Units =
    [
        ("ms", TimeSpan.TicksPerMillisecond),
        ("us", TimeSpan.TicksPerMicrosecond),
        ("µs", TimeSpan.TicksPerMicrosecond),
        ("s", TimeSpan.TicksPerSecond),
        ("m", TimeSpan.TicksPerMinute),
        ("h", TimeSpan.TicksPerHour),
        ("d", TimeSpan.TicksPerDay),
    ];

    /// <summary>Parses a duration.</summary>
    /// <param name="text">The text, for example <c>"10s"</c> or <c>"00:00:10"</c>.</param>
    /// <returns>The duration.</returns>
    /// <exception cref="FormatException">The text is not a duration; the message says why and shows the accepted forms.</exception>
    public static TimeSpan Parse(string text) =>
        TryParse(text, out var value, out var error) ? value : throw new FormatException(error);

    /// <summary>Tries to parse a duration.</summary>
    /// <param name="text">The text, for example <c>"10s"</c> or <c>"00:00:10"</c>.</param>
    /// <param name="value">The duration when parsing succeeded.</param>
    /// <param name="error">Why parsing failed, with the fix, when it did.</param>
    /// <returns><see langword="true"/> when the text was parsed.</returns>
    public static bool TryParse(string? text, out TimeSpan value, [NotNullWhen(false)] out string? error)
    {
        value = default;
        error = null;
        var trimmed = text?.Trim() ?? string.Empty;
        if (trimmed.Length == 0)
        {
            error = $"a duration is required. Write it as {AcceptedForms}.";
            return false;
        }

        if (double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var bare))
        {
            error = string.Create(CultureInfo.InvariantCulture,
                $"'{trimmed}' has no unit. A bare number is ambiguous (.NET would read it as {bare} days). Write \"{trimmed}s\" for seconds, \"{trimmed}ms\" for milliseconds, or \"{ToTimeSpanText(bare)}\".");
            return false;
        }

        if (trimmed.Contains(':', StringComparison.Ordinal))
        {
            if (TimeSpan.TryParse(trimmed, CultureInfo.InvariantCulture, out value))
            {
                return true;
            }

            error = $"'{trimmed}' is not a time. Write it as {AcceptedForms}.";
            return false;
        }

        if (TryParseWithUnits(trimmed, out value))
        {
            return true;
        }

        error = $"'{trimmed}' is not a duration. Write it as {AcceptedForms}.";
        return false;
    }

    /// <summary>Formats a duration in the shortest unit form that reads back exactly, for example <c>250ms</c>, <c>10s</c> or <c>1m30s</c>.</summary>
    /// <param name="value">The duration.</param>
    /// <returns>The text, which <see cref="Parse"/> reads back to the same value.</returns>
    public static string Format(TimeSpan value)
    {
        if (value == TimeSpan.Zero)
        {
            return "0s";
        }

        var sign = value < TimeSpan.Zero ? "-" : string.Empty;
        var ticks = value == TimeSpan.MinValue ? TimeSpan.MaxValue.Ticks : Math.Abs(value.Ticks);
        var parts = new System.Text.StringBuilder(sign);
        foreach (var (suffix, unit) in new[] { ("d", TimeSpan.TicksPerDay), ("h", TimeSpan.TicksPerHour), ("m", TimeSpan.TicksPerMinute), ("s", TimeSpan.TicksPerSecond), ("ms", TimeSpan.TicksPerMillisecond), ("us", TimeSpan.TicksPerMicrosecond) })
        {
            var count = ticks / unit;
            if (count > 0)
            {
                parts.Append(count.ToString(CultureInfo.InvariantCulture)).Append(suffix);
                ticks -= count * unit;
            }
        }

        if (ticks > 0)
        {
            parts.Append((ticks * 100).ToString(CultureInfo.InvariantCulture)).Append("ns");
        }

        return parts.ToString();
    }

    private static bool TryParseWithUnits(string text, out TimeSpan value)
    {
        value = default;
        var negative = text.StartsWith('-');
        var rest = negative ? text.AsSpan(1) : text.AsSpan();
        if (rest.IsEmpty)
        {
            return false;
        }

        decimal totalTicks = 0;
        while (!rest.IsEmpty)
        {
            var numberLength = 0;
            while (numberLength < rest.Length && (char.IsAsciiDigit(rest[numberLength]) || rest[numberLength] == '.'))
            {
                numberLength++;
            }

            if (numberLength == 0 || !decimal.TryParse(rest[..numberLength], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }

            rest = rest[numberLength..];
            var unitLength = 0;
            while (unitLength < rest.Length && !char.IsAsciiDigit(rest[unitLength]) && rest[unitLength] != '.')
            {
                unitLength++;
            }

            if (!TryUnit(rest[..unitLength], out var ticksPerUnit))
            {
                return false;
            }

            rest = rest[unitLength..];
            totalTicks += number * ticksPerUnit;
            if (totalTicks > TimeSpan.MaxValue.Ticks)
            {
                return false;
            }
        }

        var whole = (long)decimal.Round(totalTicks, MidpointRounding.AwayFromZero);
        value = TimeSpan.FromTicks(negative ? -whole : whole);
        return true;
    }

    private static bool TryUnit(ReadOnlySpan<char> suffix, out long ticksPerUnit)
    {
        foreach (var (name, ticks) in Units)
        {
            if (suffix.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                ticksPerUnit = ticks;
                return true;
            }
        }

        ticksPerUnit = 0;
        return false;
    }

    private static string ToTimeSpanText(double seconds) =>
        seconds is >= 0 and < 86_400 && seconds == Math.Floor(seconds)
            ? TimeSpan.FromSeconds(seconds).ToString("c", CultureInfo.InvariantCulture)
            : "00:00:10";
}
