using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using KeepAlive.Net.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Tool.Cli;

/// <summary>
/// The options that say which keep-alive settings to use: a profile from an appsettings.json file, flags, or both
/// (flags override the profile). Profiles are loaded through the library's own hosting API, so binding and
/// validation messages are the library's.
/// </summary>
internal sealed partial class ProfileArguments
{
    public const string CommandLineProfile = "command-line";

    /// <summary>The fix for a <c>--settings</c> file that holds no JSON object: the shape it takes.</summary>
    private const string ObjectShape = "write one JSON object, as appsettings.json is: { \"KeepAlive\": { \"Profiles\": { \"payments\": { \"Tcp\": { \"IdleTime\": \"30s\" } } } } }.";

    /// <summary>Where a <c>--settings</c> file holds its profiles.</summary>
    private const string ProfilesSection = "KeepAlive:Profiles";

    /// <summary>Where the profile of the flags alone comes from, named in its refusals in place of the library's name of it (<see cref="FromFlags"/>).</summary>
    private const string CommandLineSource = $"KeepAlive profile '{CommandLineProfile}' (from the command-line flags)";

    /// <summary>The profile value the heartbeat period flags set (<c>show --heartbeat-interval</c>, <c>check --every</c>).</summary>
    public const string HeartbeatIntervalSetting = "Heartbeat:Interval";

    private const string EnabledSetting = "Tcp:Enabled";
    private const string On = "on";
    private const string Off = "off";
    private const string IdleTimeSetting = "Tcp:IdleTime";
    private const string IntervalSetting = "Tcp:Interval";
    private const string ProbeCountSetting = "Tcp:ProbeCount";
    private const string UserTimeoutSetting = "Tcp:UserTimeout";
    /// <summary>The profile value <c>--peer-idle-timeout</c> sets (<c>show</c>, <c>check</c>), and whose range <c>doctor</c>'s judges against.</summary>
    public const string PeerIdleTimeoutSetting = "Heartbeat:PeerIdleTimeout";

    public Option<FileInfo?> Settings { get; } = new("--settings")
    {
        Description = "An appsettings.json file with a KeepAlive:Profiles section.",
        HelpName = "file",
        CustomParser = static result => Paths.ParseToRead(result, "--settings", "--settings appsettings.json"),
    };

    public Option<string?> Profile { get; } = new("--profile")
    {
        Description = "The profile to use from --settings, e.g. payments.",
        HelpName = "name",
        // An empty name is no profile's: refused as such, not looked up and answered with "add a \"\" profile".
        Validators =
        {
            static result =>
            {
                if (string.IsNullOrWhiteSpace(result.GetValueOrDefault<string?>()))
                {
                    result.AddError(Refusals.Text("--profile", "the profile name is empty.", "give the name of a profile under KeepAlive:Profiles in --settings, e.g. --profile payments, or leave --profile out when the file holds one."));
                }
            },
        },
    };

    // Text, not a bool option: System.CommandLine takes only "true" or "false" after a bool option and reads "off" as an argument.
    public Option<string?> TcpKeepAlive { get; } = new("--tcp-keepalive")
    {
        Description = $"Whether OS keep-alive is on ({EnabledSetting}): on or off. Off leaves an idle connection to the heartbeat, the one way to keep it through an idle timeout of 2s or less, which no keep-alive probe and its retry can beat.",
        HelpName = "on|off",
        CustomParser = static result => Durations.Text(result) switch
        {
            var text when text.Equals(On, StringComparison.OrdinalIgnoreCase) => On,
            var text when text.Equals(Off, StringComparison.OrdinalIgnoreCase) => Off,
            var text => Durations.Fail<string?>(result, $"--tcp-keepalive ({EnabledSetting})", $"'{text}' is neither {On} nor {Off}. Fix: write --tcp-keepalive {Off} to leave the connection to the heartbeat, or --tcp-keepalive {On}."),
        },
    };

    public Option<TimeSpan?> Idle { get; } = Durations.Option<TcpKeepAliveOptions>("--idle", "Idle time before the first keep-alive probe", IdleTimeSetting);

