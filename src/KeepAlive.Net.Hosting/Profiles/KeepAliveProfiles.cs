using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using KeepAlive.Net.Hosting.Configuration;
using KeepAlive.Net.Hosting.Diagnostics;
using KeepAlive.Net.Hosting.Health;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>
/// The registered profiles, holding the last valid values of each. When a profile's configuration section reloads, the
/// new values are built and validated; valid ones replace the old (logged once, however many change events the file
/// watcher raises), invalid or missing ones are refused with one Error naming each path, value and fix, and a metric,
/// while new connections (HttpClient, Kestrel, sockets) keep the last valid values. It also watches each section given to
/// <c>services.AddKeepAlive(section)</c> for what a reload adds there that start-up reads once or refuses: a profile (event
/// 3008), a key other than <c>Profiles</c> and <c>Health</c> (event 3009), a <c>Health</c> section no keep-alive health check
/// reads (event 3010; one a check reads is that check's to watch, event 3006). Each is said once per path however many change
/// events the file watcher raises, and again once removed and added again.
/// </summary>
/// <remarks>
/// It is also the container's <see cref="IOptionsFactory{TOptions}"/> of <see cref="KeepAliveProfileOptions"/>, so that
/// <see cref="IOptionsMonitor{TOptions}"/> and <see cref="IOptionsSnapshot{TOptions}"/> answer with the values taken here:
/// rebuilt from the configuration of the moment, a save landing between an accepted reload and the monitor's rebuild would
/// leave the monitor without values (its <c>Get</c> throwing) while the profile keeps the last valid ones.
/// </remarks>
internal sealed class KeepAliveProfiles : IKeepAliveProfiles, IOptionsFactory<KeepAliveProfileOptions>, IDisposable
{
    private readonly Dictionary<string, KeepAliveProfileRegistration> _registrations;
    private readonly ILookup<string, IConfiguration> _sections; // every section each profile binds from, all watched
    private readonly OptionsFactory<KeepAliveProfileOptions> _factory;
    private readonly ILogger _logger;
    private readonly KeepAliveProfileMetrics _metrics;
    private readonly ConcurrentDictionary<string, KeepAliveProfileOptions> _current = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _lastSeen = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _accepted = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _refused = new(StringComparer.Ordinal); // why a profile's latest change was refused, until one is accepted
    private readonly List<IDisposable> _subscriptions = [];
    private readonly Dictionary<string, AcceptedReloadWatcher> _watchers = new(StringComparer.Ordinal); // by profile and key
    private readonly Lock _reloadLock = new();
    private bool _disposed; // under the reloads' lock: the accepted-reload tokens are disposed, and no reload is taken any more
    private readonly KeepAliveHealthCheckRegistration[] _healthChecks; // any: a keep-alive health check reads each profile's telemetry by its heartbeat name
    private readonly SectionBinding<KeepAliveHealthCheckOptions>[] _healthBindings; // the sections the health checks read their thresholds from
    private readonly ConditionalWeakTable<KeepAliveProfileOptions, WarnOnceLogger> _socketLoggers = []; // per values: each warning once, not once per connection nor per reload of other settings
    private readonly ConditionalWeakTable<KeepAliveProfileOptions, KeepAliveProfileOptions> _copiedFrom = []; // each copy GetProfile gave, to the values taken
    private readonly EmptyKeepAliveSection[] _emptySections; // given to AddKeepAlive(section), no profile registered from them
    private readonly IConfiguration? _configuration; // the host's, to name what lies beside a missing section
    private readonly IConfiguration[] _listed; // the Profiles sections given to AddKeepAlive(section), which a reload may add profiles to
    private readonly HashSet<string> _addedSaid = new(StringComparer.OrdinalIgnoreCase); // under the reloads' lock: event 3008 given for these paths
    private readonly KeepAliveSection[] _given; // the sections given to AddKeepAlive(section), each path once
    private readonly HashSet<string> _refusedSaid = new(StringComparer.OrdinalIgnoreCase); // under the reloads' lock: event 3009 or 3010 given for these paths
    private readonly ConcurrentDictionary<string, string[]> _pingWarnings = new(StringComparer.Ordinal); // event 3005's warnings given for each profile's values in force

