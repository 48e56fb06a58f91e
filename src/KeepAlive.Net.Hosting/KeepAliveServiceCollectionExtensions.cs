using KeepAlive.Net;
using KeepAlive.Net.Hosting;
using KeepAlive.Net.Hosting.Configuration;
using KeepAlive.Net.Hosting.Health;
using KeepAlive.Net.Hosting.Heartbeats;
using KeepAlive.Net.Hosting.Profiles;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers KeepAlive.Net keep-alive profiles: named <see cref="KeepAliveProfileOptions"/> bound from configuration
/// or code, validated when the host starts, the <see cref="IKeepAliveProfiles"/> service that applies them, and the
/// process's <see cref="IHeartbeatScheduler"/>.
/// </summary>
/// <remarks>
/// The scheduler is a singleton built with the host's <see cref="TimeProvider"/>, logger factory and meter factory
/// when first resolved; it is stopped when the host stops, after which no heartbeat is sent. Its thread settings come
/// from <c>services.Configure&lt;HeartbeatSchedulerOptions&gt;(...)</c>, validated when the host starts.
/// </remarks>
public static class KeepAliveServiceCollectionExtensions
{
    /// <summary>
    /// Registers every profile under the <c>Profiles</c> child of a <c>KeepAlive</c> section, each under its key
    /// (for example <c>KeepAlive:Profiles:payments</c> becomes the profile "payments").
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="keepAliveSection">The <c>KeepAlive</c> section, e.g. <c>configuration.GetSection("KeepAlive")</c>.</param>
    /// <returns>The services, for chaining.</returns>
    /// <exception cref="InvalidOperationException">The section holds a key other than <c>Profiles</c> and <c>Health</c>, or it or <c>Profiles</c> is a plain value.</exception>
    /// <remarks>
    /// The set of profiles is read once, here; a reload changes the values of these profiles but adds none. A section that
    /// holds no profile (a misspelt path reads as an empty section) registers none: the host logs warning 3007
    /// (<see cref="KeepAliveEventIds.KeepAliveSectionWithoutProfiles"/>) when it starts, unless the section holds the health
    /// check's thresholds, and a profile asked for by name then stops it naming the section read. A key other than
    /// <c>Profiles</c> and <c>Health</c>, or a <c>Health</c> section no keep-alive health check reads, stops the host at
    /// start-up; one a reload adds changes nothing in force and is logged as a warning (event 3009
    /// (<see cref="KeepAliveEventIds.UnknownKeyAddedAfterStartUp"/>) or 3010 (<see cref="KeepAliveEventIds.HealthSectionAddedAfterStartUp"/>)).
    /// </remarks>
    public static IServiceCollection AddKeepAlive(this IServiceCollection services, IConfiguration keepAliveSection)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(keepAliveSection);

        if (keepAliveSection is IConfigurationSection { Key: var sectionKey })
        {
            RefusePlainValue(keepAliveSection, "a Profiles section with one section per profile", $"\"{sectionKey}\": {{ {ProfilesShape} }}");
        }

        // A key it may not hold is refused here; one a reload adds is said then (event 3009), with the same finding and fix.
        var given = new KeepAliveSection(keepAliveSection);
        if (given.UnknownKeys().FirstOrDefault() is { Path: { } unknownPath } unknown)
        {
            throw new InvalidOperationException($"{unknownPath}: {unknown.Finding} Fix: {unknown.Fix}; see docs/CONFIGURATION.md.");
        }

