namespace KeepAlive.Net;

/// <summary>
/// The client options one <c>UseKeepAlive</c> set for its profile, and the values they replaced (yours, or the client's own),
/// by the client's option: the one rule by which a value an earlier call set is not yours, and gives back the one it
/// replaced. Kept per options object by <c>AppliedProfiles</c> (mutable options, and copies carrying its hook) and carried by
/// NATS's socket factory or WebSocket callback, which every record copy (<c>NatsOpts with { ... }</c>) carries. Compiled into
/// each client package; not thread-safe (a <c>UseKeepAlive</c> call owns it while it runs).
/// </summary>
internal sealed class TakenValues
{
    /// <summary>The values set for the profile, by the client's option.</summary>
    private readonly Dictionary<string, object> _set = new(StringComparer.Ordinal);

    /// <summary>The values the profile's replaced (yours, or the client's own), by the client's option.</summary>
    private readonly Dictionary<string, object> _before = new(StringComparer.Ordinal);

    /// <summary>
    /// Records that a call sets <paramref name="setting"/> to <paramref name="fromProfile"/> in place of
    /// <paramref name="current"/>, which is yours unless an earlier call recorded here set it (then yours is the one it replaced).
    /// </summary>
    /// <typeparam name="T">The option's type.</typeparam>
    /// <param name="setting">The client's option, e.g. <c>ConfigurationOptions.KeepAlive</c>.</param>
    /// <param name="current">The option's value before the profile is applied.</param>
    /// <param name="fromProfile">The value the client gets from the profile, which the caller sets.</param>
    /// <returns>Whether <paramref name="current"/> is yours (no earlier call set it), for a warning that it was set by hand.</returns>
    public bool Took<T>(string setting, T current, T fromProfile)
        where T : IEquatable<T>
    {
        var yours = !SetEarlier(setting, current);
        if (yours)
        {
            _before[setting] = current;
        }

        _set[setting] = fromProfile;
        return yours;
    }

    /// <summary>
    /// Gets your value of an option: <paramref name="current"/>, unless it is what a call recorded here set, then the value
    /// that call replaced. A call again (following warning 3204's fix after a reload) starts from it, so an option the
    /// reloaded profile no longer sets goes back to yours, not to the earlier profile's value.
    /// </summary>
    /// <typeparam name="T">The option's type.</typeparam>
    /// <param name="setting">The client's option.</param>
    /// <param name="current">The option's value now.</param>
    /// <returns>Your value of the option.</returns>
    public T Yours<T>(string setting, T current)
        where T : IEquatable<T> =>
        SetEarlier(setting, current) && _before.TryGetValue(setting, out var before) ? (T)before : current;

    /// <summary>Takes what <paramref name="original"/> recorded for options a copy was made from, where this has nothing of its own.</summary>
    /// <param name="original">What was recorded for the options the copy was made from.</param>
    public void CopyFrom(TakenValues original)
    {
        foreach (var (setting, value) in original._set)
        {
            _set.TryAdd(setting, value);
        }

        foreach (var (setting, value) in original._before)
        {
            _before.TryAdd(setting, value);
        }
    }

    /// <summary>Whether <paramref name="current"/> is what a call recorded here set for the option: then it is not yours.</summary>
    private bool SetEarlier<T>(string setting, T current)
        where T : IEquatable<T> =>
        _set.TryGetValue(setting, out var taken) && current.Equals(taken);
}