    public KeepAliveProfiles(
        IEnumerable<KeepAliveProfileRegistration> registrations,
        IEnumerable<IConfigureOptions<KeepAliveProfileOptions>> setups,
        IEnumerable<IPostConfigureOptions<KeepAliveProfileOptions>> postConfigures,
        IEnumerable<IValidateOptions<KeepAliveProfileOptions>> validations,
        KeepAliveProfileMetrics metrics,
        ILoggerFactory? loggerFactory = null,
        IEnumerable<KeepAliveHealthCheckRegistration>? healthChecks = null,
        IEnumerable<EmptyKeepAliveSection>? emptySections = null,
        IConfiguration? configuration = null,
        IEnumerable<KeepAliveSection>? givenSections = null,
        IEnumerable<SectionBinding<KeepAliveHealthCheckOptions>>? healthBindings = null)
    {
        _emptySections = [.. emptySections ?? []];
        _configuration = configuration;
        _healthChecks = [.. healthChecks ?? []];
        _healthBindings = [.. healthBindings ?? []];
        var given = (givenSections ?? []).ToList();
        _given = [.. given.DistinctBy(static s => s.Path, StringComparer.OrdinalIgnoreCase)];
        var all = registrations.ToList();
        _registrations = KeepAliveProfileRegistration.Index(all);
        _sections = all.Where(static r => r.Section is not null).ToLookup(static r => r.Name, static r => r.Section!, StringComparer.OrdinalIgnoreCase);
        _factory = new OptionsFactory<KeepAliveProfileOptions>(setups, postConfigures, validations); // builds from the configuration
        _metrics = metrics; // the container's: it disposes them
        _logger = metrics.Logger(loggerFactory, "KeepAlive.Net.Hosting"); // guarded: a reload's log that throws leaves no profile untold
        Names = [.. _registrations.Values.Select(static r => r.Name)];
        _listed = [.. all.Select(static r => r.ListedIn).OfType<IConfiguration>().Distinct(), .. _emptySections.Select(static e => e.Section.GetSection("Profiles"))];

        // Every section a profile binds from (a profile bound from several reloads when any of them does) and every section
        // given to AddKeepAlive(section), holding profiles or not (empty, or the health check's thresholds only: a reload may
        // list a profile there, event 3008, or add what start-up refuses, events 3009, 3010). A reload judges them all, and one
        // configuration's reload is one reload here, however many of its sections are watched (ConfigurationReloads).
        IEnumerable<IConfiguration> watched = [.. all.Select(static r => r.Section).OfType<IConfiguration>(), .. given.Select(static s => s.Section)];
        _subscriptions.AddRange(ConfigurationReloads.Watch(watched, static s => s, _ => Reload()));
    }

    public IReadOnlyCollection<string> Names { get; }

    /// <summary>Gets the logger every profile reports to (category <c>KeepAlive.Net.Hosting</c>); client packages log through it.</summary>
    internal ILogger Logger => _logger;

    /// <summary>The logger of the registered profiles, or none for another implementation of <see cref="IKeepAliveProfiles"/>.</summary>
    internal static ILogger LoggerOf(IKeepAliveProfiles profiles) => (profiles as KeepAliveProfiles)?.Logger ?? NullLogger.Instance;

    /// <summary>Names one setting of a registered profile in messages, as start-up validation does (e.g. <c>KeepAlive:Profiles:payments:Heartbeat:Interval</c>).</summary>
    internal string Describe(string profileName, string setting) => _registrations[Resolve(profileName)].Describe(setting);

    /// <summary>
    /// Names one setting of a profile in messages: as start-up validation does for the registered profiles (the path it is
    /// bound from), by the profile's name alone for another implementation of <see cref="IKeepAliveProfiles"/>, which
    /// knows no path nor origin (<see cref="ProfileSource.SettingByName"/>).
    /// </summary>
    internal static string Describe(IKeepAliveProfiles profiles, string profileName, string setting) =>
        profiles is KeepAliveProfiles registered ? registered.Describe(profileName, setting) : ProfileSource.SettingByName(profileName, setting);

