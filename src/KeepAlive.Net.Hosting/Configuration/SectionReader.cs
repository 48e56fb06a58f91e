using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace KeepAlive.Net.Hosting.Configuration;

/// <summary>
/// Reads one configuration section key by key, refusing what .NET's binder would silently accept or ignore: unknown
/// keys, a value where a section belongs (<c>"Tcp": "oops"</c>), a section or array where a value belongs
/// (<c>"IdleTime": ["a","b"]</c>), bare numbers as durations (<c>"10"</c> is ten days to <see cref="TimeSpan.Parse(string)"/>)
/// and durations outside their <see cref="DurationLimits"/>. Every failure names the full configuration path, the
/// value written and the fix; all failures of a profile are collected, none stops the others from being found.
/// </summary>
/// <remarks>Absent keys leave the target's value untouched, so the options' own defaults stay.</remarks>
internal sealed class SectionReader
{
    private const string Docs = "see docs/CONFIGURATION.md";
    private readonly IConfiguration _section;
    private readonly List<string> _failures;

    private SectionReader(IConfiguration section, string path, List<string> failures) => (_section, Path, _failures) = (section, path, failures);

    /// <summary>Gets the configuration path of the section, used as the prefix of every message.</summary>
    public string Path { get; }

    /// <summary>Opens a section that must hold only the given keys.</summary>
    /// <param name="section">The section.</param>
    /// <param name="path">Its path for messages.</param>
    /// <param name="keys">The keys it may hold.</param>
    /// <param name="failures">Where failures are collected.</param>
    /// <returns>The reader, or <see langword="null"/> when the section holds a plain value instead of keys.</returns>
    public static SectionReader? Open(IConfiguration section, string path, IReadOnlyCollection<string> keys, List<string> failures)
    {
        var children = section.GetChildren().ToList();
        if (children.Count == 0 && section is IConfigurationSection { Value: { Length: > 0 } text })
        {
            failures.Add($"{path}: is the value '{text}', but it must be a section with keys ({string.Join(", ", keys)}). Fix: write it as an object, for example {{ \"{keys.First()}\": ... }}; {Docs}.");
            return null;
        }

        foreach (var child in children.Where(c => !keys.Contains(c.Key, StringComparer.OrdinalIgnoreCase)))
        {
            failures.Add($"{path}:{child.Key}: unknown key '{child.Key}'. Fix: remove it or use one of the known keys: {string.Join(", ", keys)}; {Docs}.");
        }

        return new SectionReader(section, path, failures);
    }

    /// <summary>Opens a child section that must hold only the given keys.</summary>
    /// <param name="key">The child's key.</param>
    /// <param name="keys">The keys it may hold.</param>
    /// <returns>The reader, or <see langword="null"/> when the child holds a plain value instead of keys.</returns>
    public SectionReader? Child(string key, IReadOnlyCollection<string> keys) =>
        Open(_section.GetSection(key), $"{Path}:{key}", keys, _failures);

    /// <summary>Reads a required duration with <see cref="KeepAliveDuration"/> and checks it against its limits.</summary>
    /// <param name="key">The key.</param>
    /// <param name="limits">The accepted range and why.</param>
    /// <param name="assign">Receives the value when it is present and valid.</param>
    public void Duration(string key, DurationLimits limits, Action<TimeSpan> assign)
    {
        if (TryText(key, out var text))
        {
            if (ParseDuration(key, text, limits) is { } value)
            {
                assign(value);
            }
        }
    }

    /// <summary>Reads an optional duration: an empty value (or JSON null) means unset.</summary>
    /// <param name="key">The key.</param>
    /// <param name="limits">The accepted range and why.</param>
    /// <param name="assign">Receives the value, or <see langword="null"/> for an empty value.</param>
    public void OptionalDuration(string key, DurationLimits limits, Action<TimeSpan?> assign)
    {
        if (TryText(key, out var text, allowEmpty: true))
        {
            if (text.Length == 0)
            {
                assign(null);
            }
            else if (ParseDuration(key, text, limits) is { } value)
            {
                assign(value);
            }
        }
    }

    /// <summary>Reads a value with a custom parser.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="parse">Returns the value, or the reason and fix (after "Fix:") in <c>error</c>.</param>
    /// <param name="assign">Receives the value when valid.</param>
    public void Value<T>(string key, Func<string, (T? Value, string? Error)> parse, Action<T> assign)
    {
        if (TryText(key, out var text))
        {
            var (value, error) = parse(text);
            if (error is not null)
            {
                Fail(key, error);
            }
            else
            {
                assign(value!);
            }
        }
    }

