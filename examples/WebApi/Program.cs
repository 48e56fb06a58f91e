// Kestrel applies every layer of the "inbound" keep-alive profile to every accepted connection (TCP keep-alive,
// connection retirement by age and request count, keep-alive timeout, HTTP/2 pings, WebSocket keep-alive), and the
// outgoing "payments" HttpClient applies every layer of the "payments" profile (TCP keep-alive, pooled connection
// idle timeout below the NLB's, lifetime with jitter, connect timeout, HTTP/2 pings). To stay
// self-contained, the outgoing client calls this same app's /peer endpoint on 127.0.0.1. The SignalR hub at /hubs/echo
// and the hub client behind /hub take their keep-alive messages and timeouts from one profile, "hub" (the client's
// sockets, its WebSocket's included, carry the profile's Tcp section). /orders calls a gRPC server the example starts
// itself (OrdersServer) through a GrpcChannel with the "orders" profile: its Tcp section on the channel's sockets and
// HTTP/2 pings within the server's ping policy.
//   dotnet run --project examples/WebApi            then  curl http://127.0.0.1:5080/pay, /hub, /orders and /connection; Ctrl+C stops it
//   dotnet run --project examples/WebApi -- --smoke  starts, calls /pay, /hub, /orders and /connection once, prints the results, exits
using System.Globalization;
using KeepAlive.Net;
using KeepAlive.Net.AspNetCore;
using Grpc.Net.Client;
using KeepAlive.Net.Examples.WebApi;
using KeepAlive.Net.Grpc;
using KeepAlive.Net.Hosting;
using KeepAlive.Net.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

// --smoke is our switch, not a configuration key: the command-line provider would read "--smoke --urls x" as
// smoke = "--urls" and drop the URL, so it is taken out before the host sees the arguments.
var smoke = args.Contains("--smoke");
var builder = WebApplication.CreateSlimBuilder([.. args.Where(static a => a != "--smoke")]);
if (smoke)
{
    builder.WebHost.UseUrls("http://127.0.0.1:0");
}

builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive"));
builder.Services.AddKeepAliveRequestLimits(); // counts requests for Http:MaxRequestsPerConnection

// Every endpoint Kestrel opens (from "Urls" or code) applies "inbound"; UseTcpKeepAlive would apply only its Tcp section.
builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen => listen.UseKeepAlive("inbound")));

builder.Services.AddSingleton<OutgoingConnections>();
builder.Services.AddHttpClient("payments")
    .UseKeepAlive("payments", options => options.ConnectionConfigured = OutgoingConnections.Record)
    .ConfigureHttpClient((services, client) => client.BaseAddress = services.GetRequiredService<OutgoingConnections>().BaseAddress);

// A gRPC channel to the orders peer with every layer of "orders": the Tcp section on each connection's socket, HTTP/2 pings
// within the server's ping policy (Http:PeerMinPingInterval), the pool timers; built on first use, disposed with the app.
await using var orders = await OrdersServer.StartAsync();
builder.Services.AddSingleton(services => GrpcChannel.ForAddress(orders.Address, new GrpcChannelOptions().UseKeepAlive(services, "orders")));

// Every hub's KeepAliveInterval and ClientTimeoutInterval from "hub"; a timeout below twice the interval stops the host.
builder.Services.AddSignalR().UseKeepAlive("hub");

var app = builder.Build();
app.MapHub<EchoHub>("/hubs/echo");

// The inbound connection's settings, read back from the kernel when Kestrel accepted it.
app.MapGet("/connection", (HttpContext context) =>
    context.Features.Get<IKeepAliveConnectionFeature>() is { } feature
        ? $"inbound connection, profile '{feature.ProfileName}': {feature.Settings}\n"
            + (context.Features.Get<IKeepAliveRetirementFeature>() is { } retirement
                ? $"retired at age {(retirement.MaxAge is { } age ? KeepAliveDuration.Format(age, TimeSpan.FromMilliseconds(1)) : "(no age limit)")} or after {retirement.MaxRequests?.ToString(CultureInfo.InvariantCulture) ?? "unlimited"} requests; this is request {retirement.RequestCount}\n"
                : string.Empty)
        : "this connection has no keep-alive profile");

app.MapGet("/peer", () => "paid");

// Calls the peer through the "payments" client; its connection socket carries the "payments" profile.
app.MapGet("/pay", async (IHttpClientFactory factory, HttpContext context) =>
{
    var client = factory.CreateClient("payments");
    var answer = await client.GetStringAsync(new Uri("/peer", UriKind.Relative), context.RequestAborted);
    var inbound = context.Features.Get<IKeepAliveConnectionFeature>()?.Settings;
    return $"peer said '{answer}'\ninbound  ({inbound?.Platform}): {inbound}\noutgoing (payments): {OutgoingConnections.Last}\n";
});

// A SignalR client of the hub with the same profile: its KeepAliveInterval and ServerTimeout, and the Tcp section on the WebSocket's socket.
app.MapGet("/hub", async (IKeepAliveProfiles profiles, OutgoingConnections peer, HttpContext context) =>
{
    await using var connection = new HubConnectionBuilder()
        .WithUrl(new Uri(peer.BaseAddress!, "/hubs/echo"))
        .UseKeepAlive(profiles, "hub")
        .Build();
    await connection.StartAsync(context.RequestAborted);
    var answer = await connection.InvokeAsync<string>("Echo", "hello", context.RequestAborted);
    return $"hub said '{answer}\nhub client: KeepAliveInterval {KeepAliveDuration.Format(connection.KeepAliveInterval)}, ServerTimeout {KeepAliveDuration.Format(connection.ServerTimeout)}\n";
});

// A call through the "orders" channel; its connection's settings are logged as it opens (event 3001, read back from the kernel).
app.MapGet("/orders", async (GrpcChannel channel, HttpContext context) =>
{
    var reply = await new Orders.OrdersClient(channel).ConfirmAsync(new ConfirmRequest { Id = "42" }, cancellationToken: context.RequestAborted);
    return $"orders said '{reply.Status}' over a gRPC channel with profile 'orders'\n";
});

await app.StartAsync();
var address = app.Urls.First();
app.Services.GetRequiredService<OutgoingConnections>().BaseAddress = new Uri(address);
Console.WriteLine($"Listening on {address}; try {address}/pay, {address}/hub, {address}/orders and {address}/connection");

if (smoke)
{
    using var http = new HttpClient();
    Console.Write(await http.GetStringAsync(new Uri(new Uri(address), "/pay")));
    Console.Write(await http.GetStringAsync(new Uri(new Uri(address), "/hub")));
    Console.Write(await http.GetStringAsync(new Uri(new Uri(address), "/orders")));
    Console.Write(await http.GetStringAsync(new Uri(new Uri(address), "/connection")));
    await app.StopAsync();
    return;
}

await app.WaitForShutdownAsync();
