using System.Runtime.CompilerServices;
using KeepAlive.Net;
using KeepAlive.Net.AspNetCore;
using KeepAlive.Net.AspNetCore.Diagnostics;
using KeepAlive.Net.Hosting;
using KeepAlive.Net.Hosting.Profiles;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Microsoft.AspNetCore.Hosting;

/// <summary>Applies a keep-alive profile to every connection a Kestrel endpoint accepts.</summary>
public static class KeepAliveListenOptionsExtensions
{
    /// <summary>Applies every layer of the default profile (<see cref="KeepAliveProfileOptions.DefaultProfileName"/>); see <see cref="UseKeepAlive(ListenOptions, string)"/>.</summary>
    /// <param name="listenOptions">The endpoint.</param>
    /// <returns>The endpoint, for chaining.</returns>
    public static ListenOptions UseKeepAlive(this ListenOptions listenOptions) =>
        listenOptions.UseKeepAlive(KeepAliveProfileOptions.DefaultProfileName);

    /// <summary>
    /// Applies every layer of a named profile to the endpoint: its <c>Tcp</c> settings to each accepted socket (as
    /// <see cref="UseTcpKeepAlive(ListenOptions, string)"/> does); connection retirement from its <c>Http</c> section
    /// (<c>MaxConnectionAge</c> with jitter and <c>MaxRequestsPerConnection</c>: HTTP/1.1 answers with <c>Connection: close</c>,
    /// HTTP/2 sends GOAWAY, requests in flight complete, and after <c>ConnectionCloseGracePeriod</c> the connection is aborted);
    /// and, where the profile sets them, Kestrel's keep-alive timeout, HTTP/2 ping delay and timeout, and the keep-alive
    /// interval and timeout of <c>UseWebSockets</c>. Those last ones are server-wide in Kestrel: two endpoints whose
    /// profiles disagree on one of them stop the host.
    /// </summary>
    /// <param name="listenOptions">The endpoint.</param>
    /// <param name="profileName">The profile, registered with <c>services.AddKeepAlive(...)</c>.</param>
    /// <returns>The endpoint, for chaining.</returns>
    /// <exception cref="InvalidOperationException">
    /// No such profile is registered, the profile limits requests per connection without
    /// <c>services.AddKeepAliveRequestLimits()</c>, or two endpoints disagree on a server-wide setting; the host does not start.
    /// </exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The profile is invalid; the host does not start.</exception>
    public static ListenOptions UseKeepAlive(this ListenOptions listenOptions, string profileName)
    {
        var endpoint = ApplyTcp(listenOptions, profileName, Calls.UseKeepAlive);
        var services = listenOptions.ApplicationServices;
        var profiles = services.GetRequiredService<IKeepAliveProfiles>();
        var profile = profiles.GetProfile(profileName);
        var counted = services.GetServices<IStartupFilter>().OfType<RequestCountingStartupFilter>().Any();
        if (profile.Http.MaxRequestsPerConnection is { } limit && !counted)
        {
            throw new InvalidOperationException(
                $"{Calls.With(Calls.UseKeepAlive, profileName)}: the profile sets Http:MaxRequestsPerConnection to {limit}, but requests are not counted. Fix: {CountRequests}.");
        }

        var logger = Logger(services);
        // One watcher per server and profile, from the call that took the values: a later call's would hold other values as taken.
        if (ServerWideSettings.Apply(listenOptions, profileName, profile, logger))
        {
            WarnWhenReloadsAreNotTaken(listenOptions, profileName, profiles, counted);
        }

        var middleware = new RetirementConnectionMiddleware(profiles, profileName, services.GetService<TimeProvider>() ?? TimeProvider.System, logger, counted);
        Volatile.Write(ref endpoint.Retirement, middleware);
        if (!endpoint.RetirementInstalled)
        {
            endpoint.RetirementInstalled = true;
            var server = listenOptions.KestrelServerOptions;
            listenOptions.Use(next =>
            {
                // Kestrel builds the pipeline when it binds the endpoint: every configuration callback has run by then.
                if (Volatile.Read(ref endpoint.Retirement) is { } bound)
                {
                    ServerWideSettings.WarnIfKestrelClosesFirst(listenOptions, bound.ProfileName, profiles, logger);
                    ServerWideSettings.WarnIfPingsWithoutHttp2(listenOptions, bound.ProfileName, profiles.GetProfile(bound.ProfileName), logger);
                }

                return context =>
                {
                    ServerWideSettings.VerifyOnce(server, logger);
                    return Volatile.Read(ref endpoint.Retirement) is { } current ? current.OnConnectionAsync(context, next) : next(context);
                };
            });
        }

        return listenOptions;
    }

