namespace KeepAlive.Net;

/// <summary>
/// "Did you mean ...?" for a mistyped name (a configuration key, a profile, a preset): the known name that is closest
/// by edit distance, when it is close enough to be a typo. Compiled into each library that suggests names.
/// </summary>
internal static class ClosestName
{
    /// <summary>Finds the known name a mistyped one most likely meant.</summary>
    /// <param name="typed">The name as written.</param>
    /// <param name="known">The names that exist.</param>
    /// <returns>The closest known name within two edits (one for names of up to four letters), or <see langword="null"/>.</returns>
    public static string? To(string typed, IEnumerable<string> known)
    {
        string? best = null;
        var bestDistance = typed.Length <= 4 ? 2 : 3;
        foreach (var name in known)
        {
            var distance = Distance(typed.ToUpperInvariant(), name.ToUpperInvariant());
            if (distance < bestDistance)
            {
                (best, bestDistance) = (name, distance);
            }
        }

        return best;
    }

    /// <summary>Formats the suggestion as a sentence, or nothing when there is none.</summary>
    /// <param name="typed">The name as written.</param>
    /// <param name="known">The names that exist.</param>
    /// <returns>For example <c> Did you mean 'IdleTime'?</c> (with a leading space), or an empty string.</returns>
    public static string Suggest(string typed, IEnumerable<string> known) =>
        To(typed, known) is { } name ? $" Did you mean '{name}'?" : string.Empty;

    // Optimal string alignment distance: insertions, deletions, substitutions and swaps of two neighbours.
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
