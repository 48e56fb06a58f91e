using Grpc.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace KeepAlive.Net.Examples.WebApi;

/// <summary>
/// The peer the "orders" gRPC channel calls: a gRPC server on 127.0.0.1, on a Kestrel listener of its own that speaks only
/// HTTP/2 (gRPC without TLS needs one; the app's own endpoints also speak HTTP/1.1, so they cannot serve it).
/// </summary>
public sealed class OrdersServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private OrdersServer(WebApplication app)
    {
        _app = app;
        Address = new Uri(app.Urls.First());
    }

    /// <summary>Gets the server's address.</summary>
    public Uri Address { get; }

    /// <summary>Starts the server on a free port.</summary>
    /// <returns>The running server.</returns>
    public static async Task<OrdersServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        // Not the example's appsettings.json (its Urls and profiles are the app's): a free port on loopback, warnings only.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Urls"] = "http://127.0.0.1:0", ["Logging:LogLevel:Default"] = "Warning" });
        builder.WebHost.ConfigureKestrel(static kestrel => kestrel.ConfigureEndpointDefaults(static listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        var app = builder.Build();
        app.MapGrpcService<OrdersService>();
        await app.StartAsync();
        return new OrdersServer(app);
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private sealed class OrdersService : Orders.OrdersBase
    {
        public override Task<ConfirmReply> Confirm(ConfirmRequest request, ServerCallContext context) =>
            Task.FromResult(new ConfirmReply { Status = $"order {request.Id} confirmed" });
    }
}
