using System.Runtime.CompilerServices;

namespace KeepAlive.Net;

/// <summary>
/// Which profile a client package's <c>UseKeepAlive</c> applied to an options object, and the user's own hook it wrapped,
/// so that a second call with the same profile re-applies on top of the user's hook (not on top of ours: every socket
/// would be configured twice) and a call with another profile is refused. Compiled into each client package.
/// </summary>
/// <typeparam name="TOptions">The client's options type (a ConfigurationOptions, a ConnectionFactory).</typeparam>
/// <typeparam name="THook">The user's hook that the package wraps (a callback, a socket factory).</typeparam>
internal static class AppliedProfiles<TOptions, THook>
    where TOptions : class
{
    private static readonly ConditionalWeakTable<TOptions, Entry> Applied = [];

    /// <summary>The entry of the options each hook of ours was first installed on, for a copy that carries the hook.</summary>
    private static readonly ConditionalWeakTable<object, Entry> Installations = [];

    /// <summary>
    /// The values set for each profile of each set of registered profiles, by the profile's name and the client's option:
    /// options made from the text of options a profile was applied to (StackExchange.Redis's
    /// <c>ConfigurationOptions.Parse(options.ToString())</c>) carry those values without our hook, so without their entry.
    /// </summary>
    private static readonly ConditionalWeakTable<KeepAlive.Net.Hosting.IKeepAliveProfiles, Dictionary<(string Profile, string Setting), HashSet<object>>> Written = [];

    /// <summary>Records the profile applied to <paramref name="options"/> and returns the user's own hook to wrap.</summary>
    /// <param name="options">The options object.</param>
    /// <param name="profileName">The profile being applied.</param>
    /// <param name="current">The hook the options hold now (the user's, or ours from an earlier call).</param>
    /// <param name="call">How the user wrote the call, for the message, e.g. <c>ConfigurationOptions.UseKeepAlive</c>.</param>
    /// <returns>The user's hook: <paramref name="current"/> on the first call, the one the first call wrapped after it.</returns>
    /// <exception cref="InvalidOperationException">Another profile was applied to these options.</exception>
    public static THook Claim(TOptions options, string profileName, THook current, string call)
    {
        if (Applied.TryGetValue(options, out var earlier))
        {
            if (!string.Equals(earlier.ProfileName, profileName, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException(
                    $"{call}(\"{profileName}\"): these options already take KeepAlive profile '{earlier.ProfileName}', and one object's sockets and heartbeat follow one profile (the last call would silently mix them). Fix: call UseKeepAlive once per options object, with one profile.");
            }

            if (earlier.Ours is null || ReferenceEquals(earlier.Ours, current) || ReferenceEquals(earlier.Yours, current))
            {
                return earlier.Yours;
            }

            // A hook set since the earlier call (StackExchange.Redis's LoggingTunnel.LogToDirectory wrapping ours, or one of
            // yours in its place) is yours now: wrapped, not dropped for the one from before the first call.
            earlier.Yours = current;
            return current;
        }

        Applied.AddOrUpdate(options, new Entry(profileName, current));
        return current;
    }

    /// <summary>Records the hook <c>UseKeepAlive</c> installed on <paramref name="options"/>, so that a later call tells it from a hook set afterwards.</summary>
    /// <param name="options">The options object, already claimed.</param>
    /// <param name="ours">The hook the options hold now, ours.</param>
    public static void Installed(TOptions options, THook ours)
    {
        if (Applied.TryGetValue(options, out var entry))
        {
            entry.Ours = ours;
            if (ours is not null)
            {
                Installations.TryAdd(ours, entry);
            }
        }
    }

    /// <summary>
    /// Claims a copy of options (<c>ConfigurationOptions.Clone</c>) that carries the hook of ours installed on the options it
    /// was made from: it takes that profile (another is then refused), the same hook of yours is wrapped, and the values
    /// set there are not reported as set by hand.
    /// </summary>
    /// <param name="options">The copy.</param>
    /// <param name="ours">Our hook, which the copy holds.</param>
    /// <param name="profileName">The profile that hook applies.</param>
    /// <param name="yours">The user's own hook that it wraps.</param>
    /// <param name="call">How the user wrote the call, for the message.</param>
    public static void ClaimCopy(TOptions options, THook ours, string profileName, THook yours, string call)
    {
        Claim(options, profileName, yours, call);
        Installed(options, ours);
        if (ours is not null && Installations.TryGetValue(ours, out var original) && Applied.TryGetValue(options, out var entry) && entry != original)
        {
            entry.Taken.CopyFrom(original.Taken);
        }
    }

    /// <summary>
    /// Warns as <see cref="KeepAlive.Net.Hosting.KeepAliveClientSettings.ReportIfOverridden"/> does, unless
    /// <paramref name="current"/> is what an earlier <c>UseKeepAlive</c> on these options set (a call again after a reload:
    /// that value is not yours) or a value set for the same profile on any options (options made from their text, which
    /// carries the value and not our hook), and records <paramref name="fromProfile"/> as set by this call.
    /// </summary>
    /// <typeparam name="T">The option's type.</typeparam>
    /// <param name="options">The options object, already claimed.</param>
    /// <param name="profiles">The registered profiles the profile comes from.</param>
    /// <param name="settings">The profile's settings for the client.</param>
    /// <param name="clientSetting">The client's option, e.g. <c>ConfigurationOptions.KeepAlive</c>.</param>
    /// <param name="current">The option's value before the profile is applied.</param>
    /// <param name="clientDefault">The client's default for the option.</param>
    /// <param name="profileKey">The profile setting that wins, e.g. <c>Heartbeat:Interval</c>.</param>
    /// <param name="fromProfile">The value the client gets from the profile, which the caller sets.</param>
    /// <param name="format">Formats a value for the message.</param>
    public static void ReportIfOverridden<T>(TOptions options, KeepAlive.Net.Hosting.IKeepAliveProfiles profiles, KeepAlive.Net.Hosting.KeepAliveClientSettings settings, string clientSetting, T current, T clientDefault, string profileKey, T fromProfile, Func<T, string> format)
        where T : IEquatable<T>
    {
        var written = Written.GetValue(profiles, static _ => []);
        lock (written)
        {
            var key = (settings.ProfileName.ToUpperInvariant(), clientSetting);
            var setForTheProfile = written.TryGetValue(key, out var values) && values.Contains(current);
            if (Took(options, clientSetting, current, fromProfile) && !setForTheProfile)
            {
                settings.ReportIfOverridden(clientSetting, current, clientDefault, profileKey, fromProfile, format);
            }

            (values ??= written[key] = []).Add(fromProfile);
        }
    }

    /// <summary>
    /// Records that this call sets <paramref name="clientSetting"/> to <paramref name="fromProfile"/> in place of
    /// <paramref name="current"/>, which is yours unless an earlier call set it (then yours is the one it replaced).
    /// </summary>
    /// <typeparam name="T">The option's type.</typeparam>
    /// <param name="options">The options object, already claimed.</param>
    /// <param name="clientSetting">The client's option, e.g. <c>ConfigurationOptions.KeepAlive</c>.</param>
    /// <param name="current">The option's value before the profile is applied.</param>
    /// <param name="fromProfile">The value the client gets from the profile, which the caller sets.</param>
    /// <returns>Whether <paramref name="current"/> is yours (no earlier call set it), for a warning that it was set by hand.</returns>
    public static bool Took<T>(TOptions options, string clientSetting, T current, T fromProfile)
        where T : IEquatable<T> =>
        !Applied.TryGetValue(options, out var entry) || entry.Taken.Took(clientSetting, current, fromProfile);

    /// <summary>
    /// Gets your value of an option: <paramref name="current"/>, unless it is what an earlier <c>UseKeepAlive</c> on these
    /// options set, then the value that call replaced. A call again (following warning 3204's fix after a reload) starts
    /// from it, so an option the reloaded profile no longer sets goes back to yours, not to the earlier profile's value.
    /// </summary>
    /// <typeparam name="T">The option's type.</typeparam>
    /// <param name="options">The options object.</param>
    /// <param name="clientSetting">The client's option, e.g. <c>ConfigurationOptions.KeepAlive</c>.</param>
    /// <param name="current">The option's value now.</param>
    /// <returns>Your value of the option.</returns>
    public static T Yours<T>(TOptions options, string clientSetting, T current)
        where T : IEquatable<T> =>
        Applied.TryGetValue(options, out var entry) ? entry.Taken.Yours(clientSetting, current) : current;

    private sealed class Entry(string profileName, THook yours)
    {
        /// <summary>Gets the profile applied.</summary>
        public string ProfileName { get; } = profileName;

        /// <summary>Gets or sets the user's own hook that ours wraps.</summary>
        public THook Yours { get; set; } = yours;

        /// <summary>Gets the values set for the profile on these options (or the options they were copied from), and those they replaced.</summary>
        public TakenValues Taken { get; } = new();

        /// <summary>Gets or sets the hook installed for the profile, or <see langword="null"/> when not recorded.</summary>
        public object? Ours { get; set; }
    }
}
