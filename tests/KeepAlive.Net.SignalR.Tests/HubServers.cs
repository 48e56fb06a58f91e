using KeepAlive.Net.Tests.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace KeepAlive.Net.SignalR.Tests;

/// <summary>A real SignalR hub (<see cref="EchoHub"/> at /echo) on Kestrel, on loopback or in the routed lab.</summary>
internal static class HubServers
{
    public static Task<WebServer> StartOnLoopbackAsync(Action<WebApplicationBuilder>? configure = null) =>
        StartOnLoopbackAsync(static _ => { }, configure);

    /// <summary>Starts the hub on loopback, its endpoint configured by <paramref name="listen"/> (a profile...).</summary>
    public static Task<WebServer> StartOnLoopbackAsync(Action<Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions> listen, Action<WebApplicationBuilder>? configure = null) =>
        WebServer.StartOnLoopbackAsync(listen, builder => AddSignalR(builder, configure), MapEcho);

    public static Task<WebServer> StartInLabAsync(RoutedLab lab, Action<WebApplicationBuilder>? configure = null) =>
        WebServer.StartInLabAsync(lab, static _ => { }, builder => AddSignalR(builder, configure), MapEcho);

    /// <summary>The hub's URL on <paramref name="server"/>.</summary>
    public static Uri Url(WebServer server) => new(server.BaseAddress, "echo");

    private static void AddSignalR(WebApplicationBuilder builder, Action<WebApplicationBuilder>? configure)
    {
        builder.Services.AddSignalR();
        configure?.Invoke(builder);
    }

    private static void MapEcho(WebApplication app) => app.MapHub<EchoHub>("/echo");
}