    /// <summary>
    /// The refusal of a profile by a package that applies it (a client library, SignalR, gRPC): its errors named as start-up
    /// validation names them, in one <see cref="OptionsValidationException"/>.
    /// </summary>
    /// <param name="profiles">The registered profiles (any other implementation names the profile only).</param>
    /// <param name="profileName">The profile.</param>
    /// <param name="errors">Each error's option name is relative to the profile, e.g. <c>Heartbeat:Interval</c>.</param>
    internal static OptionsValidationException Refusal(IKeepAliveProfiles profiles, string profileName, IEnumerable<KeepAliveValidationError> errors) =>
        new(profileName, typeof(KeepAliveProfileOptions), errors.Select(e => $"{Describe(profiles, profileName, e.OptionName)}: {e.Message}"));

    /// <summary>Gets a copy of the profile's values (<see cref="ProfileCopy"/>): changing it changes no one else's.</summary>
    public KeepAliveProfileOptions GetProfile(string profileName) => GetProfileFor(profileName, usedBy: null);

    /// <summary>
    /// <see cref="GetProfile(string)"/> for a package that applies the profile to <paramref name="usedBy"/> (e.g. <c>the client
    /// StackExchange.Redis</c>, or the call, e.g. <c>listenOptions.UseKeepAlive("payments")</c>): a name that is not registered
    /// is refused naming it (<see langword="null"/>: naming no one); any other implementation of <see cref="IKeepAliveProfiles"/>
    /// answers as it does.
    /// </summary>
    internal static KeepAliveProfileOptions GetProfileFor(IKeepAliveProfiles profiles, string profileName, string? usedBy) =>
        profiles is KeepAliveProfiles registered ? registered.GetProfileFor(profileName, usedBy) : profiles.GetProfile(profileName);

    private KeepAliveProfileOptions GetProfileFor(string profileName, string? usedBy)
    {
        var taken = Current(Resolve(profileName, usedBy));
        var copy = ProfileCopy.Of(taken);
        _copiedFrom.AddOrUpdate(copy, taken);
        return copy;
    }

    /// <summary>A registered profile's values as taken (see the remarks); any other name's built as the options framework does.</summary>
    KeepAliveProfileOptions IOptionsFactory<KeepAliveProfileOptions>.Create(string name) =>
        _registrations.ContainsKey(name) ? GetProfile(name) : _factory.Create(name);

    /// <summary>
    /// Why the configuration's latest change of a profile was refused (its failures, as event 3003 logged them), or
    /// <see langword="null"/> when the profile runs with its configuration's values.
    /// </summary>
    internal string? RefusedChange(string profileName) => _refused.TryGetValue(Resolve(profileName), out var why) ? why : null;

    public KeepAliveSettings Configure(Socket socket, string profileName) => Apply(socket, Current(Resolve(profileName)));

    /// <summary>
    /// Applies the <c>Tcp</c> section of values the caller already read with <see cref="GetProfile"/> and decided on: read
    /// again, a reload in between would apply other values than those checked (a client's <c>Tcp:Enabled</c> false would
    /// switch SO_KEEPALIVE off).
    /// </summary>
    internal static KeepAliveSettings Configure(IKeepAliveProfiles profiles, Socket socket, KeepAliveProfileOptions read) =>
        profiles is KeepAliveProfiles registered ? registered.Apply(socket, read) : socket.ConfigureKeepAlive(read.Tcp);

    // Warned once per values taken, whichever copy of them a caller read.
    private KeepAliveSettings Apply(Socket socket, KeepAliveProfileOptions options) =>
        socket.ConfigureKeepAlive(options.Tcp, _socketLoggers.GetValue(_copiedFrom.TryGetValue(options, out var taken) ? taken : options, _ => new WarnOnceLogger(_logger)));

    /// <summary>Builds and keeps every profile's values now; an invalid one is left for <see cref="GetProfile"/> to report.</summary>
    public void CaptureAll()
    {
        foreach (var name in Names)
        {
            try
            {
                Current(name);
            }
            catch (OptionsValidationException)
            {
                // ValidateOnStart reports it; GetProfile throws it to whoever asks.
            }
        }
    }

