using System.Globalization;

namespace KeepAlive.Net.Benchmarks.Cli;

/// <summary>The <c>--name value</c> options after a mode's name, with typed readers and clear errors.</summary>
internal sealed class CliArguments
{
    private readonly Dictionary<string, string> _values = new(StringComparer.OrdinalIgnoreCase);

    public CliArguments(IEnumerable<string> args)
    {
        string? pending = null;
        foreach (var arg in args)
        {
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                if (pending is not null)
                {
                    _values[pending] = "true";
                }

                pending = arg[2..];
            }
            else if (pending is not null)
            {
                _values[pending] = arg;
                pending = null;
            }
            else
            {
                throw new ArgumentException($"Unexpected argument '{arg}': options are written --name value.");
            }
        }

        if (pending is not null)
        {
            _values[pending] = "true";
        }
    }

    /// <summary>Throws when an option other than <paramref name="known"/> was given, so a typo is not silently ignored.</summary>
    public CliArguments Allow(params string[] known)
    {
        var unknown = _values.Keys.Where(k => !known.Contains(k, StringComparer.OrdinalIgnoreCase)).ToList();
        return unknown.Count == 0
            ? this
            : throw new ArgumentException($"Unknown option {string.Join(", ", unknown.Select(u => "--" + u))}; this mode takes {string.Join(", ", known.Select(k => "--" + k))}.");
    }

    public string GetString(string name, string defaultValue) => _values.GetValueOrDefault(name, defaultValue);

    public int GetInt32(string name, int defaultValue)
    {
        if (!_values.TryGetValue(name, out var text))
        {
            return defaultValue;
        }

        var cleaned = text.Replace("_", string.Empty, StringComparison.Ordinal).Replace(",", string.Empty, StringComparison.Ordinal);
        return int.TryParse(cleaned, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new ArgumentException($"--{name} '{text}' is not a positive whole number.");
    }

    public TimeSpan GetDuration(string name, TimeSpan defaultValue) =>
        _values.TryGetValue(name, out var text) ? ParseDuration(name, text) : defaultValue;

    public IReadOnlyList<string> GetList(string name, string defaultValue) =>
        GetString(name, defaultValue).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Parses <c>250us</c>, <c>100ms</c>, <c>20s</c>, <c>2m</c> or a <see cref="TimeSpan"/> such as <c>00:00:20</c>.</summary>
    public static TimeSpan ParseDuration(string name, string text)
    {
        (string Suffix, double Scale)[] units = [("us", 0.001), ("ms", 1), ("s", 1000), ("m", 60_000)];
        foreach (var (suffix, scale) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                && number > 0)
            {
                return TimeSpan.FromMilliseconds(number * scale);
            }
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value) && value > TimeSpan.Zero
            ? value
            : throw new ArgumentException($"--{name} '{text}' is not a duration: write 100ms, 20s, 2m or 00:00:20.");
    }
}
