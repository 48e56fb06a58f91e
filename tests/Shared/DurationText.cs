using System.Text.RegularExpressions;

namespace KeepAlive.Net.Tests.TestSupport;

/// <summary>
/// The durations a text shows, each to be read back by <see cref="KeepAliveDuration.Parse"/>: the form people write in
/// configuration ("250ms", "1m30s") is the one every message shows (shared by the test projects as a linked file).
/// </summary>
internal static partial class DurationText
{
    /// <summary>Every duration in <paramref name="text"/>: a number and a unit, with or without a space ("10 s", "20 min" as well as "10s"), units chained as in "1m30s".</summary>
    public static IReadOnlyList<string> Durations(string text) => [.. Duration().Matches(text).Select(static m => m.Value)];

    /// <summary>The durations in <paramref name="text"/> that <see cref="KeepAliveDuration.TryParse"/> refuses: written in another form than the configuration's.</summary>
    public static IReadOnlyList<string> NotReadBack(string text) =>
        [.. Durations(text).Where(static d => !KeepAliveDuration.TryParse(d, out _, out _))];

    [GeneratedRegex(@"(?<![\w.])\d+(\.\d+)? ?(ms|us|µs|s|m|h|d|min)(?![\w])|(?<![\w.])(\d+(\.\d+)?(ms|us|µs|s|m|h|d))+(?![\w.])")]
    private static partial Regex Duration();
}