    /// <summary>
    /// Warns (event 3005) of each ping timeout of a profile's values that thread-pool starvation could make misfire, at
    /// start-up and when a reload is accepted: once for the values that cause it, so a reload that leaves them as they were
    /// (another setting changed) says nothing again, and one that changes them (or brings a removed condition back) does.
    /// </summary>
    internal void WarnOfPingTimeouts(string name, KeepAliveProfileOptions profile)
    {
        if (!_logger.IsEnabled(LogLevel.Warning))
        {
            return;
        }

        lock (_reloadLock)
        {
            var warnings = KeepAliveBudget.PingTimeoutsThatMayMisfire(profile).ToArray();
            var given = _pingWarnings.GetValueOrDefault(name, []);
            _pingWarnings[name] = warnings;
            foreach (var warning in warnings.Except(given, StringComparer.Ordinal))
            {
                Log.PingTimeoutMayMisfire(_logger, name, warning);
            }
        }
    }

    /// <summary>Gets a token that fires when a reload of the profile is accepted (for <see cref="IOptionsMonitor{TOptions}"/>).</summary>
    public IChangeToken AcceptedChanges(string name) =>
        new CancellationChangeToken(_accepted.GetOrAdd(name, static _ => new CancellationTokenSource()).Token);

    /// <summary>
    /// Calls <paramref name="onAccepted"/> after every accepted reload of a profile while something still holds the values
    /// it is about: one watcher per profile and <paramref name="key"/>, however often it is asked for (a client set up again
    /// with the same values adds its holder). Holders are kept weakly: once every one has been collected (the clients made
    /// from them disposed and dropped), or released (a <see cref="Clients.ClientHold"/> its client's disposal released), the
    /// next accepted reload calls nothing and releases the watcher.
    /// </summary>
    /// <param name="profileName">The profile.</param>
    /// <param name="key">What the watcher is about (who took which values).</param>
    /// <param name="heldBy">What keeps the values for as long as a client made from them lives; <see langword="null"/>: as long as the profiles.</param>
    /// <param name="onAccepted">Called after each accepted reload.</param>
    public void WatchAcceptedReloads(string profileName, string key, object? heldBy, Action onAccepted)
    {
        var name = Resolve(profileName);
        var id = $"{name}\n{key}";
        lock (_watchers)
        {
            var added = !_watchers.TryGetValue(id, out var watcher);
            if (added)
            {
                watcher = new AcceptedReloadWatcher();
                _watchers.Add(id, watcher);
            }

            // Held before subscribing: a reload accepted meanwhile calls back at once, and must find the holder.
            watcher!.Hold(heldBy);
            if (added)
            {
                watcher.Subscription = ChangeToken.OnChange(() => AcceptedChanges(name), () =>
                {
                    if (StillHeld(id))
                    {
                        onAccepted();
                    }
                });
            }
        }
    }

    /// <summary>Gets how many watchers of accepted reloads are subscribed (a released one no longer counts).</summary>
    internal int AcceptedReloadWatchers
    {
        get
        {
            lock (_watchers)
            {
                return _watchers.Count;
            }
        }
    }

    // Runs on the reload's thread, in the watcher's own callback: the only place a watcher is released, so that its
    // subscription is disposed from within its callback (which never waits) and never from a thread the callback waits for.
    private bool StillHeld(string id)
    {
        AcceptedReloadWatcher? released;
        lock (_watchers)
        {
            if (!_watchers.TryGetValue(id, out released) || released.IsHeld())
            {
                return released is not null;
            }

            _watchers.Remove(id);
        }

        released.Subscription?.Dispose();
        return false;
    }

    public void Dispose()
    {
        lock (_subscriptions)
        {
            foreach (var subscription in _subscriptions)
            {
                subscription.Dispose();
            }
        }

        List<AcceptedReloadWatcher> watchers;
        lock (_watchers)
        {
            watchers = [.. _watchers.Values];
            _watchers.Clear();
        }

        foreach (var watcher in watchers)
        {
            watcher.Subscription?.Dispose(); // outside the lock: a callback running now waits for it in StillHeld
        }

        // Under the reloads' lock: a reload running now (the file watcher's thread, while the host stops) finishes first, and
        // one that follows, or that this disposal interrupted on its own thread (a listener of its log), signals nothing.
        lock (_reloadLock)
        {
            _disposed = true;
            foreach (var accepted in _accepted.Values)
            {
                accepted.Dispose();
            }
        }
    }

