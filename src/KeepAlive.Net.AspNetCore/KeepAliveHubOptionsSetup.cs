using System.Collections.Concurrent;
using KeepAlive.Net.AspNetCore.Diagnostics;
using KeepAlive.Net.Hosting;
using KeepAlive.Net.Hosting.Profiles;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.AspNetCore;

/// <summary>
/// Sets the hubs' keep-alive interval and client timeout from a profile (<c>services.AddSignalR().UseKeepAlive</c>), when the
/// host starts; checks and reports the values in force after every other configuration (a <c>Configure&lt;HubOptions&gt;</c>
/// after the call runs after the profile's values).
/// </summary>
internal sealed class KeepAliveHubOptionsSetup(IServiceProvider services, string profileName) : IConfigureOptions<HubOptions>, IPostConfigureOptions<HubOptions>
{
    // HubOptions are built twice (IOptions for SignalR, IOptionsMonitor for ValidateOnStart): one start-up line says it.
    private int _logged;

    // The first build (at start-up) takes the values the hubs run with and watches reloads; a later one (a build that asks
    // whether a restart would start) neither.
    private int _configured;

    // The call, as messages name it.
    private const string Call = Calls.HubsUseKeepAlive;

    // The call with its profile, as a refusal of a name no configuration defines names it.
    private string CallWithTheProfile => Calls.With(Call, profileName);

    // How warning 3106 marks a value that code set after the call, over the profile's.
    private static readonly string SetAfterTheCall = ReloadWatch.SetInCodeAfter(Call);

    // The hubs' values as the profile's Configure left them: a value in force that differs was set in code after the call.
    private (TimeSpan? KeepAliveInterval, TimeSpan? ClientTimeoutInterval) _leftByTheProfile;
    private readonly ConcurrentDictionary<Type, byte> _hubsLogged = new();

    // The values each mapped hub runs with (its HubOptions<THub>, else every hub's), for warning 3106.
    private readonly ConcurrentDictionary<Type, (TimeSpan? KeepAliveInterval, TimeSpan? ClientTimeoutInterval)> _hubsInForce = new();

    // The values each mapped hub's own options set (null: every hub's), read at each call: what a restart would give it.
    private readonly ConcurrentDictionary<Type, Func<(TimeSpan? KeepAliveInterval, TimeSpan? ClientTimeoutInterval)>> _hubsOwn = new();

    public void Configure(HubOptions options)
    {
        var settings = Settings();
        if (settings.KeepAliveInterval is { } interval)
        {
            options.KeepAliveInterval = interval;
        }

        if (settings.ClientTimeoutInterval is { } timeout)
        {
            options.ClientTimeoutInterval = timeout;
        }

        if (Interlocked.Exchange(ref _configured, 1) != 0)
        {
            return;
        }

        _leftByTheProfile = (options.KeepAliveInterval, options.ClientTimeoutInterval);
        var taken = Values(ShowInterval(settings), Show(settings.ClientTimeoutInterval), static _ => string.Empty);
        ReloadWatch.Warn(services, profileName, "The SignalR hubs' HubOptions", Reloaded, FixFor, InForce, taken);
    }

    /// <summary>
    /// The reloaded profile's values for warning 3106, unless a restart with it would be refused, as start-up checks the hubs'
    /// values in force with it (a keep-alive interval set in code over half the client's ServerTimeout the profile now gives):
    /// then <see cref="OptionsValidationException"/>, with start-up's reason and fix, and the warning says that every value stays.
    /// </summary>
    private Dictionary<string, string> Reloaded(IKeepAliveProfiles profiles)
    {
        var settings = KeepAliveSignalRSettings.Create(profiles, profileName, CallWithTheProfile);
        try
        {
            // Every configuration again, as a restart runs it (this class's PostConfigure checks; the first build alone logs and watches),
            // and each mapped hub's own options over it, as start-up checks them when the hub is mapped.
            var everyHubs = services.GetRequiredService<IOptionsFactory<HubOptions>>().Create(Options.DefaultName);
            foreach (var (hub, own) in _hubsOwn)
            {
                _ = HubInForce(settings, hub, own(), everyHubs);
            }
        }
        catch (InvalidOperationException ex)
        {
            throw new OptionsValidationException(profileName, typeof(HubOptions), [ex.Message]);
        }

        return Values(ShowInterval(settings), Show(settings.ClientTimeoutInterval), static _ => string.Empty);
    }