    public Option<TimeSpan?> Interval { get; } = Durations.Option<TcpKeepAliveOptions>("--interval", "Time between keep-alive probes", IntervalSetting);

    public Option<int?> Count { get; } = Durations.WholeNumber<TcpKeepAliveOptions>("--count", "Unanswered probes before the kernel gives up", "probes", ProbeCountSetting);

    public Option<TimeSpan?> UserTimeout { get; } = Durations.Option<TcpKeepAliveOptions>("--user-timeout", "TCP_USER_TIMEOUT (Linux), a bound on unacknowledged data", UserTimeoutSetting);

    public Option<PeerIdleTimeout?> PeerIdleTimeout { get; } = new("--peer-idle-timeout")
    {
        Description = $"The peer's or middlebox's idle timeout ({PeerIdleTimeoutSetting}): a preset ({string.Join(", ", KeepAlive.Net.PeerIdleTimeout.Presets.Select(static p => p.PresetName))}) or a duration, {Durations.RangeOf<HeartbeatOptions>(PeerIdleTimeoutSetting)}.",
        HelpName = "preset|duration",
        CustomParser = static result => KeepAlive.Net.PeerIdleTimeout.TryParse(Durations.Text(result), out var value, out var error)
            ? value
            : Durations.Fail<PeerIdleTimeout?>(result, $"--peer-idle-timeout ({PeerIdleTimeoutSetting})", error),
    };

    // The flags that set a profile value, over the file's profile or the library's defaults, each with the value it sets.
    private (Option Flag, string Setting)[] ValueFlags =>
        [(TcpKeepAlive, EnabledSetting), (Idle, IdleTimeSetting), (Interval, IntervalSetting), (Count, ProbeCountSetting), (UserTimeout, UserTimeoutSetting), (PeerIdleTimeout, PeerIdleTimeoutSetting)];

