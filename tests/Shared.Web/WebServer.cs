using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.Tests.TestSupport;

/// <summary>
/// A real Kestrel app, on loopback or in the routed lab's server namespace, started, with the connections it accepted
/// (<see cref="ServerConnections"/>, outermost on its endpoint): the servers of the gRPC and SignalR tests.
/// </summary>
internal sealed class WebServer : IAsyncDisposable
{
    private WebServer(WebApplication app, ServerConnections connections, Uri baseAddress) => (App, Connections, BaseAddress) = (app, connections, baseAddress);

    public WebApplication App { get; }

    public ServerConnections Connections { get; }

    /// <summary>Gets http://127.0.0.1:port/ on loopback, or the lab's server endpoint.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Starts the app on an ephemeral loopback port.</summary>
    /// <param name="listen">Configures the endpoint after the connection counter is added (protocols, a profile...).</param>
    /// <param name="configure">Adds services.</param>
    /// <param name="map">Maps the endpoints.</param>
    public static Task<WebServer> StartOnLoopbackAsync(Action<ListenOptions> listen, Action<WebApplicationBuilder> configure, Action<WebApplication> map) =>
        StartAsync(inLab: false, counted =>
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, counted));
            return builder;
        }, listen, configure, map);

    /// <summary>Starts the app in the lab's server namespace, on <see cref="LabWeb.BaseAddress"/>.</summary>
    public static Task<WebServer> StartInLabAsync(RoutedLab lab, Action<ListenOptions> listen, Action<WebApplicationBuilder> configure, Action<WebApplication> map) =>
        StartAsync(inLab: true, counted => LabWeb.Builder(lab, counted), listen, configure, map);

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2)); // connections through a cut link never close by themselves
        await App.StopAsync(stop.Token);
        await App.DisposeAsync();
    }

    private static async Task<WebServer> StartAsync(bool inLab, Func<Action<ListenOptions>, WebApplicationBuilder> create, Action<ListenOptions> listen, Action<WebApplicationBuilder> configure, Action<WebApplication> map)
    {
        var connections = new ServerConnections();
        var builder = create(options =>
        {
            options.Use(connections.Middleware);
            listen(options);
        });
        configure(builder);
        var app = builder.Build();
        map(app);
        await app.StartAsync(TestContext.Current.CancellationToken);
        var baseAddress = inLab ? LabWeb.BaseAddress : new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
        return new WebServer(app, connections, baseAddress);
    }
}