    private KeepAliveProfileOptions Current(string name)
    {
        if (_current.TryGetValue(name, out var options))
        {
            return options;
        }

        lock (_reloadLock)
        {
            if (!_current.TryGetValue(name, out options))
            {
                var fingerprint = Fingerprint(_registrations[name]);
                options = _factory.Create(name);
                _current[name] = options;
                _lastSeen[name] = fingerprint;
            }

            return options;
        }
    }

    // A reload of a watched configuration judges every profile with a change not judged yet (of that configuration, and of
    // another whose reload event is still to come) and every profile whose latest change was refused (a refusal can depend on
    // the others: a heartbeat name another one reports under), together, against the configuration of now.
    private void Reload()
    {
        lock (_reloadLock)
        {
            if (_disposed)
            {
                return; // The host is gone: nothing uses the values any more.
            }

            var judged = new List<(KeepAliveProfileRegistration Registration, bool Changed)>();
            foreach (var profile in _registrations.Values.Where(static r => r.Section is not null).OrderBy(static r => r.Name, StringComparer.Ordinal))
            {
                // The file watcher raises several events for one save: unchanged content is not judged again, unless refused.
                var fingerprint = Fingerprint(profile);
                var changed = !_lastSeen.TryGetValue(profile.Name, out var last) || last != fingerprint;
                _lastSeen[profile.Name] = fingerprint;
                if (_current.ContainsKey(profile.Name) && (changed || _refused.ContainsKey(profile.Name)))
                {
                    judged.Add((profile, changed)); // never built: the next use builds it and reports any problem itself
                }
            }

            Judge(judged);
            SayAdded();
            SayRefusedAtStartUp();
        }
    }

    // Under the reloads' lock: each profile section a reload listed in a watched Profiles section and no profile binds from is
    // said once (event 3008): its profile not registered, or registered (in code, or from another path) without it, as the
    // sections a profile binds from are read at start-up; one removed and listed again is said again.
    private void SayAdded()
    {
        var added = NotBound().ToList();
        _addedSaid.IntersectWith(added.Select(static c => c.Section.Path));
        foreach (var (section, registration) in added.Where(c => _addedSaid.Add(c.Section.Path)))
        {
            var (finding, fix) = KeepAliveProfileRegistration.AddedAfterStartUp(section, registration);
            Log.ProfileAddedAfterStartUp(_logger, registration?.Name ?? section.Key, finding, fix);
        }
    }

    // Under the reloads' lock: in every section given to AddKeepAlive(section), each key a reload added that start-up refuses
    // (event 3009) and each Health section no health check reads (event 3010) is said once, with start-up's finding and fix;
    // nothing reads it and nothing in force changes. One removed and added again is said again.
    private void SayRefusedAtStartUp()
    {
        var unknown = _given.SelectMany(static s => s.UnknownKeys()).ToList();
        var unread = _given.Select(static s => s.Health?.Path).OfType<string>()
            .Select(path => (Path: path, Unread: KeepAliveHealthCheckOptionsValidator.Unread(path, _healthBindings, _healthChecks)))
            .Where(static h => h.Unread is not null).Select(static h => (h.Path, h.Unread!.Value.Unread, h.Unread.Value.Fix)).ToList();
        _refusedSaid.IntersectWith([.. unknown.Select(static u => u.Path), .. unread.Select(static h => h.Path)]);
        foreach (var (path, finding, fix) in unknown.Where(u => _refusedSaid.Add(u.Path)))
        {
            Log.UnknownKeyAddedAfterStartUp(_logger, path, finding, fix);
        }

        foreach (var (path, why, fix) in unread.Where(h => _refusedSaid.Add(h.Path)))
        {
            Log.HealthSectionAddedAfterStartUp(_logger, path, why, fix);
        }
    }