    /// <summary>Warning 3106 after each accepted reload of the profile that changes what Kestrel took from it once (<see cref="ServerWideSettings.Apply"/>).</summary>
    private static void WarnWhenReloadsAreNotTaken(ListenOptions listenOptions, string profileName, IKeepAliveProfiles profiles, bool counted)
    {
        var services = listenOptions.ApplicationServices;
        ReloadWatch.Warn(services, profileName, "Kestrel", p =>
        {
            var reloaded = p.GetProfile(profileName);
            var values = ServerWideSettings.Values(reloaded);
            if (!counted)
            {
                // Refused at start-up; a reload that sets it would be accepted and never enforced.
                values[UncountedRequestLimit] = reloaded.Http.MaxRequestsPerConnection?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unlimited";
            }

            return values;
        },
        changes =>
        {
            // Several may stay at once: each needs its step before the restart; what start-up refuses, its reason.
            var uncounted = changes.Contains(UncountedRequestLimit, StringComparison.Ordinal);
            var noPing = ServerWideSettings.RefusesTimeoutWithoutPing(profiles.GetProfile(profileName), services);
            var disagreements = ServerWideSettings.Disagreements(listenOptions.KestrelServerOptions, profileName, profiles);
            string[] refused =
            [
                .. uncounted ? ["nothing would count the requests the profile limits"] : Array.Empty<string>(),
                .. noPing ? ["the KeepAliveInterval of UseWebSockets is 0s, so no PING would run WebSocket:KeepAliveTimeout"] : Array.Empty<string>(),
                .. disagreements.Select(static d => d.Refused),
            ];
            return ReloadWatch.ThenRestart(
                [
                    .. changes.Contains(ServerWideSettings.SetAfterTheCall, StringComparison.Ordinal) ? [ReloadWatch.RemoveAssignments([$"the assignments in code after {Calls.UseKeepAlive} (k.Limits...)"])] : Array.Empty<string>(),
                    .. uncounted ? [CountRequests] : Array.Empty<string>(),
                    .. noPing ? [ServerWideSettings.NoPingFix] : Array.Empty<string>(),
                    .. disagreements.Select(static d => d.Step),
                ],
                refused.Length == 0 ? null : $" (restarted as it is, the host does not start: {string.Join("; ", refused)})");
        },
        () => ServerWideSettings.InForce(listenOptions.KestrelServerOptions));
    }

    /// <summary>Applies the default profile (<see cref="KeepAliveProfileOptions.DefaultProfileName"/>) to every accepted connection.</summary>
    /// <param name="listenOptions">The endpoint.</param>
    /// <returns>The endpoint, for chaining.</returns>
    public static ListenOptions UseTcpKeepAlive(this ListenOptions listenOptions) =>
        listenOptions.UseTcpKeepAlive(KeepAliveProfileOptions.DefaultProfileName);

    /// <summary>
    /// Applies a named profile to every TCP connection the endpoint accepts, with the profile's values at the time
    /// of accepting; the effective settings are available as the connection's <see cref="IKeepAliveConnectionFeature"/>.
    /// </summary>
    /// <param name="listenOptions">The endpoint.</param>
    /// <param name="profileName">The profile, registered with <c>services.AddKeepAlive(...)</c>.</param>
    /// <returns>The endpoint, for chaining.</returns>
    /// <exception cref="InvalidOperationException">No such profile is registered; the host does not start.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The profile is invalid; the host does not start.</exception>
    public static ListenOptions UseTcpKeepAlive(this ListenOptions listenOptions, string profileName)
    {
        // Only the Tcp section: a UseKeepAlive applied to this endpoint before (ConfigureEndpointDefaults) retires nothing here.
        Volatile.Write(ref ApplyTcp(listenOptions, profileName, Calls.UseTcpKeepAlive).Retirement, null);
        return listenOptions;
    }

