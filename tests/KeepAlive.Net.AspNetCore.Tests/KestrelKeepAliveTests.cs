using System.Net;
using System.Net.Sockets;
using System.Text;
using KeepAlive.Net.AspNetCore;
using KeepAlive.Net.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.AspNetCore.Tests;

public sealed class KestrelKeepAliveTests
{
    private const string Json = """
        {
          "KeepAlive": {
            "Profiles": {
              "edge":    { "Tcp": { "IdleTime": "00:00:23", "Interval": "00:00:04", "ProbeCount": 5, "UserTimeout": "00:00:40" } },
              "default": { "Tcp": { "IdleTime": "00:00:50" } }
            }
          }
        }
        """;

    [Fact]
    public async Task UseTcpKeepAlive_AcceptedSocket_KernelReportsProfileValues()
    {
        var accepted = new TaskCompletionSource<Socket>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = Build(Json, listen => Capture(listen.UseTcpKeepAlive("edge"), accepted));
        await app.StartAsync(TestContext.Current.CancellationToken);

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port(app), TestContext.Current.CancellationToken);
        var serverSocket = await accepted.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        var kernel = serverSocket.GetKeepAlive();
        kernel.Enabled.Should().BeTrue();
        kernel.IdleTime.Should().Be(TimeSpan.FromSeconds(23));
        kernel.Interval.Should().Be(TimeSpan.FromSeconds(4));
        kernel.ProbeCount.Should().Be(5);
        if (KeepAliveCapabilities.Current.SupportsUserTimeout)
        {
            kernel.UserTimeout.Should().Be(TimeSpan.FromSeconds(40));
        }

        ((IPEndPoint)serverSocket.RemoteEndPoint!).Port.Should().Be(((IPEndPoint)client.Client.LocalEndPoint!).Port);
        client.GetKeepAlive().IdleTime.Should().NotBe(TimeSpan.FromSeconds(23), "only the accepted side was configured");
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task UseTcpKeepAlive_ListenSocketWithProtocolUnspecified_AcceptedSocketsGetTheProfile()
    {
        // A listen socket of Kestrel's socket transport created with protocol 0 (SocketTransportOptions.CreateBoundListenSocket:
        // new Socket(family, SocketType.Stream, ProtocolType.IP)) is TCP, and so are the sockets it accepts, which .NET reports as
        // ProtocolType.IP: they were logged as 'no TCP socket' (event 3102, Debug) and served without keep-alive.
        var accepted = new TaskCompletionSource<Socket>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = Build(Json, listen => Capture(listen.UseTcpKeepAlive("edge"), accepted),
            sockets => sockets.CreateBoundListenSocket = endPoint =>
            {
                var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.IP);
                socket.Bind(endPoint);
                return socket;
            });
        await app.StartAsync(TestContext.Current.CancellationToken);

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port(app), TestContext.Current.CancellationToken);
        var serverSocket = await accepted.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        serverSocket.ProtocolType.Should().Be(ProtocolType.IP, "the case: .NET reports the protocol number the listener was created with");
        var kernel = serverSocket.GetKeepAlive();
        kernel.Enabled.Should().BeTrue("the accepted TCP connection gets the profile");
        kernel.IdleTime.Should().Be(TimeSpan.FromSeconds(23));
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task UseTcpKeepAlive_HttpRequest_SeesConnectionFeature()
    {
        await using var app = Build(Json, listen => listen.UseTcpKeepAlive());
        app.MapGet("/", (HttpContext context) =>
        {
            var feature = context.Features.Get<IKeepAliveConnectionFeature>();
            return feature is null ? "none" : $"{feature.ProfileName} {feature.Settings.IdleTime}";
        });
        await app.StartAsync(TestContext.Current.CancellationToken);

        using var http = new HttpClient();
        var body = await http.GetStringAsync($"http://127.0.0.1:{Port(app)}/", TestContext.Current.CancellationToken);

        body.Should().Be("default 00:00:50");
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task UseTcpKeepAlive_ConnectionAbortedBeforeTheMiddleware_GoesOnWithoutFaulting()
    {
        // Kestrel disposes an aborted connection's socket (SocketConnection.Abort shuts it down and disposes it), so a
        // connection aborted before the middleware runs (the server stopping, a middleware before it refusing the peer)
        // reaches it with a disposed socket: configuring it threw ObjectDisposedException, which escaped the pipeline.
        var outcome = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = Build(Json, listen => ((Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions)listen
            .Use(next => async context =>
            {
                var socket = context.Features.Get<IConnectionSocketFeature>()!.Socket;
                context.Abort();
                try
                {
                    socket.SafeHandle.IsClosed.Should().BeTrue("the case: Kestrel disposed the aborted connection's socket");
                    await next(context);
                    outcome.TrySetResult(null);
                }
                catch (Exception ex)
                {
                    outcome.TrySetResult(ex);
                    throw;
                }
            }))
            .UseTcpKeepAlive("edge"));
        await app.StartAsync(TestContext.Current.CancellationToken);

        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, Port(app), TestContext.Current.CancellationToken);
        }
        catch (SocketException)
        {
            // The server's abort may reach the client before its connect completes.
        }

        var thrown = await outcome.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        thrown.Should().BeNull("a connection that is already gone has no keep-alive to set, and is no error of the pipeline");
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task UseTcpKeepAlive_UnregisteredProfile_HostDoesNotStart()
    {
        var act = () => BuildAndStartAsync(Json, listen => listen.UseTcpKeepAlive("payments"));

        (await act.Should().ThrowAsync<InvalidOperationException>()).WithMessage("No KeepAlive profile named 'payments'*Fix:*");
    }

    [Fact]
    public async Task UseTcpKeepAlive_InvalidProfile_HostDoesNotStart()
    {
        const string Bad = """{ "KeepAlive": { "Profiles": { "edge": { "Tcp": { "IdleTime": "00:00:00" } } } } }""";
        var act = () => BuildAndStartAsync(Bad, listen => listen.UseTcpKeepAlive("edge"));

        (await act.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain("KeepAlive:Profiles:edge:Tcp:IdleTime");
    }

    private static WebApplication Build(string json, Action<Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions> listen, Action<SocketTransportOptions>? sockets = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json)));
        builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive"));
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, listen));
        if (sockets is not null)
        {
            builder.WebHost.UseSockets(sockets);
        }

        return builder.Build();
    }

    // Hands the socket of the first accepted connection to the test.
    private static void Capture(Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions listen, TaskCompletionSource<Socket> accepted) =>
        listen.Use(next => context =>
        {
            accepted.TrySetResult(context.Features.Get<IConnectionSocketFeature>()!.Socket);
            return next(context);
        });

    private static async Task BuildAndStartAsync(string json, Action<Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions> listen)
    {
        await using var app = Build(json, listen);
        await app.StartAsync(TestContext.Current.CancellationToken);
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    private static int Port(WebApplication app) =>
        new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
}