    // Under the reloads' lock. Each profile's values are built and validated; the valid ones then must not report their
    // heartbeats under a name another profile reports under once this reload is taken (refused together until none does, as
    // start-up refuses them). Taken: logged as accepted; refused: logged and counted, unless only judged again (unchanged)
    // and refused for the same reason as already given.
    private void Judge(List<(KeepAliveProfileRegistration Registration, bool Changed)> judged)
    {
        var taken = new Dictionary<string, KeepAliveProfileOptions>(StringComparer.Ordinal);
        var refused = new Dictionary<string, IEnumerable<string>>(StringComparer.Ordinal);
        foreach (var (registration, _) in judged)
        {
            if (!registration.SectionExists)
            {
                refused[registration.Name] = [$"{registration.Source}: the profile's section is gone from the configuration (deleted or renamed). Fix: restore the \"{registration.Name}\" section, or remove the profile's registration and restart."];
                continue;
            }

            try
            {
                taken[registration.Name] = _factory.Create(registration.Name);
            }
            catch (OptionsValidationException ex)
            {
                refused[registration.Name] = ex.Failures;
            }
        }

        // A profile keeping the heartbeat name it reports under now is never the one refused for it: the other one took it.
        while (taken.Where(t => !string.Equals(HeartbeatName(t.Key, t.Value), HeartbeatName(t.Key, _current[t.Key]), StringComparison.OrdinalIgnoreCase))
            .Select(t => (t.Key, Shared: SharedHeartbeatName(_registrations[t.Key], t.Value, taken))).Where(static t => t.Shared is not null).ToList() is { Count: > 0 } shared)
        {
            foreach (var (name, why) in shared)
            {
                taken.Remove(name);
                refused[name] = [why!];
            }
        }

        // Every profile taken before any is told of: a listener of one reads the others as this save left them.
        foreach (var (name, reloaded) in taken)
        {
            KeepSocketWarnings(_current[name], reloaded);
            _current[name] = reloaded;
            _refused.TryRemove(name, out _);
        }

        foreach (var (registration, changed) in judged)
        {
            var name = registration.Name;
            if (taken.TryGetValue(name, out var reloaded))
            {
                Log.ProfileReloaded(_logger, name);
                WarnOfPingTimeouts(name, reloaded);
                SignalAccepted(name);
                continue;
            }

            var why = string.Join(" | ", refused[name]);
            if (!changed && _refused.TryGetValue(name, out var given) && given == why)
            {
                continue;
            }

            _refused[name] = why;
            Log.ProfileReloadRejected(_logger, name, why);
            _metrics.Rejected(name);
        }
    }

    // Start-up refuses two profiles reporting under one heartbeat name when the health check is added (its options validator);
    // a reload that makes this profile's name another's, as it will be once the reload is taken, is refused the same way.
    private string? SharedHeartbeatName(KeepAliveProfileRegistration registration, KeepAliveProfileOptions reloaded, Dictionary<string, KeepAliveProfileOptions> taken)
    {
        var heartbeat = HeartbeatName(registration.Name, reloaded);
        var others = _healthChecks.Length > 0
            ? _current.Where(c => c.Key != registration.Name && string.Equals(HeartbeatName(c.Key, taken.GetValueOrDefault(c.Key, c.Value)), heartbeat, StringComparison.OrdinalIgnoreCase)).Select(static c => c.Key).Order(StringComparer.Ordinal).ToList()
            : [];
        return others.Count == 0 ? null
            : $"{registration.Describe("Heartbeat:Name")}: '{heartbeat}' is refused. " + KeepAliveHealthCheckOptionsValidator.SharedHeartbeatName([.. others, registration.Name], heartbeat, registration.Describe("Heartbeat:Name"));
    }

    private static string HeartbeatName(string profile, KeepAliveProfileOptions values) => KeepAliveTelemetryListener.HeartbeatName(values.Heartbeat, profile);

    // The socket warnings given for the values in force stay given while the reload leaves the Tcp section as it was (another
    // setting changed): the same values round, or are unsupported, the same way. New Tcp values get a new logger, warning again.
    private void KeepSocketWarnings(KeepAliveProfileOptions previous, KeepAliveProfileOptions reloaded)
    {
        if (SameTcp(previous.Tcp, reloaded.Tcp) && _socketLoggers.TryGetValue(previous, out var given))
        {
            _socketLoggers.AddOrUpdate(reloaded, given);
        }
    }