    /// <summary>
    /// Puts the profile's Tcp section on the endpoint. One profile per endpoint: a later call on the same endpoint (its own
    /// after <c>ConfigureEndpointDefaults</c>') replaces the earlier one instead of stacking a second middleware on it.
    /// <paramref name="call"/> is the call the application made, as a refusal names it.
    /// </summary>
    private static EndpointProfile ApplyTcp(ListenOptions listenOptions, string profileName, string call)
    {
        ArgumentNullException.ThrowIfNull(listenOptions);
        ArgumentNullException.ThrowIfNull(profileName);
        var services = listenOptions.ApplicationServices;
        var profiles = RegisteredProfiles.From(services, call, profileName);

        // Fails here, while Kestrel binds its endpoints, for a profile that is unknown or invalid.
        _ = KeepAliveProfiles.GetProfileFor(profiles, profileName, Calls.With(call, profileName));
        var middleware = new KeepAliveConnectionMiddleware(profiles, profileName, Logger(services));
        var endpoint = Endpoints.GetOrCreateValue(listenOptions);
        if (Interlocked.Exchange(ref endpoint.Tcp, middleware) is null)
        {
            listenOptions.Use(next =>
            {
                // Kestrel builds the pipeline when it binds the endpoint: every configuration callback has run by then. Where
                // UseTcpKeepAlive was the last call, Kestrel runs without the profile's Http:KeepAliveTimeout (UseKeepAlive's own says its 3110).
                if (Volatile.Read(ref endpoint.Retirement) is null && Volatile.Read(ref endpoint.Tcp) is { } bound)
                {
                    ServerWideSettings.WarnIfKestrelClosesFirst(listenOptions, bound.ProfileName, profiles, Logger(services), tcpOnly: true);
                }

                return context => Volatile.Read(ref endpoint.Tcp)!.OnConnectionAsync(context, next);
            });

            // Kestrel builds the QUIC pipeline when it binds an endpoint's HTTP/3 side, its protocols final by then.
            ((IMultiplexedConnectionBuilder)listenOptions).Use(next =>
            {
                WarnIfHttp3Only(listenOptions, endpoint, Logger(services));
                return next;
            });
        }

        return endpoint;
    }

    /// <summary>Says that the profile does nothing on an endpoint that serves HTTP/3 only (a mixed endpoint's QUIC side is in the docs).</summary>
    private static void WarnIfHttp3Only(ListenOptions listenOptions, EndpointProfile endpoint, ILogger logger)
    {
        if ((listenOptions.Protocols & (HttpProtocols.Http1 | HttpProtocols.Http2)) == 0 && Volatile.Read(ref endpoint.Tcp) is { } tcp)
        {
            var call = Volatile.Read(ref endpoint.Retirement) is null ? Calls.UseTcpKeepAlive : Calls.UseKeepAlive;
            Log.KestrelEndpointHttp3Only(logger, listenOptions.EndPoint.ToString() ?? "", call, tcp.ProfileName);
        }
    }

    private static readonly ConditionalWeakTable<ListenOptions, EndpointProfile> Endpoints = [];

    /// <summary>What a profile that limits requests needs when nothing counts them: at start-up, and after a reload that sets the limit.</summary>
    private const string CountRequests = "call builder.Services." + Calls.AddKeepAliveRequestLimits + " when building the host, or remove Http:MaxRequestsPerConnection";

    /// <summary>The request limit in warning 3106, when a reload sets one on an endpoint whose requests are not counted.</summary>
    private const string UncountedRequestLimit = "Http:MaxRequestsPerConnection (requests are not counted: services." + Calls.AddKeepAliveRequestLimits + " was not called)";

    // Guarded: the connections' timers log (retiring, grace period expired), where a logger that throws would end the process.
    private static ILogger Logger(IServiceProvider services) => KeepAliveProfileMetrics.Logger(services, "KeepAlive.Net.AspNetCore");

    /// <summary>The connection middlewares of one endpoint; the last UseKeepAlive or UseTcpKeepAlive on it sets them.</summary>
    private sealed class EndpointProfile
    {
        public KeepAliveConnectionMiddleware? Tcp;
        public RetirementConnectionMiddleware? Retirement;
        public bool RetirementInstalled;
    }
}