    public void AddTo(Command command)
    {
        foreach (var option in (Option[])[Settings, Profile, .. ValueFlags.Select(static f => f.Flag)])
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The profile the options describe, validated by the library, or <see langword="null"/> when none was given.</summary>
    /// <param name="result">The parsed command line.</param>
    /// <param name="heartbeat">
    /// The command's own heartbeat flag, which sets the profile's <c>Heartbeat:Interval</c>, and the period it gives
    /// (<c>check --heartbeat --every</c>, <c>show --heartbeat-interval</c>), or <see langword="null"/> when the command has
    /// none: it sends no heartbeat, so in a profile of flags alone a <c>Heartbeat:Interval</c> no flag set is not judged; a
    /// <c>--settings</c> file's profile, flags over it or not, is judged as the application that reads the file judges it,
    /// which sends its heartbeat (<see cref="ResolvedProfile.Judges"/>). The period is the flag's default when the flag is not given: it then replaces only a <c>Heartbeat:Interval</c>
    /// the file's profile leaves unset; without a period, the profile's stays.
    /// </param>
    /// <exception cref="ToolInputException">The file, the profile or a value is wrong; the message is the library's.</exception>
    public ResolvedProfile? Resolve(ParseResult result, (Option Flag, TimeSpan? Interval)? heartbeat = null)
    {
        var settings = result.GetValue(Settings);
        var profile = result.GetValue(Profile);
        var overrides = Overrides(result, heartbeat);
        if (settings is null && profile is not null)
        {
            throw new ToolInputException($"--profile {profile}: no --settings file to find it in. Fix: name the file that holds it, e.g. --settings appsettings.json --profile {profile}.");
        }

        if (settings is null && overrides is null)
        {
            return null;
        }

        var services = new ServiceCollection();
        var name = settings is null ? RegisterCommandLine(services) : RegisterFile(services, settings, profile, Given(result, heartbeat).Select(static f => f.Setting).ToList());
        if (overrides is not null)
        {
            services.Configure(name, overrides);
        }

        // The heartbeat is sent by the command, or by the application that reads the file: the flags over a file stand for
        // edits of it, so its unset Heartbeat:Interval is the 10 s default the application sends, judged as Hosting judges it.
        // The library names a file's profile by its configuration path, the flags' profile by its name (configured in code).
        var sent = heartbeat is not null || settings is not null;
        var path = settings is null ? null : ProfilePath(name);
        UnusedHeartbeatValidation.Wrap(services, sent, path);
        using var provider = services.BuildServiceProvider();
        try
        {
            return new ResolvedProfile(name, provider.GetRequiredService<IKeepAliveProfiles>().GetProfile(name), sent);
        }
        catch (OptionsValidationException e)
        {
            // Every failure of the profile at once, one refusal each: what the library's reader refused and what its
            // validators found, each "path: 'value' ... Fix: ...". The library names a value by its place in the file (or, for
            // the flags' profile, 'configured in code', named here as the flags'), by its one rule, asked here; a fix a flag
            // can make names that flag.
            throw new ToolInputException([.. e.Failures.Select(failure => (Said: failure, Shown: settings is null ? FromFlags(failure, ProfileSource.Of(path, name)) : failure))
                .Select(failure => Refusals.Parts(failure.Shown) is { Subject: { } subject, Fix: { } fix } parts
                    ? Refusals.Text(subject, parts.Error, fix + FlagNote(result, heartbeat, settings, setting => failure.Said.StartsWith(ProfileSource.RefusalOf(ProfileSource.Setting(path, name, setting)), StringComparison.OrdinalIgnoreCase), fix))
                    : Refusals.Text($"profile '{name}'", failure.Shown, "correct the value it names."))], e);
        }
        catch (KeepAliveProfileNotFoundException e) when (settings is not null)
        {
            var suggestion = e.ClosestName is { } closest ? $" Did you mean '{closest}'?" : string.Empty;
            throw new ToolInputException(
                $"--profile {name}: {settings.Name} has no profile '{name}' (its profiles: {string.Join(", ", e.RegisteredNames)}).{suggestion} "
                + $"Fix: run again with --profile {e.ClosestName ?? e.RegisteredNames[0]}, or add a \"{name}\" profile under KeepAlive:Profiles in {settings.FullName}.", e);
        }
        catch (InvalidOperationException e)
        {
            throw new ToolInputException(e.Message, e);
        }
    }

    /// <summary>
    /// A failure of the flags' profile, named by where it comes from: the library names a profile without a configuration
    /// path "(configured in code)", true in an application, not here. Its name, <paramref name="librarySource"/>, is replaced
    /// as the library wrote it, whatever its words; a failure that does not start with it is left as it is.
    /// </summary>
    /// <param name="failure">One failure, as the library's validation wrote it.</param>
    /// <param name="librarySource">How the library names the profile (<see cref="ProfileSource.Of"/>).</param>
    internal static string FromFlags(string failure, string librarySource) =>
        failure.StartsWith(librarySource, StringComparison.Ordinal) ? CommandLineSource + failure[librarySource.Length..] : failure;

    // The configuration path of a file's profile, e.g. KeepAlive:Profiles:payments: what the flags replace in the file, and
    // how the library names the profile in its refusals.
    private static string ProfilePath(string name) => ConfigurationPath.Combine(ProfilesSection, name);

    private static string RegisterCommandLine(ServiceCollection services)
    {
        services.AddKeepAlive(CommandLineProfile, static _ => { });
        return CommandLineProfile;
    }

    // The flags of this command that set a profile value, each with the value it sets.
    private IEnumerable<(Option Flag, string Setting)> Flags(ParseResult result, (Option Flag, TimeSpan? Interval)? heartbeat) =>
        ValueFlags.Concat(heartbeat is { Flag: var beat } ? [(beat, HeartbeatIntervalSetting)] : []).Where(f => result.CommandResult.Command.Options.Contains(f.Flag));

    // Those given on the command line.
    private IEnumerable<(Option Flag, string Setting)> Given(ParseResult result, (Option Flag, TimeSpan? Interval)? heartbeat) =>
        Flags(result, heartbeat).Where(f => result.GetResult(f.Flag) is not null);

    // What the command line can do about one failure, from the flags that set a value its fix asks to change, or, when
    // its fix names none, the value it names (as the library names it, `names`): those given set it (over the file), so it
    // is fixed there; in a profile of flags alone, the others can set it. Empty when no flag can (a file's own mistakes
    // are the library's words alone). What the fix names in parentheses explains and is not asked for: "set Tcp:Enabled
    // to false ... (no Tcp section can: Tcp:IdleTime and Tcp:Interval are at least 1s and 1s ...)" asks for no --idle.
    private string FlagNote(ParseResult result, (Option Flag, TimeSpan? Interval)? heartbeat, FileInfo? settings, Func<string, bool> names, string fix)
    {
        var asked = fix;
        while (Parenthesis().IsMatch(asked))
        {
            asked = Parenthesis().Replace(asked, string.Empty);
        }

        var flags = Flags(result, heartbeat).ToList();
        bool Asked((Option Flag, string Setting) flag) => asked.Contains(flag.Setting, StringComparison.Ordinal);
        var able = (flags.Any(Asked) ? flags.Where(Asked) : flags.Where(f => names(f.Setting)))
            .Select(f => (f.Flag, Given: result.GetResult(f.Flag))).ToList();
        var given = able.Where(static f => f.Given is not null).Select(static f => $"{f.Flag.Name} {string.Join(' ', f.Given!.Tokens.Select(static t => t.Value))}").ToList();
        var others = settings is not null ? [] : able.Where(static f => f.Given is null).Select(static f => $"{f.Flag.Name} <{f.Flag.HelpName}>").ToList();
        if (given.Count > 0)
        {
            return $" The command line set {string.Join(", ", given)}{(settings is null ? string.Empty : $" (over {settings.Name})")}: fix a value set there with its flag{(settings is null ? string.Empty : ", not in the file")}."
                + (others.Count == 0 ? string.Empty : $" Or set one on the command line: {string.Join(", ", others)}.");
        }

        return others.Count == 0 ? string.Empty : $" Set it on the command line: {string.Join(", ", others)}.";
    }

    private static string RegisterFile(ServiceCollection services, FileInfo settings, string? profile, List<string> replaced)
    {
        Paths.RequireFile($"--settings {settings.FullName}", settings.FullName, "give the appsettings.json file that holds KeepAlive:Profiles, e.g. --settings appsettings.json");

        IConfiguration configuration;
        try
        {
            configuration = new ConfigurationBuilder().AddJsonFile(settings.FullName, optional: false, reloadOnChange: false).Build();
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or IOException)
        {
            throw new ToolInputException($"--settings {settings.FullName}: {(IsBlank(settings) ? $"the file is empty.{Refusals.FixMark}{ObjectShape}" : Describe(e))}", e);
        }

        // Keys ignore case: the profile is named as the file names it (an unknown name stays as typed, for the library's refusal).
        var names = configuration.GetSection(ProfilesSection).GetChildren().Select(static c => c.Key).ToList();
        var name = profile is null ? names.FirstOrDefault() : names.Find(n => string.Equals(n, profile, StringComparison.OrdinalIgnoreCase)) ?? profile;

        // Flags override the file: a value a flag sets is not read from it, so a mistake there is no longer one.
        if (name is not null && replaced.Count > 0)
        {
            configuration = Without(configuration, [.. replaced.Select(s => ConfigurationPath.Combine(ProfilePath(name), s))]);
        }

        // The library reads the section first: a key it does not know (a profile's Tcp written directly under KeepAlive) is
        // named with its fix, where "no profiles" would not say why.
        var section = configuration.GetSection("KeepAlive");
        try
        {
            services.AddKeepAlive(section);
        }
        catch (InvalidOperationException e)
        {
            throw new ToolInputException(e.Message, e);
        }

        // Checked whether or not --profile names one: a file without profiles has none to name, and the library's "no such
        // profile" lists the file's profiles and the closest, of which there are none.
        if (names.Count == 0 || name is null)
        {
            throw new ToolInputException($"--settings {settings.FullName}: no profiles under KeepAlive:Profiles{(profile is null ? string.Empty : $", so no profile '{profile}'")}. Fix: add one, e.g. \"KeepAlive\": {{ \"Profiles\": {{ \"{profile ?? "payments"}\": {{ \"Tcp\": {{ \"IdleTime\": \"30s\" }} }} }} }}.");
        }

        if (profile is null && names.Count > 1)
        {
            throw new ToolInputException(Refusals.Text($"--settings {settings.FullName}", $"holds {names.Count} profiles ({string.Join(", ", names)}) and no --profile says which.", $"choose one, e.g. --profile {names[0]}."));
        }

        return name;
    }

    // The configuration without the keys at (or under) the paths given, which ignore case as configuration keys do.
    private static IConfiguration Without(IConfiguration configuration, string[] paths) =>
        new ConfigurationBuilder().AddInMemoryCollection(configuration.AsEnumerable().Where(pair => !paths.Any(path =>
            string.Equals(pair.Key, path, StringComparison.OrdinalIgnoreCase)
            || pair.Key.StartsWith(path + ConfigurationPath.KeyDelimiter, StringComparison.OrdinalIgnoreCase)))).Build();

    private Action<KeepAliveProfileOptions>? Overrides(ParseResult result, (Option Flag, TimeSpan? Interval)? heartbeat)
    {
        var enabled = result.GetValue(TcpKeepAlive) is { } keepAlive ? keepAlive == On : (bool?)null;
        var idle = result.GetValue(Idle);
        var interval = result.GetValue(Interval);
        var count = result.GetValue(Count);
        var userTimeout = result.GetValue(UserTimeout);
        var peer = result.GetValue(PeerIdleTimeout);
        if (enabled is null && idle is null && interval is null && count is null && userTimeout is null && peer is null && heartbeat?.Interval is null)
        {
            return null;
        }

        // Only what a flag gives is assigned: an assignment marks a TCP value as set, and a profile with Tcp:UnsetValues
        // KeepCurrent writes every value marked so in place of the socket's own.
        return options =>
        {
            if (enabled is { } on)
            {
                options.Tcp.Enabled = on;
            }

            if (idle is { } idleTime)
            {
                options.Tcp.IdleTime = idleTime;
            }

            if (interval is { } probeInterval)
            {
                options.Tcp.Interval = probeInterval;
            }

            if (count is { } probeCount)
            {
                options.Tcp.ProbeCount = probeCount;
            }

            if (userTimeout is { } timeout)
            {
                options.Tcp.UserTimeout = timeout;
            }

            if (peer is { } peerIdle)
            {
                options.Heartbeat.PeerIdleTimeout = peerIdle;
            }

            if (heartbeat is { Interval: { } period } beat && (result.GetResult(beat.Flag) is not null || !options.Heartbeat.IsIntervalSet))
            {
                options.Heartbeat.Interval = period;
            }
        };
    }

    // Where the JSON breaks, as an editor counts: line and column from 1.
    private static string Describe(Exception e)
    {
        var json = e;
        while (json is not (null or JsonException))
        {
            json = json.InnerException;
        }

        return json is JsonException { LineNumber: { } line, BytePositionInLine: { } column }
            ? string.Create(CultureInfo.InvariantCulture, $"not valid JSON at line {line + 1}, column {column + 1}: {json.Message.Split(" LineNumber:")[0]} Fix: correct the file there (a missing quote, comma or brace is the usual cause).")
            : $"not a readable JSON file: {e.Message.TrimEnd('.')} ({e.GetBaseException().Message.TrimEnd('.')}).{Refusals.FixMark}{ObjectShape}";
    }

    // A file of nothing but white space, which no JSON reader takes (its error blames a quote, a comma or a brace).
    private static bool IsBlank(FileInfo settings)
    {
        try
        {
            return string.IsNullOrWhiteSpace(File.ReadAllText(settings.FullName));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>A parenthesis with none inside it: removed until none is left, nested ones go from the inside out.</summary>
    [GeneratedRegex(@"\([^()]*\)")]
    private static partial Regex Parenthesis();
}