    // Every value ConfigureKeepAlive writes (each settable Tcp option, as the configuration schema finds them: one added is
    // compared too), and whether it writes it at all (UnsetValues KeepCurrent).
    internal static bool SameTcp(TcpKeepAliveOptions previous, TcpKeepAliveOptions reloaded) =>
        OptionsSchema.For<TcpKeepAliveOptions>().SameValues(previous, reloaded)
        && Enum.GetValues<KeepAliveOption>().All(o => previous.KeepsCurrent(o) == reloaded.KeepsCurrent(o));

    private void SignalAccepted(string name)
    {
        if (!_disposed && _accepted.TryRemove(name, out var previous))
        {
            using (previous)
            {
                try
                {
                    previous.Cancel();
                }
                catch (AggregateException)
                {
                    // A listener of IOptionsMonitor failed (the file changed again in between); the next change event reports it.
                }
            }
        }
    }

    // Whether the section exists is part of it: an empty profile ({ }) deleted reads as the same (no) values. Every section
    // the profile binds from counts: a change in any of them is a change of the profile.
    private string Fingerprint(KeepAliveProfileRegistration registration) =>
        registration.Section is not null
            ? (registration.SectionExists ? string.Empty : "(gone)\n") + string.Join("\n\n", _sections[registration.Name].Select(static section =>
                string.Join('\n', section.AsEnumerable(makePathsRelative: true).OrderBy(static p => p.Key, StringComparer.Ordinal).Select(static p => $"{p.Key}={p.Value}"))))
            : string.Empty;

    // usedBy: what asked for the profile (a client), named when the profile is not registered.
    private string Resolve(string profileName, string? usedBy = null)
    {
        ArgumentNullException.ThrowIfNull(profileName);
        return _registrations.TryGetValue(profileName, out var registration)
            ? registration.Name
            : throw new KeepAliveProfileNotFoundException(profileName, Names, AddedAfterStartUp(profileName), EmptyKeepAliveSection.DescribeAll(_emptySections, _configuration),
                usedBy is null ? null : [usedBy], KeepAliveProfileRegistration.ProfilesPath(_registrations.Values));
    }

    // A profile a reload listed in a watched Profiles section: not registered, as the set of profiles is read once.
    private string? AddedAfterStartUp(string profileName) =>
        NotBound().FirstOrDefault(c => c.Registration is null && string.Equals(c.Section.Key, profileName, StringComparison.OrdinalIgnoreCase)).Section?.Path;

    // The profile sections listed in the watched Profiles sections that no profile binds from, with the profile of their name
    // when one is registered (in code, or from other sections).
    private IEnumerable<(IConfigurationSection Section, KeepAliveProfileRegistration? Registration)> NotBound() =>
        _listed.SelectMany(static listed => listed.GetChildren())
            .Where(c => !_sections[c.Key].OfType<IConfigurationSection>().Any(bound => string.Equals(bound.Path, c.Path, StringComparison.OrdinalIgnoreCase)))
            .Select(c => (c, _registrations.GetValueOrDefault(c.Key)));

    /// <summary>One watcher of accepted reloads and what holds the values it is about, weakly.</summary>
    private sealed class AcceptedReloadWatcher
    {
        private readonly List<WeakReference<object>> _holders = [];
        private bool _heldByTheProfiles;

        public IDisposable? Subscription { get; set; }

        /// <summary>Adds a holder (under the profiles' lock of watchers); <see langword="null"/> holds it as long as the profiles.</summary>
        public void Hold(object? holder)
        {
            if (holder is null)
            {
                _heldByTheProfiles = true;
            }
            else if (!_holders.Exists(h => h.TryGetTarget(out var held) && ReferenceEquals(held, holder)))
            {
                // Clients made and dropped between reloads (a channel per call) leave no trail: the collected go first.
                ForgetCollected();
                _holders.Add(new WeakReference<object>(holder));
            }
        }

        /// <summary>Whether a holder lives, forgetting the collected ones (under the profiles' lock of watchers).</summary>
        public bool IsHeld()
        {
            ForgetCollected();
            return _heldByTheProfiles || _holders.Count > 0;
        }

        // A holder released by its client's disposal (Clients.ClientHold) keeps nothing in force either.
        private void ForgetCollected() => _holders.RemoveAll(static h => !h.TryGetTarget(out var held) || held is Clients.ClientHold { IsReleased: true });
    }
}
