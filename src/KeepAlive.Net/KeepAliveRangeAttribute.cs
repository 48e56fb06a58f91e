using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace KeepAlive.Net;

/// <summary>
/// Declares the sane range of an option, and why each end is where it is. It is the one declaration of that rule:
/// <see cref="TcpKeepAliveValidator"/> and <see cref="HeartbeatOptionsValidator"/> check values set in code against it,
/// the configuration reader of KeepAlive.Net.Hosting checks appsettings values against it, the <c>keepalive</c> tool's
/// flags parse with it and docs/CONFIGURATION.md states it, so a value is accepted or refused with the same limit and
/// the same reason wherever it is written.
/// </summary>
/// <remarks>
/// A duration range is declared in the units people write (<c>[KeepAliveRange("1s", "2h", ...)]</c>) and applies to
/// <see cref="TimeSpan"/> and <see cref="PeerIdleTimeout"/> properties; a number range (<c>[KeepAliveRange(1, 127, ...)]</c>)
/// applies to <see cref="int"/> and <see cref="double"/> properties. An unset (<see langword="null"/>) value is never checked.
/// </remarks>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = true)]
public sealed class KeepAliveRangeAttribute : Attribute
{
    private readonly double _minimum;
    private readonly double _maximum;

    /// <summary>Initializes a new instance of the <see cref="KeepAliveRangeAttribute"/> class for a duration.</summary>
    /// <param name="minimum">The floor, written as a duration such as <c>"1s"</c> (<see cref="KeepAliveDuration"/>).</param>
    /// <param name="maximum">The ceiling, written as a duration such as <c>"2h"</c>.</param>
    public KeepAliveRangeAttribute(string minimum, string maximum)
    {
        IsDuration = true;
        _minimum = KeepAliveDuration.Parse(minimum).Ticks;
        _maximum = KeepAliveDuration.Parse(maximum).Ticks;
        Minimum = Show(_minimum);
        Maximum = Show(_maximum);
    }

    /// <summary>Initializes a new instance of the <see cref="KeepAliveRangeAttribute"/> class for a number.</summary>
    /// <param name="minimum">The floor.</param>
    /// <param name="maximum">The ceiling.</param>
    public KeepAliveRangeAttribute(double minimum, double maximum)
    {
        _minimum = minimum;
        _maximum = maximum;
        Minimum = Show(_minimum);
        Maximum = Show(_maximum);
    }

    /// <summary>Gets the floor as messages and the docs write it, for example <c>1s</c> or <c>1</c>.</summary>
    public string Minimum { get; }

    /// <summary>Gets the ceiling as messages and the docs write it, for example <c>2h</c> or <c>127</c>.</summary>
    public string Maximum { get; }

    /// <summary>Gets a value indicating whether the range is of durations (else of numbers).</summary>
    public bool IsDuration { get; }

    /// <summary>Gets or sets a value indicating whether the floor itself is refused.</summary>
    public bool MinimumIsExclusive { get; set; }

    /// <summary>Gets or sets a value indicating whether the ceiling itself is refused.</summary>
    public bool MaximumIsExclusive { get; set; }

    /// <summary>Gets or sets why a smaller value is refused, completing "below the floor of 1s: ...".</summary>
    public string MinimumReason { get; set; } = string.Empty;

    /// <summary>Gets or sets why a larger value is refused, completing "above the ceiling of 2h: ...".</summary>
    public string MaximumReason { get; set; } = string.Empty;

    /// <summary>Gets or sets a good value to show in a fix, written as it is configured, for example <c>"30s"</c> or <c>"3"</c>.</summary>
    public string Example { get; set; } = string.Empty;

    /// <summary>
    /// Gets or sets what zero means when zero is accepted below the floor of a duration range (for example "keeps the
    /// operating system's default"); <see langword="null"/> when zero is refused like any other small value.
    /// </summary>
    public string? ZeroMeans { get; set; }

