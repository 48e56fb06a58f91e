using System.Net;
using KeepAlive.Net.Tests.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.SignalR.Tests;

/// <summary>A real SignalR hub (<see cref="EchoHub"/> at /echo) on Kestrel, on loopback or in the routed lab, and the connections it accepted.</summary>
internal sealed class HubServers : IAsyncDisposable
{
    private HubServers(WebApplication app, ServerConnections connections, Uri address) => (App, Connections, Url) = (app, connections, address);

    public WebApplication App { get; }

    public ServerConnections Connections { get; }

    /// <summary>Gets the hub's URL.</summary>
    public Uri Url { get; }

    public static Task<HubServers> StartOnLoopbackAsync(Action<WebApplicationBuilder>? configure = null) => StartAsync(loopback: true, listen =>
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, listen));
        return builder;
    }, configure);

    public static Task<HubServers> StartInLabAsync(RoutedLab lab, Action<WebApplicationBuilder>? configure = null) =>
        StartAsync(loopback: false, listen => LabWeb.Builder(lab, listen), configure);

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2)); // connections through a cut link never close by themselves
        await App.StopAsync(stop.Token);
        await App.DisposeAsync();
    }

    private static async Task<HubServers> StartAsync(bool loopback, Func<Action<ListenOptions>, WebApplicationBuilder> create, Action<WebApplicationBuilder>? configure)
    {
        var connections = new ServerConnections();
        var builder = create(listen => listen.Use(connections.Middleware));
        builder.Services.AddSignalR();
        configure?.Invoke(builder);
        var app = builder.Build();
        app.MapHub<EchoHub>("/echo");
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = loopback ? new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/echo") : new Uri(LabWeb.BaseAddress, "/echo");
        return new HubServers(app, connections, address);
    }
}