        var (profiles, health) = (0, false);
        foreach (var child in keepAliveSection.GetChildren())
        {
            if (string.Equals(child.Key, KeepAliveSection.HealthKey, StringComparison.OrdinalIgnoreCase))
            {
                // The health check's thresholds: services.AddHealthChecks().AddKeepAlive(section.GetSection("Health")); its
                // validator, run at start-up even when no health check is added, refuses thresholds no check reads.
                services.AddSingleton(new KeepAliveHealthSection(child.Path));
                KeepAliveHealthCheckOptionsValidator.ValidateOnStart(services, Options.Options.DefaultName);
                health = true;
                continue;
            }

            RefusePlainValue(child, "one section per profile", ProfilesShape); // Profiles: any other key was refused above

            foreach (var profile in child.GetChildren())
            {
                services.AddKeepAlive(profile.Key, profile.Path, profile, configure: null, listedIn: child);
                profiles++;
            }
        }

        if (profiles == 0)
        {
            // A misspelt path reads as an empty section: start-up says so (event 3007), and so does a profile asked for by name.
            services.AddSingleton(new EmptyKeepAliveSection(keepAliveSection, health));
        }

        services.AddSingleton(given); // watched by KeepAliveProfiles, created at start-up (ProfileReloadHostedService)
        return services.AddKeepAliveCore();
    }

    /// <summary>Registers a named profile bound from a configuration section that holds a <c>Tcp</c> subsection.</summary>
    /// <param name="services">The services.</param>
    /// <param name="name">The profile's name, e.g. "payments".</param>
    /// <param name="profileSection">The profile's section, e.g. <c>configuration.GetSection("KeepAlive:Profiles:payments")</c>.</param>
    /// <returns>The services, for chaining.</returns>
    /// <remarks>
    /// Unknown keys fail binding. The values are validated when the host starts; when the configuration reloads,
    /// connections configured afterwards get the new values.
    /// </remarks>
    public static IServiceCollection AddKeepAlive(this IServiceCollection services, string name, IConfiguration profileSection)
    {
        ArgumentNullException.ThrowIfNull(profileSection);
        return services.AddKeepAlive(name, (profileSection as IConfigurationSection)?.Path ?? string.Empty, profileSection, configure: null);
    }

    /// <summary>Registers a named profile configured in code.</summary>
    /// <param name="services">The services.</param>
    /// <param name="name">The profile's name, e.g. "payments".</param>
    /// <param name="configure">Sets the profile's values; runs after any configuration binding of the same profile.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddKeepAlive(this IServiceCollection services, string name, Action<KeepAliveProfileOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddKeepAlive(name, configurationPath: null, section: null, configure);
    }

    /// <summary>Registers the unnamed default profile (<see cref="KeepAliveProfileOptions.DefaultProfileName"/>) configured in code.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the profile's values.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddKeepAlive(this IServiceCollection services, Action<KeepAliveProfileOptions> configure) =>
        services.AddKeepAlive(KeepAliveProfileOptions.DefaultProfileName, configure);

    /// <summary>Registers the unnamed default profile (<see cref="KeepAliveProfileOptions.DefaultProfileName"/>) with the library's defaults.</summary>
    /// <param name="services">The services.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddKeepAlive(this IServiceCollection services) =>
        services.AddKeepAlive(KeepAliveProfileOptions.DefaultProfileName, configurationPath: null, section: null, configure: null);

    // Every overload that registers a profile ends here. `listedIn`: the Profiles section the section was found in, so it
    // exists even when empty; a section named by its path must hold something, or a misspelt path would bind the defaults.
    private static IServiceCollection AddKeepAlive(this IServiceCollection services, string name, string? configurationPath, IConfiguration? section, Action<KeepAliveProfileOptions>? configure, IConfiguration? listedIn = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(name);
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException($"The KeepAlive profile name is empty or blank ('{name}'). {KeepAliveProfileRegistration.EmptyNameFix}", nameof(name));
        }

        // A profile registered again in another case ("Payments" in JSON, "payments" in code) takes the first spelling, so
        // its binding, its code and its validation all land on the one options object every lookup builds.
        name = KeepAliveProfileRegistration.Spelling(services, name);
        services.AddKeepAliveCore();
        var registration = new KeepAliveProfileRegistration(name, configurationPath, section, listedIn);
        services.AddSingleton(registration);
        KeepAliveProfileRegistration.ValidateOnStart(services, name);
        var builder = services.AddOptions<KeepAliveProfileOptions>(name);
        if (section is not null)
        {
            // Read key by key, strictly; what is refused is reported by the validator with its own findings, at once.
            var watched = services.Where(static d => !d.IsKeyedService).Select(static d => d.ImplementationInstance).OfType<SectionBinding<KeepAliveProfileOptions>>()
                .Any(b => string.Equals(b.Name, name, StringComparison.Ordinal));
            var binding = new SectionBinding<KeepAliveProfileOptions>(name, registration.Source, (reader, options) => ProfileSections.Read(reader, section, registration, options));
            services.AddSingleton(binding);
            services.AddSingleton<IConfigureOptions<KeepAliveProfileOptions>>(binding);

            // One watcher (KeepAliveProfiles) follows the section; IOptionsMonitor hears of the reloads it accepted, once
            // however many overloads bound the profile (the KeepAlive section and the profile's own path, combined).
            if (!watched)
            {
                services.AddSingleton<IOptionsChangeTokenSource<KeepAliveProfileOptions>>(s => new AcceptedProfileChanges(name, s.GetRequiredService<KeepAliveProfiles>()));
            }
        }

        if (configure is not null)
        {
            // After every binding of the profile, whichever was registered first, as the overload promises.
            builder.PostConfigure(configure);
        }

        builder.PostConfigure(options =>
        {
            if (options.Heartbeat is { } heartbeat)
            {
                heartbeat.Name ??= name;
            }
        });
        return services;
    }

    internal static IServiceCollection AddKeepAliveCore(this IServiceCollection services)
    {
        services.AddOptions();
        services.TryAddSingleton<KeepAliveProfileMetrics>();
        services.TryAddSingleton<KeepAliveProfiles>();
        services.TryAddSingleton<IKeepAliveProfiles>(static s => s.GetRequiredService<KeepAliveProfiles>());
        services.TryAddSingleton<IOptionsFactory<KeepAliveProfileOptions>>(static s => s.GetRequiredService<KeepAliveProfiles>()); // the values taken, for IOptionsMonitor too
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ProfileReloadHostedService>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KeepAliveProfileOptions>, KeepAliveProfileOptionsValidator>());
        services.AddOptions<HeartbeatSchedulerOptions>().ValidateOnStart(); // built on first use: its settings are checked at start-up
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HeartbeatSchedulerOptions>, HeartbeatSchedulerOptionsValidator>());
        services.TryAddSingleton<HeartbeatSchedulerHost>();
        services.TryAddSingleton(static s => s.GetRequiredService<HeartbeatSchedulerHost>().Scheduler);
        services.TryAddSingleton<IHeartbeatScheduler>(static s => s.GetRequiredService<HeartbeatScheduler>());
        services.TryAddSingleton<IKeepAliveHeartbeats, KeepAliveHeartbeats>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, HeartbeatSchedulerHostedService>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, KeepAliveBudgetReporter>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, EmptyKeepAliveSectionReporter>());
        return services;
    }

    // A KeepAlive or Profiles section written as one value ("KeepAlive": "payments", KeepAlive=on in the environment) holds
    // no profile, and is no empty section either: refused at once, with the shape it must have.
    private const string ProfilesShape = "\"Profiles\": { \"payments\": { \"Tcp\": { \"IdleTime\": \"30s\" } } }";

    private static void RefusePlainValue(IConfiguration section, string mustHold, string shape)
    {
        if (section is IConfigurationSection { Value: { Length: > 0 } value, Path: var path } && !section.GetChildren().Any())
        {
            throw new InvalidOperationException($"{path}: is the value '{value}', but it must hold {mustHold}. Fix: write it as an object, e.g. {shape}; see docs/CONFIGURATION.md.");
        }
    }
}