    /// <summary>Checks a value set in code.</summary>
    /// <param name="optionName">The option's name, the start of the message, for example <c>"IdleTime"</c>.</param>
    /// <param name="value">The value: a <see cref="TimeSpan"/> or <see cref="PeerIdleTimeout"/> for a duration range, an <see cref="int"/> or <see cref="double"/> for a number range; <see langword="null"/> (unset) is accepted.</param>
    /// <returns>
    /// <see langword="null"/> when the value is accepted; else the message, for example
    /// <c>IdleTime 3h is above the ceiling of 2h: (the reason) Fix: set it to at most "2h", for example "30s".</c>
    /// </returns>
    /// <exception cref="ArgumentException">The value's type does not fit the range.</exception>
    public string? Check(string optionName, object? value)
    {
        var number = value switch
        {
            null => (double?)null,
            TimeSpan time when IsDuration => time.Ticks,
            PeerIdleTimeout peer when IsDuration => peer.Value.Ticks,
            int whole when !IsDuration => whole,
            double fraction when !IsDuration => fraction,
            _ => throw new ArgumentException($"A {value.GetType().Name} does not fit the {(IsDuration ? "duration" : "number")} range {this}.", nameof(value)),
        };
        return number is { } v ? Violation($"{optionName} {Show(v)}", v) : null;
    }

    /// <summary>Parses a duration written in configuration or on a command line, and checks it.</summary>
    /// <param name="text">The text, for example <c>"30s"</c>.</param>
    /// <param name="value">The duration when it is accepted; <see cref="TimeSpan.Zero"/> when it is refused.</param>
    /// <param name="error">
    /// Why it is refused, starting with the text as written, for example <c>'3h' is above the ceiling of 2h: ...</c>;
    /// a number too large for any duration is refused against the ceiling, like any value above it.
    /// </param>
    /// <returns><see langword="true"/> when the text is a duration within the range.</returns>
    public bool TryParse(string? text, out TimeSpan value, [NotNullWhen(false)] out string? error)
    {
        RequireKind(duration: true);
        var written = $"'{text?.Trim()}'";
        error = KeepAliveDuration.Read(text, out value, out var notADuration) switch
        {
            KeepAliveDuration.Outcome.Parsed => Violation(written, value.Ticks),
            KeepAliveDuration.Outcome.TooLarge => Violation(written, double.PositiveInfinity),
            KeepAliveDuration.Outcome.TooSmall => Violation(written, double.NegativeInfinity),
            KeepAliveDuration.Outcome.BareNumber => $"{KeepAliveDuration.BareNumberAdvice(text!.Trim(), reading => TryParse(reading, out TimeSpan _, out _), ToString())} {FixForUnit()}",
            _ => $"{notADuration} {FixForUnit()}",
        };
        return Accepted(error, ref value);
    }

    // The one rule of the three TryParse overloads: a refused text gives the type's zero, never the refused number.
    private static bool Accepted<T>(string? error, ref T value)
        where T : struct
    {
        if (error is not null)
        {
            value = default;
        }

        return error is null;
    }

    private string FixForUnit() =>
        $"Fix: write a duration with its unit, for example {Quote(Example)} or \"{KeepAliveDuration.Parse(Example).ToString("c", CultureInfo.InvariantCulture)}\".";

