using KeepAlive.Net.Hosting;

namespace KeepAlive.Net;

/// <summary>
/// The one refusal of a call that takes a profile from a service provider without <c>services.AddKeepAlive(...)</c>: it names
/// the call, the profile and the fix, where the container would only say the service is not registered. Compiled into each
/// library that reads the profiles from a service provider (ASP.NET Core's listeners and hubs, gRPC, SignalR, and the
/// Redis, RabbitMQ, NATS and Npgsql packages).
/// </summary>
internal static class RegisteredProfiles
{
    /// <summary>Gets the registered profiles.</summary>
    /// <param name="services">The service provider the call was given.</param>
    /// <param name="call">The call as the user wrote it, e.g. <c>listenOptions.UseTcpKeepAlive</c>.</param>
    /// <param name="profileName">The profile the call asks for.</param>
    /// <exception cref="InvalidOperationException">No profiles are registered; the message gives the fix.</exception>
    public static IKeepAliveProfiles From(IServiceProvider services, string call, string profileName) =>
        services.GetService(typeof(IKeepAliveProfiles)) as IKeepAliveProfiles ?? throw new InvalidOperationException(
            $"{call}(\"{profileName}\") needs KeepAlive profiles. Fix: call services.AddKeepAlive(configuration.GetSection(\"KeepAlive\")) or services.AddKeepAlive(\"{profileName}\", ...) when building the host.");
}
