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
            context.Features.Get<ConnectionRetirement>()?.OnRequestStarting();
            return nextMiddleware(context);
        });
        next(app);
    };
}