    // The fix of warning 3106 where a restart alone is not it: values set in code that win over the profile stay after one.
    private string? FixFor(string changes)
    {
        string[] assignments =
        [
            .. changes.Contains(SetAfterTheCall, StringComparison.Ordinal) ? [$"the HubOptions assignments in code after {Call} (Configure<HubOptions>)"] : Array.Empty<string>(),
            .. _hubsInForce.Keys.Select(static hub => SetByHubOptions(hub.Name)).Where(hub => changes.Contains(hub, StringComparison.Ordinal)).Order(StringComparer.Ordinal)
                .Select(static hub => $"the assignments{hub}"),
        ];
        return assignments.Length == 0 ? null : ReloadWatch.ThenRestart([ReloadWatch.RemoveAssignments(assignments)]);
    }

    // How warning 3106 marks the value one mapped hub runs with, set in code by its AddHubOptions<THub> (a restart keeps it).
    private static string OnHub(string value, string hub) => $", and {value} on hub {hub}, set{SetByHubOptions(hub)}";

    private static string SetByHubOptions(string hub) => $" in code by {AddHubOptions(hub)}";

    private static string AddHubOptions(string hub) => $"AddHubOptions<{hub}>";

    // The hubs' values in force, for warning 3106: code may have set them, before the call where the profile sets none
    // (a restart applies the profile's), or after it (a restart keeps them).
    private Dictionary<string, string> InForce()
    {
        var hubs = services.GetRequiredService<IOptions<HubOptions>>().Value;
        var left = _leftByTheProfile;
        var mapped = _hubsInForce.OrderBy(static h => h.Key.Name, StringComparer.Ordinal).ToList();
        return Values(Show(hubs.KeepAliveInterval), Show(hubs.ClientTimeoutInterval), setting => setting switch
        {
            nameof(HubOptions.KeepAliveInterval) when hubs.KeepAliveInterval != left.KeepAliveInterval => SetAfterTheCall,
            nameof(HubOptions.ClientTimeoutInterval) when hubs.ClientTimeoutInterval != left.ClientTimeoutInterval => SetAfterTheCall,
            _ => string.Empty,
        } + string.Concat(mapped.Select(hub => (Of(hub.Value, setting), Of((hubs.KeepAliveInterval, hubs.ClientTimeoutInterval), setting)) is var (own, every) && own != every
            ? OnHub(Show(own), hub.Key.Name)
            : string.Empty)));
    }

    private static TimeSpan? Of((TimeSpan? KeepAliveInterval, TimeSpan? ClientTimeoutInterval) values, string setting) =>
        setting == nameof(HubOptions.KeepAliveInterval) ? values.KeepAliveInterval : values.ClientTimeoutInterval;

    // The hubs' values by setting, as warning 3106 shows them (see Show), each followed by `note(setting)`.
    private static Dictionary<string, string> Values(string keepAliveInterval, string clientTimeoutInterval, Func<string, string> note) => new(StringComparer.Ordinal)
    {
        [nameof(HubOptions.KeepAliveInterval)] = keepAliveInterval + note(nameof(HubOptions.KeepAliveInterval)),
        [nameof(HubOptions.ClientTimeoutInterval)] = clientTimeoutInterval + note(nameof(HubOptions.ClientTimeoutInterval)),
    };

    private static string Show(TimeSpan? value) => value is { } v ? KeepAliveDuration.Format(v) : "SignalR's default";

    // The profile's keep-alive interval as warning 3106 shows it (KeepAliveSignalRSettings.ShownKeepAliveInterval, as the client's 3204 does).
    private static string ShowInterval(KeepAliveSignalRSettings settings) => settings.ShownKeepAliveInterval ?? Show(null);

    public void PostConfigure(string? name, HubOptions options)
    {
        Settings().ThrowIfReconnectLoop(clientTimeoutInterval: options.ClientTimeoutInterval, hubKeepAliveInterval: options.KeepAliveInterval);
        if (Interlocked.Exchange(ref _logged, 1) == 0)
        {
            Report("SignalR hubs use", options.KeepAliveInterval, options.ClientTimeoutInterval);
        }
    }