    /// <summary>Reads true or false.</summary>
    /// <param name="key">The key.</param>
    /// <param name="assign">Receives the value.</param>
    public void Boolean(string key, Action<bool> assign) => Value(key, static text => bool.TryParse(text, out var value)
        ? (value, null)
        : (false, $"'{text}' is not true or false. Fix: write true or false."), assign);

    /// <summary>Reads a whole number.</summary>
    /// <param name="key">The key.</param>
    /// <param name="assign">Receives the value.</param>
    public void Integer(string key, Action<int> assign) => Value(key, static text => int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
        ? (value, null)
        : (0, $"'{text}' is not a whole number. Fix: write a whole number such as 3."), assign);

    /// <summary>Reads a number such as 0.5.</summary>
    /// <param name="key">The key.</param>
    /// <param name="assign">Receives the value.</param>
    public void Number(string key, Action<double> assign) => Value(key, static text => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
        ? (value, null)
        : (0d, $"'{text}' is not a number. Fix: write a number such as 0.5."), assign);

    /// <summary>Reads one of an enumeration's names (case-insensitive); numbers are refused.</summary>
    /// <typeparam name="TEnum">The enumeration.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="assign">Receives the value.</param>
    public void Choice<TEnum>(string key, Action<TEnum> assign)
        where TEnum : struct, Enum => Value(key, static text =>
            text.TrimStart('-') is [var first, ..] && !char.IsAsciiDigit(first) && Enum.TryParse<TEnum>(text, ignoreCase: true, out var value) && Enum.IsDefined(value)
                ? (value, null)
                : (default(TEnum), $"'{text}' is not one of {string.Join(", ", Enum.GetNames<TEnum>())}. Fix: write {string.Join(" or ", Enum.GetNames<TEnum>())}."), assign);

    /// <summary>Reads a text value.</summary>
    /// <param name="key">The key.</param>
    /// <param name="assign">Receives the value.</param>
    public void Text(string key, Action<string> assign) => Value(key, static text => (text, null), assign);

    /// <summary>Parses a duration and checks it against its limits, recording a failure when it is not accepted.</summary>
    /// <param name="key">The key, for messages.</param>
    /// <param name="text">The value written.</param>
    /// <param name="limits">The accepted range and why.</param>
    /// <returns>The duration, or <see langword="null"/> when refused.</returns>
    public TimeSpan? ParseDuration(string key, string text, DurationLimits limits)
    {
        if (!KeepAliveDuration.TryParse(text, out var value, out var error))
        {
            Fail(key, $"{error} Fix: write a duration with its unit, for example \"{limits.Example}\" or \"{ToClock(limits.Example)}\".");
            return null;
        }

        if (value == TimeSpan.Zero && limits.ZeroMeans is not null)
        {
            return value;
        }

        var zero = limits.ZeroMeans is null ? string.Empty : $" (or \"0s\", which {limits.ZeroMeans})";
        if (value < limits.Min)
        {
            Fail(key, $"'{text}' is below the floor of {KeepAliveDuration.Format(limits.Min)}: {limits.MinReason} Fix: set it to at least \"{KeepAliveDuration.Format(limits.Min)}\"{zero}, for example \"{limits.Example}\".");
            return null;
        }

        if (value > limits.Max)
        {
            Fail(key, $"'{text}' is above the ceiling of {KeepAliveDuration.Format(limits.Max)}: {limits.MaxReason} Fix: set it to at most \"{KeepAliveDuration.Format(limits.Max)}\"{zero}, for example \"{limits.Example}\".");
            return null;
        }

        return value;
    }

    /// <summary>Records a failure for a key of this section.</summary>
    /// <param name="key">The key.</param>
    /// <param name="message">What is wrong and the fix.</param>
    public void Fail(string key, string message) => _failures.Add($"{Path}:{key}: {message}");

    private static string ToClock(string example) =>
        KeepAliveDuration.Parse(example).ToString("c", CultureInfo.InvariantCulture);

    private bool TryText(string key, out string text, bool allowEmpty = false)
    {
        var child = _section.GetSection(key);
        text = child.Value ?? string.Empty;
        if (child.GetChildren().Any())
        {
            Fail(key, $"is a section or an array ({string.Join(", ", child.GetChildren().Select(static c => $"{c.Key} = '{c.Value}'"))}), but it takes one value. Fix: write a single value; {Docs}.");
            return false;
        }

        if (child.Value is null)
        {
            return false;
        }

        if (text.Length == 0 && !allowEmpty)
        {
            Fail(key, $"is empty. Fix: write a value or remove the key to keep the default; {Docs}.");
            return false;
        }

        return true;
    }
}
