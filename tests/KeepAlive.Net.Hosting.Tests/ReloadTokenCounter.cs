using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Primitives;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary>
/// Counts how often the library asks the sections it was given (and every section reached from them) for a reload token.
/// <c>ChangeToken.OnChange</c> asks its producer once when it subscribes and once each time it runs its callback (for the
/// next token), so after subscribing, the count grows by one per callback run: per <c>KeepAliveProfiles</c> reload.
/// </summary>
internal sealed class ReloadTokenCounter
{
    private int _count;

    /// <summary>Gets how many reload tokens were asked for so far.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The section, counted.</summary>
    public IConfigurationSection Wrap(IConfigurationSection section) => new Counted(section, this);

    private sealed class Counted(IConfigurationSection inner, ReloadTokenCounter counter) : IConfigurationSection
    {
        public string Key => inner.Key;

        public string Path => inner.Path;

        public string? Value { get => inner.Value; set => inner.Value = value; }

        public string? this[string key] { get => inner[key]; set => inner[key] = value; }

        public IEnumerable<IConfigurationSection> GetChildren() => inner.GetChildren().Select(counter.Wrap);

        public IConfigurationSection GetSection(string key) => counter.Wrap(inner.GetSection(key));

        public IChangeToken GetReloadToken()
        {
            Interlocked.Increment(ref counter._count);
            return inner.GetReloadToken();
        }
    }
}
