namespace KeepAlive.Net.Hosting.Configuration;

/// <summary>
/// Every failure of one options object, at once: what the configuration reader refused, then what the validators
/// found, each once and in the words closest to what the user wrote. A value the reader could not read is reported by
/// the reader alone (the default it kept says nothing about the file); a value the reader read but found out of range is
/// reported only if a validator refuses it too, quoting the value as written.
/// </summary>
internal sealed class ValidationReport
{
    private readonly List<(string Path, string Text)> _messages = [];
    private readonly Func<string, int>? _order;
    private readonly HashSet<string> _reported = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _failed = new(StringComparer.OrdinalIgnoreCase); // every path with a message, the validators' too
    private readonly Dictionary<string, ConfigurationFailure> _asWritten = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Initializes a new instance of the <see cref="ValidationReport"/> class with what the reader refused.</summary>
    /// <param name="read">The reader's failures.</param>
    /// <param name="order">Ranks a path (for example by its section), so the messages follow the configuration's order; stable within a rank.</param>
    public ValidationReport(IEnumerable<ConfigurationFailure> read, Func<string, int>? order = null)
    {
        _order = order;
        foreach (var failure in read)
        {
            if (failure.OnlyIfRefused)
            {
                _asWritten[failure.Path] = failure;
            }
            else if (_reported.Add(failure.Path))
            {
                _messages.Add((failure.Path, failure.ToString()));
            }
        }
    }

    /// <summary>Gets the messages, each "path: value, what is wrong and the fix".</summary>
    public IReadOnlyList<string> Messages => [.. (_order is null ? _messages.AsEnumerable() : _messages.OrderBy(m => _order(m.Path))).Select(static m => m.Text)];

    /// <summary>Gets a value indicating whether anything was reported under a path (the path itself or a key below it).</summary>
    public bool HasFailuresUnder(string path) =>
        _reported.Concat(_failed).Any(p => p.Equals(path, StringComparison.OrdinalIgnoreCase) || p.StartsWith(path + ":", StringComparison.OrdinalIgnoreCase));

    /// <summary>Adds a validator's finding about one setting.</summary>
    /// <param name="path">The setting's configuration path (or its description for values set in code).</param>
    /// <param name="message">The finding, with the fix.</param>
    public void Add(string path, string message)
    {
        _failed.Add(path);
        if (_asWritten.Remove(path, out var asWritten))
        {
            _reported.Add(path);
            _messages.Add((path, asWritten.ToString()));
        }
        else if (!_reported.Contains(path))
        {
            _messages.Add((path, ProfileSource.Refusal(path, message)));
        }
    }

    /// <summary>Adds a sentence to each message about one setting, e.g. where its value comes from (<see cref="ValueOrigin"/>).</summary>
    /// <param name="note">The sentence for a setting's path, or <see langword="null"/> for none.</param>
    public void Annotate(Func<string, string?> note)
    {
        for (var i = 0; i < _messages.Count; i++)
        {
            if (_messages[i].Path.Length > 0 && note(_messages[i].Path) is { } sentence)
            {
                _messages[i] = _messages[i] with { Text = $"{_messages[i].Text} {sentence}" };
            }
        }
    }

    /// <summary>Adds a finding about the options as a whole, which no reader failure replaces.</summary>
    /// <param name="message">The finding, with the fix.</param>
    public void AddGeneral(string message) => _messages.Add((string.Empty, message));
}
