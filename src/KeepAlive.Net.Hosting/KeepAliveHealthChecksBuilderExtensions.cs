using System.Diagnostics.CodeAnalysis;
using KeepAlive.Net.Hosting;
using KeepAlive.Net.Hosting.Configuration;
using KeepAlive.Net.Hosting.Health;
using KeepAlive.Net.Hosting.Profiles;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Adds the keep-alive health check: heartbeat lateness against each profile's idle budget, heartbeat sends blocked, watched
/// heartbeats overdue, and dead peers.
/// </summary>
/// <remarks>
/// Built on the library's public telemetry: a <see cref="System.Diagnostics.Metrics.MeterListener"/> on the
/// <c>KeepAlive.Net</c> meter (<c>keepalive.heartbeat.lateness</c>, <c>keepalive.heartbeat.blocked</c>,
/// <c>keepalive.heartbeat.overdue</c>, <c>keepalive.peer.dead</c>; docs/HEALTH.md), started with the host.
/// So a heartbeat the application sends with its own timer and reports through a <c>DriftMonitor</c> created with the
/// host's <c>IMeterFactory</c> and named after a profile is judged too.
/// </remarks>
public static class KeepAliveHealthChecksBuilderExtensions
{
    /// <summary>Adds the keep-alive health check with the default thresholds.</summary>
    /// <param name="builder">The health checks builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IHealthChecksBuilder AddKeepAlive(this IHealthChecksBuilder builder) => builder.AddKeepAlive(configure: null);

    /// <summary>
    /// Adds the keep-alive health check with its thresholds read from configuration, for example the section
    /// <c>KeepAlive:Health</c> holding <c>{ "Window": "1m", "DegradedBudgetFraction": 0.5, "UnhealthyPeerDeadCount": 3 }</c>.
    /// Unknown keys, a bare number as the window and values out of range stop the host at start-up with the path and the fix.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="section">The section with the thresholds; absent keys keep their defaults.</param>
    /// <param name="name">The health check's name.</param>
    /// <param name="failureStatus">The status reported when peers die too fast; <see cref="HealthStatus.Unhealthy"/> when <see langword="null"/>.</param>
    /// <param name="tags">Tags for filtering health checks.</param>
    /// <returns>The builder, for chaining.</returns>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = OptionalNameStatusAndTags)]
    public static IHealthChecksBuilder AddKeepAlive(this IHealthChecksBuilder builder, IConfiguration section, string name = DefaultName, HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        var path = SectionBinding<KeepAliveHealthCheckOptions>.PathOf(section, KeepAliveHealthCheckOptionsValidator.DefaultPath);
        var binding = new SectionBinding<KeepAliveHealthCheckOptions>(OptionsNameOf(name), path, (reader, options) =>
        {
            // The KeepAlive section given for its Health child: "remove the unknown key Profiles" would delete every profile.
            string[] around = [.. section.GetChildren().Select(static c => c.Key).Where(static k => k.Equals("Profiles", StringComparison.OrdinalIgnoreCase) || k.Equals("Health", StringComparison.OrdinalIgnoreCase))];
            if (around.Length > 0)
            {
                reader.Refuse(path, $"is the KeepAlive section (it holds {string.Join(" and ", around)}), not the health check's thresholds. Fix: services.AddHealthChecks().AddKeepAlive(configuration.GetSection(\"{path}:Health\")) with the thresholds there, or AddKeepAlive() without a section for the defaults; see docs/HEALTH.md.");
            }

            // A misspelt path reads as an empty section: the thresholds written under the right one would be silently ignored.
            else if (reader.Exists(section, path, "the health check would silently run with the default thresholds. Fix: correct the path (the thresholds are usually under KeepAlive:Health), give the section a value, or, for the defaults, call services.AddHealthChecks().AddKeepAlive() without a section"))
            {
                reader.Read(section, path, options, OptionsSchema.For<KeepAliveHealthCheckOptions>());
            }
        });
        builder.Services.AddSingleton(binding);
        builder.Services.TryAddSingleton<KeepAliveProfileMetrics>(); // its logger, also without AddKeepAlive
        builder.Services.AddSingleton(services => new HealthThresholdsReload(binding, section, services));
        return builder.AddKeepAlive(options => binding.Configure(binding.Name, options), name, failureStatus, tags);
    }

    /// <summary>Adds the keep-alive health check.</summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="configure">Sets the thresholds; validated when the host starts.</param>
    /// <param name="name">The health check's name.</param>
    /// <param name="failureStatus">The status reported when peers die too fast; <see cref="HealthStatus.Unhealthy"/> when <see langword="null"/>.</param>
    /// <param name="tags">Tags for filtering health checks.</param>
    /// <returns>The builder, for chaining.</returns>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = OptionalNameStatusAndTags)]
    public static IHealthChecksBuilder AddKeepAlive(this IHealthChecksBuilder builder, Action<KeepAliveHealthCheckOptions>? configure, string name = DefaultName, HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;

        // Each registration keeps its own thresholds (options named after it; the default registration's are the unnamed
        // options, IOptions<KeepAliveHealthCheckOptions>), and its own telemetry window.
        var optionsName = OptionsNameOf(name);
        var options = KeepAliveHealthCheckOptionsValidator.ValidateOnStart(services, optionsName);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddKeyedSingleton(optionsName, static (sp, key) => new KeepAliveTelemetryListener(
            ThresholdsOf(sp, (string)key!),
            sp.GetService<TimeProvider>(),
            sp.GetService<System.Diagnostics.Metrics.IMeterFactory>(),
            sp.GetService<IKeepAliveProfiles>()));
        services.AddSingleton(new KeepAliveHealthCheckRegistration(name, optionsName));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, KeepAliveTelemetryListenerService>());
        return builder.Add(new HealthCheckRegistration(
            name,
            sp => new KeepAliveHealthCheck(
                sp.GetRequiredKeyedService<KeepAliveTelemetryListener>(optionsName),
                sp.GetRequiredService<IKeepAliveProfiles>(),
                ThresholdsOf(sp, optionsName)),
            failureStatus,
            tags));
    }

    /// <summary>The options name of a registration: the unnamed options for the default name, else the registration's name.</summary>
    /// <param name="name">The health check's name, as given to an overload; a blank one is refused here, for every overload.</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is <see langword="null"/>, empty or white space.</exception>
    internal static string OptionsNameOf(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return string.Equals(name, DefaultName, StringComparison.Ordinal) ? Options.Options.DefaultName : name;
    }

    /// <summary>The name of the check the overloads without a name add.</summary>
    internal const string DefaultName = "keepalive";

    // AddCheck's convention, suppressed there too: each overload ends with the same optional name, failure status and tags,
    // and the overloads differ in the type of the first (a section or a delegate); only a bare null there needs its name,
    // AddKeepAlive(configure: null, name: "ready").
    private const string OptionalNameStatusAndTags = "IHealthChecksBuilder.AddCheck's convention: the same optional name, failureStatus and tags on each overload.";

    // One registration's thresholds, for its listener and its check alike.
    private static IOptions<KeepAliveHealthCheckOptions> ThresholdsOf(IServiceProvider services, string optionsName) =>
        Options.Options.Create(services.GetRequiredService<IOptionsMonitor<KeepAliveHealthCheckOptions>>().Get(optionsName));
}
