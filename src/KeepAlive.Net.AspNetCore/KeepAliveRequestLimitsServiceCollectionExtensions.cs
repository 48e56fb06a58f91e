using KeepAlive.Net.AspNetCore;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Enables <c>Http:MaxRequestsPerConnection</c> of the profiles applied with <c>listenOptions.UseKeepAlive(...)</c>.</summary>
public static class KeepAliveRequestLimitsServiceCollectionExtensions
{
    /// <summary>
    /// Puts a small middleware first in the application's pipeline that counts each request on its connection, so that
    /// a connection reaching its profile's <c>Http:MaxRequestsPerConnection</c> answers that request with
    /// <c>Connection: close</c> (HTTP/1.1) or sends GOAWAY (HTTP/2). Kestrel's connection middleware does not see
    /// requests, so this one call is needed besides <c>UseKeepAlive</c>; without it a profile that limits requests
    /// stops the host with this fix.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddKeepAliveRequestLimits(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Transient<IStartupFilter, RequestCountingStartupFilter>());
        return services;
    }
}
