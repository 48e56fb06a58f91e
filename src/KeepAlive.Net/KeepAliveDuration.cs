using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace KeepAlive.Net;

/// <summary>
/// Parses and formats durations the way people write them: <c>250ms</c>, <c>10s</c>, <c>5m</c>, <c>1h</c>,
/// <c>1m30s</c> or a <see cref="TimeSpan"/> such as <c>00:00:10</c>. A bare number is refused, because .NET's
/// <see cref="TimeSpan.Parse(string)"/> reads <c>"10"</c> as ten <em>days</em>, which nobody means; so is a clock
/// with 24 hours or more (<c>"36:00:00"</c> is 36 days to .NET) and a clock of two parts (<c>"1:30"</c>: 1 min 30 s
/// or 1 h 30 min?). Units come largest first, each once: <c>"10s10s"</c> is refused, not read as 20 s.
/// Used by configuration binding, the <c>keepalive</c> tool and the benchmarks, so every surface agrees.
/// </summary>
public static class KeepAliveDuration
{
    /// <summary>The forms accepted, for error messages.</summary>
    public const string AcceptedForms = "\"250ms\", \"10s\", \"5m\", \"1h\", \"1m30s\" or \"00:00:10\"";

    // Largest first: a duration written with units must follow this order, each unit at most once.
    private static readonly (string Suffix, long TicksPerUnit)[] Units =
    [
        ("d", TimeSpan.TicksPerDay),
        ("h", TimeSpan.TicksPerHour),
        ("m", TimeSpan.TicksPerMinute),
        ("s", TimeSpan.TicksPerSecond),
        ("ms", TimeSpan.TicksPerMillisecond),
        ("us", TimeSpan.TicksPerMicrosecond),
        ("µs", TimeSpan.TicksPerMicrosecond),
    ];

    private static readonly SearchValues<char> DigitsAndDot = SearchValues.Create("0123456789.");

    /// <summary>What parsing a text found.</summary>
    internal enum Outcome
    {
        Parsed,
        Invalid,
        BareNumber,
        TooLarge,
        TooSmall,
    }

    /// <summary>Parses a duration.</summary>
    /// <param name="text">The text, for example <c>"10s"</c> or <c>"00:00:10"</c>.</param>
    /// <returns>The duration.</returns>
    /// <exception cref="FormatException">The text is not a duration, or one too large for a <see cref="TimeSpan"/>; the message says why and shows the accepted forms.</exception>
    public static TimeSpan Parse(string text) =>
        TryParse(text, out var value, out var error) ? value : throw new FormatException(error);

    /// <summary>Tries to parse a duration.</summary>
    /// <param name="text">The text, for example <c>"10s"</c> or <c>"00:00:10"</c>.</param>
    /// <param name="value">The duration when parsing succeeded.</param>
    /// <param name="error">Why parsing failed, with the fix, when it did.</param>
    /// <returns><see langword="true"/> when the text was parsed.</returns>
    public static bool TryParse(string? text, out TimeSpan value, [NotNullWhen(false)] out string? error) =>
        Read(text, out value, out error) == Outcome.Parsed;

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
        var ticks = value.Ticks == long.MinValue ? (ulong)long.MaxValue + 1 : (ulong)Math.Abs(value.Ticks);
        var parts = new System.Text.StringBuilder(sign);
        foreach (var (suffix, unit) in Units.AsSpan(0, 5))
        {
            var count = ticks / (ulong)unit;
            if (count > 0)
            {
                parts.Append(count.ToString(CultureInfo.InvariantCulture)).Append(suffix);
                ticks -= count * (ulong)unit;
            }
        }