    /// <summary>Parses a number written in configuration or on a command line, and checks it.</summary>
    /// <param name="text">The text, for example <c>"0.5"</c>.</param>
    /// <param name="value">The number when it is accepted; 0 when it is refused.</param>
    /// <param name="error">Why it is refused, starting with the text as written.</param>
    /// <returns><see langword="true"/> when the text is a number within the range.</returns>
    public bool TryParse(string? text, out double value, [NotNullWhen(false)] out string? error)
    {
        RequireKind(duration: false);
        var trimmed = text?.Trim() ?? string.Empty;
        var digits = trimmed.AsSpan().TrimStart("+-");
        if (digits.IsEmpty || !(char.IsAsciiDigit(digits[0]) || digits[0] == '.')
            || !double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
        {
            value = 0;
            error = $"'{trimmed}' is not a number. Fix: write a number such as {Example}.";
            return false;
        }

        error = Violation($"'{trimmed}'", value);
        return Accepted(error, ref value);
    }

    /// <summary>Parses a whole number written in configuration or on a command line, and checks it.</summary>
    /// <param name="text">The text, for example <c>"3"</c>.</param>
    /// <param name="value">The number when it is accepted; 0 when it is refused.</param>
    /// <param name="error">Why it is refused, starting with the text as written; a number too large for any whole number is refused against the ceiling.</param>
    /// <returns><see langword="true"/> when the text is a whole number within the range.</returns>
    public bool TryParse(string? text, out int value, [NotNullWhen(false)] out string? error)
    {
        RequireKind(duration: false);
        value = 0;
        var trimmed = text?.Trim() ?? string.Empty;
        var digits = trimmed.StartsWith('-') || trimmed.StartsWith('+') ? trimmed.AsSpan(1) : trimmed;
        if (digits.IsEmpty || digits.ContainsAnyExceptInRange('0', '9'))
        {
            error = $"'{trimmed}' is not a whole number. Fix: write a whole number such as {Example}.";
            return false;
        }

        var number = double.Parse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        error = Violation($"'{trimmed}'", number);
        value = error is null ? (int)number : 0;
        return Accepted(error, ref value);
    }

    /// <summary>Describes the range as the docs state it, for example <c>1s to 2h</c> or <c>more than 0, less than 1</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString()
    {
        var range = (MinimumIsExclusive, MaximumIsExclusive) switch
        {
            (false, false) => $"{Minimum} to {Maximum}",
            (true, false) => $"more than {Minimum}, at most {Maximum}",
            (false, true) => $"at least {Minimum}, less than {Maximum}",
            (true, true) => $"more than {Minimum}, less than {Maximum}",
        };
        return ZeroMeans is null ? range : $"{range}, or 0s ({ZeroMeans})";
    }

    // The message for a value outside the range, or null; `subject` is how the value was given ("'3h'", "IdleTime 3h").
    private string? Violation(string subject, double value)
    {
        if (IsDuration && value == 0 && ZeroMeans is not null)
        {
            return null;
        }

        var zero = ZeroMeans is null ? string.Empty : $" (or \"0s\", which {ZeroMeans})";
        if (double.IsNaN(value))
        {
            return $"{subject} is not a number. Fix: set it to a number {this}, for example {Quote(Example)}.";
        }

        if (MinimumIsExclusive ? value <= _minimum : value < _minimum)
        {
            return MinimumIsExclusive
                ? $"{subject} is not above the floor of {Minimum}: {MinimumReason} Fix: set it above {Quote(Minimum)}{zero}, for example {Quote(Example)}."
                : $"{subject} is below the floor of {Minimum}: {MinimumReason} Fix: set it to at least {Quote(Minimum)}{zero}, for example {Quote(Example)}.";
        }

        if (MaximumIsExclusive ? value >= _maximum : value > _maximum)
        {
            return MaximumIsExclusive
                ? $"{subject} is not below the ceiling of {Maximum}: {MaximumReason} Fix: set it below {Quote(Maximum)}{zero}, for example {Quote(Example)}."
                : $"{subject} is above the ceiling of {Maximum}: {MaximumReason} Fix: set it to at most {Quote(Maximum)}{zero}, for example {Quote(Example)}.";
        }

        return null;
    }

    private string Show(double value) => IsDuration
        ? KeepAliveDuration.Format(TimeSpan.FromTicks((long)value))
        : value.ToString(CultureInfo.InvariantCulture);

    private string Quote(string value) => IsDuration ? $"\"{value}\"" : value;

    private void RequireKind(bool duration)
    {
        if (IsDuration != duration)
        {
            throw new InvalidOperationException($"The range {this} is of {(IsDuration ? "durations" : "numbers")}, not of {(duration ? "durations" : "numbers")}.");
        }
    }
}
