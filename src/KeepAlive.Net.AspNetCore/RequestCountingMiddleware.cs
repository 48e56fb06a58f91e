using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace KeepAlive.Net.AspNetCore;

/// <summary>
/// Put first in the application's pipeline by <c>services.AddKeepAliveRequestLimits()</c>: counts each request on its
/// connection's <see cref="ConnectionRetirement"/> before anything writes the response, so the request that reaches
/// <c>Http:MaxRequestsPerConnection</c> is answered with <c>Connection: close</c> (HTTP/1.1) or followed by GOAWAY (HTTP/2).
/// </summary>
internal sealed class RequestCountingStartupFilter : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(static (context, nextMiddleware) =>
        {
            var retirement = context.Features.Get<ConnectionRetirement>();
            return retirement?.OnRequestStarting() == true ? LastAsync(context, nextMiddleware, retirement) : nextMiddleware(context);
        });
        next(app);
    };

    // The connection's last request: its grace period starts when it ends, however long it runs.
    private static async Task LastAsync(HttpContext context, RequestDelegate next, ConnectionRetirement retirement)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            retirement.StartGracePeriod();
        }
    }
}