    /// <summary>
    /// Holds one hub's own options (<c>AddHubOptions&lt;THub&gt;</c>, which replace every hub's values for it) to the rule every
    /// hub's are held to, and gives that hub a start-up line of its own when it runs with other values than every hub's.
    /// </summary>
    /// <param name="hub">The hub.</param>
    /// <param name="own">The values the hub's own options set, <see langword="null"/> where they leave every hub's: read again at each reload.</param>
    public void CheckHub(Type hub, Func<(TimeSpan? KeepAliveInterval, TimeSpan? ClientTimeoutInterval)> own)
    {
        _hubsOwn[hub] = own;
        var everyHubs = services.GetRequiredService<IOptions<HubOptions>>().Value;
        var (interval, timeout) = HubInForce(Settings(), hub, own(), everyHubs);
        _hubsInForce[hub] = (interval, timeout);
        if ((interval, timeout) != (everyHubs.KeepAliveInterval, everyHubs.ClientTimeoutInterval) && _hubsLogged.TryAdd(hub, 0))
        {
            Report($"SignalR hub {hub.Name} ({AddHubOptions(hub.Name)}) uses", interval, timeout);
        }
    }

    // One hub's values in force, held to the rule every hub's are: its own where its options set them, else every hub's
    // (SignalR copies every hub's into them). At start-up and at each reload alike, over every hub's as each builds them.
    private static (TimeSpan? KeepAliveInterval, TimeSpan? ClientTimeoutInterval) HubInForce(KeepAliveSignalRSettings settings, Type hub,
        (TimeSpan? KeepAliveInterval, TimeSpan? ClientTimeoutInterval) own, HubOptions everyHubs)
    {
        var (interval, timeout) = (own.KeepAliveInterval ?? everyHubs.KeepAliveInterval, own.ClientTimeoutInterval ?? everyHubs.ClientTimeoutInterval);
        settings.ThrowIfReconnectLoop(clientTimeoutInterval: timeout, hubOptions: $"HubOptions<{hub.Name}>", hubKeepAliveInterval: interval);
        return (interval, timeout);
    }

    // The start-up line (3105): the values in force, and where each comes from.
    private void Report(string hubs, TimeSpan? keepAliveInterval, TimeSpan? clientTimeoutInterval)
    {
        var logger = KeepAliveProfileMetrics.Logger(services, "KeepAlive.Net.AspNetCore");
        if (logger.IsEnabled(LogLevel.Information))
        {
            var applied = Settings().Describe(keepAliveInterval: keepAliveInterval, clientTimeoutInterval: clientTimeoutInterval);
            Log.HubKeepAliveApplied(logger, hubs, profileName, applied);
        }
    }

    private KeepAliveSignalRSettings Settings() =>
        KeepAliveSignalRSettings.Create(RegisteredProfiles.From(services, Call, profileName), profileName, CallWithTheProfile);
}

/// <summary>
/// One hub's options (<c>HubOptions&lt;THub&gt;</c>: SignalR copies every hub's values into them, then <c>AddHubOptions&lt;THub&gt;</c>
/// may replace them): checked as <see cref="KeepAliveHubOptionsSetup"/> checks every hub's, when SignalR builds them (at <c>MapHub</c>),
/// and again at each reload, as a restart would build them.
/// Registered for every options type; the container takes it only where <typeparamref name="TOptions"/> is a <see cref="HubOptions"/>.
/// </summary>
internal sealed class KeepAliveHubOptionsCheck<TOptions>(KeepAliveHubOptionsSetup setup, IServiceProvider services) : IPostConfigureOptions<TOptions>
    where TOptions : HubOptions, new()
{
    public void PostConfigure(string? name, TOptions options)
    {
        if (typeof(TOptions) is { IsGenericType: true } hubOptions && hubOptions.GetGenericTypeDefinition() == typeof(HubOptions<>))
        {
            setup.CheckHub(hubOptions.GenericTypeArguments[0], Own);
        }
    }

    /// <summary>
    /// The values the hub's own options set (<c>AddHubOptions&lt;THub&gt;</c>, a <c>PostConfigure</c> of yours), <see langword="null"/>
    /// where they leave every hub's: its configuration run again without SignalR's copy of every hub's values, which holds the
    /// values of the start-up, not those a restart would copy.
    /// </summary>
    private (TimeSpan? KeepAliveInterval, TimeSpan? ClientTimeoutInterval) Own()
    {
        var own = new TOptions();
        foreach (var configure in services.GetServices<IConfigureOptions<TOptions>>().Where(static c => c.GetType().Assembly != typeof(HubOptions).Assembly))
        {
            if (configure is IConfigureNamedOptions<TOptions> named)
            {
                named.Configure(Options.DefaultName, own);
            }
            else
            {
                configure.Configure(own);
            }
        }

        foreach (var postConfigure in services.GetServices<IPostConfigureOptions<TOptions>>().Where(static p => p is not KeepAliveHubOptionsCheck<TOptions>))
        {
            postConfigure.PostConfigure(Options.DefaultName, own);
        }

        return (own.KeepAliveInterval, own.ClientTimeoutInterval);
    }
}
