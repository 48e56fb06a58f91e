using System.Net;
using KeepAlive.Net.Tests.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.Grpc.Tests;

/// <summary>A real Grpc.AspNetCore server (Kestrel, HTTP/2 without TLS) with <see cref="EchoService"/>, and the connections it accepted.</summary>
internal sealed class GrpcServers : IAsyncDisposable
{
    private GrpcServers(WebApplication app, ServerConnections connections) => (App, Connections) = (app, connections);

    public WebApplication App { get; }

    public ServerConnections Connections { get; }

    /// <summary>Gets the server's address, http://127.0.0.1:port/ on loopback or the lab's server endpoint.</summary>
    public Uri Address { get; private set; } = LabWeb.BaseAddress;

    /// <summary>Starts the server on loopback.</summary>
    public static Task<GrpcServers> StartOnLoopbackAsync() => StartAsync(loopback: true, listen =>
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, listen));
        return builder;
    });

    /// <summary>Starts the server in the lab's server namespace.</summary>
    public static Task<GrpcServers> StartInLabAsync(RoutedLab lab) => StartAsync(loopback: false, listen => LabWeb.Builder(lab, listen));

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2)); // connections through a cut link never close by themselves
        await App.StopAsync(stop.Token);
        await App.DisposeAsync();
    }

    private static async Task<GrpcServers> StartAsync(bool loopback, Func<Action<ListenOptions>, WebApplicationBuilder> create)
    {
        var connections = new ServerConnections();
        var builder = create(listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            listen.Use(connections.Middleware);
        });
        builder.Services.AddGrpc();
        var app = builder.Build();
        app.MapGrpcService<EchoService>();
        await app.StartAsync(TestContext.Current.CancellationToken);
        var servers = new GrpcServers(app, connections);
        if (loopback)
        {
            servers.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
        }

        return servers;
    }
}
