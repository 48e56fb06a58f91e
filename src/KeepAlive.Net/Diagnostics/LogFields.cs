using System.Collections;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.Diagnostics;

/// <summary>
/// The state of a log record that has fields outside its message: every field by name, the template as
/// <c>{OriginalFormat}</c> (as <see cref="LoggerMessageAttribute"/>'s code gives it), and the message rendered from the
/// template's holes. A message writes a duration as configuration reads it (<c>{Lateness}</c>: "1s600ms") while the record
/// keeps the number of milliseconds it had before (<c>LatenessMs</c>: 1600) for the queries and dashboards built on it,
/// which the generated code cannot do: it drops a parameter the template does not name.
/// </summary>
internal sealed class LogFields : IReadOnlyList<KeyValuePair<string, object?>>
{
    private const string OriginalFormat = "{OriginalFormat}";

    private readonly string _template;
    private readonly KeyValuePair<string, object?>[] _fields;

    private LogFields(string template, KeyValuePair<string, object?>[] fields) => (_template, _fields) = (template, fields);

    /// <summary>Gets the formatter that renders the message of a record's <see cref="LogFields"/>.</summary>
    public static Func<LogFields, Exception?, string> Formatter { get; } = static (state, _) => state.ToString();

    /// <inheritdoc/>
    public int Count => _fields.Length + 1;

    /// <inheritdoc/>
    public KeyValuePair<string, object?> this[int index] =>
        index == _fields.Length ? new(OriginalFormat, _template) : _fields[index];

    /// <summary>
    /// Writes a record when <paramref name="level"/> is enabled: the one place that asks the logger, once, before anything of
    /// the record (its fields, their durations formatted) is built. Callers do not ask it themselves.
    /// </summary>
    /// <typeparam name="TState">The caller's values the fields are built from (a tuple: no closure, no boxing).</typeparam>
    /// <param name="logger">The logger.</param>
    /// <param name="level">The record's level.</param>
    /// <param name="eventId">The record's id, from <see cref="KeepAliveEventIds"/>, and its name.</param>
    /// <param name="template">The message, whose holes (<c>{Name}</c>) name fields.</param>
    /// <param name="state">The values passed to <paramref name="fields"/>.</param>
    /// <param name="fields">Builds every field from <paramref name="state"/>, those the template names and those it does not; called only when the level is enabled.</param>
    public static void Write<TState>(ILogger logger, LogLevel level, EventId eventId, string template, TState state, Func<TState, (string Name, object? Value)[]> fields)
    {
        if (logger.IsEnabled(level))
        {
            logger.Log(level, eventId, new LogFields(template, [.. fields(state).Select(static f => new KeyValuePair<string, object?>(f.Name, f.Value))]), null, Formatter);
        }
    }

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    /// <inheritdoc/>
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The message: the template with each hole replaced by its field's value, written invariantly.</summary>
    /// <returns>The message.</returns>
    public override string ToString()
    {
        var message = new StringBuilder(_template.Length + 64);
        var at = 0;
        while (_template.IndexOf('{', at) is var open and >= 0 && _template.IndexOf('}', open) is var close and >= 0)
        {
            message.Append(_template, at, open - at);
            var name = _template.AsSpan(open + 1, close - open - 1);
            message.Append(Value(name) is { } value ? Convert.ToString(value, CultureInfo.InvariantCulture) : "(null)");
            at = close + 1;
        }

        return message.Append(_template, at, _template.Length - at).ToString();
    }

    private object? Value(ReadOnlySpan<char> name)
    {
        foreach (var (key, value) in _fields)
        {
            if (name.Equals(key, StringComparison.Ordinal))
            {
                return value;
            }
        }

        throw new InvalidOperationException($"The log message template names the field '{name}', which the record does not have. Fix: add the field or correct the template \"{_template}\".");
    }
}
