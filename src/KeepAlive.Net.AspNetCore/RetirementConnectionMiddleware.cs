using KeepAlive.Net.Hosting;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.AspNetCore;

/// <summary>
/// Kestrel connection middleware: gives each connection a <see cref="ConnectionRetirement"/> built from the profile's
/// current <c>Http</c> values (age shortened by a random amount of up to the jitter), when the profile retires connections.
/// </summary>
internal sealed class RetirementConnectionMiddleware(IKeepAliveProfiles profiles, string profileName, TimeProvider timeProvider, ILogger logger)
{
    private static readonly TimeSpan DefaultGracePeriod = TimeSpan.FromSeconds(30);

    public async Task OnConnectionAsync(ConnectionContext context, ConnectionDelegate next)
    {
        var http = profiles.GetProfile(profileName).Http;
        if (http.MaxConnectionAge is null && http.MaxRequestsPerConnection is null)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        var age = http.MaxConnectionAge is { } max ? Shorten(max, http.MaxConnectionAgeJitter) : (TimeSpan?)null;
        using var retirement = new ConnectionRetirement(context, profileName, age, http.MaxRequestsPerConnection,
            http.ConnectionCloseGracePeriod ?? DefaultGracePeriod, timeProvider, logger);
        context.Features.Set<IKeepAliveRetirementFeature>(retirement);
        context.Features.Set(retirement);
        await next(context).ConfigureAwait(false);
    }

    private static TimeSpan Shorten(TimeSpan age, TimeSpan? jitter) =>
        jitter is { Ticks: > 0 } j ? age - TimeSpan.FromTicks(Random.Shared.NextInt64(Math.Min(j.Ticks, age.Ticks - 1) + 1)) : age;
}