        // What is left is under a millisecond: microseconds, with the tick (100 ns) as a decimal, so Parse reads it back.
        if (ticks > 0)
        {
            var (micros, tenths) = (ticks / (ulong)TimeSpan.TicksPerMicrosecond, ticks % (ulong)TimeSpan.TicksPerMicrosecond);
            parts.Append(micros.ToString(CultureInfo.InvariantCulture));
            if (tenths > 0)
            {
                parts.Append('.').Append(tenths.ToString(CultureInfo.InvariantCulture));
            }

            parts.Append("us");
        }

        return parts.ToString();
    }

    /// <summary>
    /// Formats a duration as <see cref="Format(TimeSpan)"/> does, rounded to the nearest multiple of <paramref name="precision"/>
    /// (to even at the midpoint), for a value measured or drawn to the tick whose last digits mean nothing in a message:
    /// <c>4m34s479ms</c> to the millisecond, not <c>4m34s478ms515.7us</c>.
    /// </summary>
    /// <param name="value">The duration.</param>
    /// <param name="precision">The unit it is rounded to, for example one millisecond; positive.</param>
    /// <returns>The text of the rounded duration, which <see cref="Parse"/> reads back to the rounded value.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="precision"/> is zero or negative.</exception>
    public static string Format(TimeSpan value, TimeSpan precision)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(precision, TimeSpan.Zero);
        var ticks = decimal.Round((decimal)value.Ticks / precision.Ticks) * precision.Ticks;
        return Format(TimeSpan.FromTicks((long)Math.Clamp(ticks, TimeSpan.MinValue.Ticks, TimeSpan.MaxValue.Ticks)));
    }

    /// <summary>A measured duration (a lateness, a pause, a silence) as <see cref="Format(TimeSpan)"/> writes it, to the millisecond.</summary>
    internal static string FormatMeasured(TimeSpan value) => Format(value, TimeSpan.FromMilliseconds(1));

    /// <summary>
    /// Reads a duration and says what was found: a value, text that is no duration, or a number too large (or, negative,
    /// too small) for a <see cref="TimeSpan"/>, which a caller that knows the accepted range reports against that range.
    /// </summary>
    internal static Outcome Read(string? text, out TimeSpan value, out string? error)
    {
        value = default;
        error = null;
        var trimmed = text?.Trim() ?? string.Empty;
        if (trimmed.Length == 0)
        {
            error = $"a duration is required. Write it as {AcceptedForms}.";
            return Outcome.Invalid;
        }

        var negative = trimmed.StartsWith('-');
        var body = negative ? trimmed.AsSpan(1) : trimmed.AsSpan();
        var outcome = IsBareNumber(body) ? BareNumber(trimmed, out error)
            : body.Contains(':') ? ReadClock(trimmed, body, out value, out error)
            : ReadUnits(trimmed, body, out value, out error);
        if (outcome == Outcome.Parsed && negative)
        {
            value = -value;
        }
        else if (outcome == Outcome.TooLarge)
        {
            outcome = negative ? Outcome.TooSmall : Outcome.TooLarge;
            error = $"'{trimmed}' is out of range: a duration lies between {Format(TimeSpan.MinValue)} and {Format(TimeSpan.MaxValue)}.";
        }

        return outcome;
    }

    private static bool IsBareNumber(ReadOnlySpan<char> body) =>
        !body.ContainsAnyExcept(DigitsAndDot) && body.ContainsAnyInRange('0', '9') && body.Count('.') <= 1;

    private static Outcome BareNumber(string text, out string error)
    {
        error = BareNumberAdvice(text, static reading => TryParse(reading, out _, out _), range: null);
        return Outcome.BareNumber;
    }

    /// <summary>
    /// The refusal of a bare number: how .NET would read it, and the readings to write instead (as seconds, as
    /// milliseconds, as a clock of that many seconds), only those <paramref name="accepts"/> takes, so the advice never
    /// suggests a value the same option then refuses; when it takes none, the message says so against <paramref name="range"/>.
    /// </summary>
    internal static string BareNumberAdvice(string text, Func<string, bool> accepts, string? range)
    {
        var days = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        var clock = days is >= 0 and < 86_400 && days == Math.Floor(days) ? TimeSpan.FromSeconds(days).ToString("c", CultureInfo.InvariantCulture) : null;
        (string? Reading, string Label)[] candidates = [($"{text}s", " for seconds"), ($"{text}ms", " for milliseconds"), (clock, string.Empty)];
        var readings = candidates.Where(c => c.Reading is not null && accepts(c.Reading)).Select(c => $"\"{c.Reading}\"{c.Label}").ToList();
        var advice = readings.Count switch
        {
            0 => $", and read as seconds or milliseconds it is outside {range ?? $"{Format(TimeSpan.MinValue)} to {Format(TimeSpan.MaxValue)}"}.",
            1 => $". Write {readings[0]}.",
            2 => $". Write {readings[0]} or {readings[1]}.",
            _ => $". Write {string.Join(", ", readings[..^1])}, or {readings[^1]}.",
        };
        return string.Create(CultureInfo.InvariantCulture, $"'{text}' has no unit. A bare number is ambiguous (.NET would read it as {days} {(days == 1 ? "day" : "days")}){advice}");
    }

    // [d.]hh:mm:ss[.fraction], as TimeSpan's "c" format writes it; hours 0-23, minutes and seconds 0-59.
    private static Outcome ReadClock(string text, ReadOnlySpan<char> body, out TimeSpan value, out string? error)
    {
        value = default;
        error = null;
        Span<Range> parts = stackalloc Range[4];
        var count = body.Split(parts, ':');
        if (count == 2 && Digits(body[parts[0]]) && Digits(body[parts[1]]))
        {
            error = $"'{text}' is ambiguous: two parts could be minutes and seconds or hours and minutes. Write \"{body[parts[0]]}m{body[parts[1]]}s\", \"{body[parts[0]]}h{body[parts[1]]}m\", or all three parts as in \"00:01:30\".";
            return Outcome.Invalid;
        }

        var seconds = count == 3 ? body[parts[2]] : default;
        var fractionAt = seconds.IndexOf('.');
        var fraction = fractionAt < 0 ? default : seconds[(fractionAt + 1)..];
        seconds = fractionAt < 0 ? seconds : seconds[..fractionAt];
        var hoursPart = count == 3 ? body[parts[0]] : default;
        var dayAt = hoursPart.IndexOf('.');
        var days = dayAt < 0 ? "0" : hoursPart[..dayAt];
        var hours = dayAt < 0 ? hoursPart : hoursPart[(dayAt + 1)..];
        var minutes = count == 3 ? body[parts[1]] : default;
        if (count != 3 || !Digits(days) || !Digits(hours) || !Digits(minutes) || !Digits(seconds) || (fractionAt >= 0 && !Digits(fraction)))
        {
            error = $"'{text}' is not a time. Write it as {AcceptedForms}.";
            return Outcome.Invalid;
        }

        var (d, h, m, s) = (Component(days), Component(hours), Component(minutes), Component(seconds));
        var ticks = (d * TimeSpan.TicksPerDay) + (h * TimeSpan.TicksPerHour) + (m * TimeSpan.TicksPerMinute) + (s * TimeSpan.TicksPerSecond);
        if (!fraction.IsEmpty)
        {
            ticks += decimal.Round(decimal.Parse($"0.{fraction}", NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture) * TimeSpan.TicksPerSecond, MidpointRounding.AwayFromZero);
        }

        if (ToTimeSpan(ticks, out value) == Outcome.TooLarge)
        {
            return Outcome.TooLarge;
        }

        if (h > 23 || m > 59 || s > 59)
        {
            // Offered as the duration the clock meant, every part of it, with units and as a clock .NET reads the same way.
            // .NET reads hours past 23 as days, the minutes as hours and the seconds as minutes, when those fit.
            var dotnet = dayAt < 0 && m <= 23 && s <= 59 && fractionAt < 0
                ? $": .NET would read it as {hours} days{(m + s > 0 ? $" and {Format(TimeSpan.FromHours((double)m) + TimeSpan.FromMinutes((double)s))}" : string.Empty)}"
                : "; hours go up to 23";
            var why = h > 23 ? $"{hours} hours{dotnet}" : $"{(m > 59 ? $"{minutes} minutes" : $"{seconds} seconds")}; minutes and seconds go up to 59";
            var meant = text.StartsWith('-') ? -value : value;
            error = $"'{text}' has {why}. Write \"{Format(meant)}\" or \"{meant.ToString("c", CultureInfo.InvariantCulture)}\".";
            value = default;
            return Outcome.Invalid;
        }

        return Outcome.Parsed;
    }

    private static Outcome ReadUnits(string text, ReadOnlySpan<char> rest, out TimeSpan value, out string? error)
    {
        value = default;
        error = $"'{text}' is not a duration. Write it as {AcceptedForms}.";
        if (rest.IsEmpty)
        {
            return Outcome.Invalid;
        }

        decimal totalTicks = 0;
        var largestAllowed = 0;
        var tooLarge = false;
        while (!rest.IsEmpty)
        {
            var numberLength = rest.IndexOfAnyExcept(DigitsAndDot);
            numberLength = numberLength < 0 ? rest.Length : numberLength;
            var number = rest[..numberLength];
            rest = rest[numberLength..];
            var unitLength = rest.IndexOfAny(DigitsAndDot);
            unitLength = unitLength < 0 ? rest.Length : unitLength;
            var unit = UnitIndex(rest[..unitLength]);
            if (number.IsEmpty || number.Count('.') > 1 || number is "." || unit < 0)
            {
                return Outcome.Invalid;
            }

            if (unit < largestAllowed)
            {
                error = $"'{text}' gives {(unit == largestAllowed - 1 || (unit == 5 && largestAllowed == 7) ? $"the unit '{Units[unit].Suffix}' twice" : $"'{Units[unit].Suffix}' after a smaller unit")}. Write each unit once, largest first, as in \"1m30s\".";
                return Outcome.Invalid;
            }

            largestAllowed = unit == 5 ? 7 : unit + 1; // "us" and "µs" are one unit
            rest = rest[unitLength..];
            var whole = number.IndexOf('.') is var dot and >= 0 ? number[..dot] : number;
            var ticksPerUnit = Units[unit].TicksPerUnit;
            var amount = tooLarge || whole.TrimStart('0').Length > 20 ? decimal.MaxValue : decimal.Parse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
            tooLarge = amount > (decimal)TimeSpan.MaxValue.Ticks / ticksPerUnit || (totalTicks += amount * ticksPerUnit) > TimeSpan.MaxValue.Ticks;
        }

        error = null;
        return tooLarge ? Outcome.TooLarge : ToTimeSpan(decimal.Round(totalTicks, MidpointRounding.AwayFromZero), out value);
    }

    private static Outcome ToTimeSpan(decimal ticks, out TimeSpan value)
    {
        value = ticks > TimeSpan.MaxValue.Ticks ? default : TimeSpan.FromTicks((long)ticks);
        return ticks > TimeSpan.MaxValue.Ticks ? Outcome.TooLarge : Outcome.Parsed;
    }

    private static int UnitIndex(ReadOnlySpan<char> suffix)
    {
        for (var i = 0; i < Units.Length; i++)
        {
            if (suffix.Equals(Units[i].Suffix, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool Digits(ReadOnlySpan<char> text) => !text.IsEmpty && !text.ContainsAnyExceptInRange('0', '9');

    // A clock's part; past 12 digits it is too large for any duration whatever its unit, so it is counted as 10^12.
    private static decimal Component(ReadOnlySpan<char> digits) =>
        digits.TrimStart('0').Length > 12 ? 1_000_000_000_000m : decimal.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
}
