using KeepAlive.Net.AspNetCore.Http2;
using KeepAlive.Net.Hosting;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.AspNetCore;

/// <summary>
/// Kestrel connection middleware: gives each connection a <see cref="ConnectionRetirement"/> built from the profile's
/// current <c>Http</c> values (age shortened by a random amount of up to the jitter), when the profile retires connections,
/// and shows the rest of the pipeline the connection's transport through a <see cref="RetirementTransport"/>, so an HTTP/2
/// connection is retired without losing a request (<see cref="Http2GracefulShutdown"/>) and lingers until the client closes.
/// <c>requestsCounted</c> says whether <c>services.AddKeepAliveRequestLimits()</c> counts the requests (else the count stays 0).
/// </summary>
internal sealed class RetirementConnectionMiddleware(IKeepAliveProfiles profiles, string profileName, TimeProvider timeProvider, ILogger logger, bool requestsCounted)
{
    private static readonly TimeSpan DefaultGracePeriod = TimeSpan.FromSeconds(30);

    /// <summary>Gets the profile applied.</summary>
    public string ProfileName => profileName;

    /// <summary>How long a retired HTTP/2 connection waits, after its final GOAWAY, for the client to close its side.</summary>
    private static readonly TimeSpan LingerLimit = TimeSpan.FromSeconds(2);

    public async Task OnConnectionAsync(ConnectionContext context, ConnectionDelegate next)
    {
        var http = profiles.GetProfile(profileName).Http;

        // A request limit nothing counts (set by a reload without AddKeepAliveRequestLimits, warning 3106) is not in force.
        var maxRequests = requestsCounted ? http.MaxRequestsPerConnection : null;
        if (http.MaxConnectionAge is null && maxRequests is null)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        var age = http.MaxConnectionAge is { } max ? AgeJitter.Shorten(max, http.MaxConnectionAgeJitter) : (TimeSpan?)null;
        var grace = http.ConnectionCloseGracePeriod ?? DefaultGracePeriod;
        var http2 = new Http2GracefulShutdown();
        var view = new RetirementConnectionContext(context, http2);
        using var retirement = new ConnectionRetirement(context, profileName, age, maxRequests, grace, timeProvider, logger, http2, requestsCounted);
        context.Features.Set<IKeepAliveRetirementFeature>(retirement);
        context.Features.Set(retirement);
        try
        {
            await next(view).ConfigureAwait(false);
        }
        finally
        {
            if (http2.Phase != Http2ShutdownPhase.Serving)
            {
                // Kestrel is done with the connection: only the client's close is awaited now, not a request to abort.
                retirement.Dispose();
                await view.Raw.LingerAsync(grace < LingerLimit ? grace : LingerLimit, timeProvider).ConfigureAwait(false);
            }
        }
    }
}
