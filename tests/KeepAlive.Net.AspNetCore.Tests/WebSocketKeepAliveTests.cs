using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using KeepAlive.Net.Hosting;
using KeepAlive.Net.Tests.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace KeepAlive.Net.AspNetCore.Tests;

public sealed class WebSocketKeepAliveTests
{
    private const string Json = """
        { "KeepAlive": { "Profiles": {
            "edge":   { "WebSocket": { "KeepAliveInterval": "1s", "KeepAliveTimeout": "1s" } },
            "silent": { "WebSocket": { "KeepAliveInterval": "0s" } } } } }
        """;

    // A peer that stops answering PINGs is found interval + timeout (2 s) after the last answer, up to one more interval
    // later as the keep-alive timer ticks, and a loaded 2-core machine fires that timer late: twice the 3 s. Without the
    // profile's interval and timeout no PING is sent and the receive never fails.
    private static readonly TimeSpan MaxDetection = TimeSpan.FromSeconds(6);

    [Fact]
    public async Task ClientWebSocketUseKeepAlive_ServerStopsAnsweringPongs_DetectedWithinIntervalPlusTimeout()
    {
        // The server accepts and never reads again, so it never answers a PING (a managed WebSocket answers only while reading).
        await using var app = KestrelHosts.Build(Json, listen => listen.UseTcpKeepAlive("edge"));
        app.UseWebSockets();
        app.Map("/ws", async (HttpContext context) =>
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        });
        await app.StartAsync(TestContext.Current.CancellationToken);

        using var client = new ClientWebSocket();
        client.Options.UseKeepAlive(app.Services.GetRequiredService<IKeepAliveProfiles>(), "edge");
        await client.ConnectAsync(WebSocketUri(app), TestContext.Current.CancellationToken);
        var started = Stopwatch.GetTimestamp();
        var ex = await Record.ExceptionAsync(() => client.ReceiveAsync(new byte[16], TestContext.Current.CancellationToken));
        var detected = Stopwatch.GetElapsedTime(started);

        client.Options.KeepAliveInterval.Should().Be(TimeSpan.FromSeconds(1));
        client.Options.KeepAliveTimeout.Should().Be(TimeSpan.FromSeconds(1));
        ex.Should().BeAssignableTo<Exception>().Which.Should().Match<Exception>(e => e is WebSocketException || e is OperationCanceledException);
        client.State.Should().Be(WebSocketState.Aborted);
        detected.Should().BeGreaterThan(TimeSpan.FromSeconds(1.5), "the PING goes out after 1 s and has 1 s to be answered")
            .And.BeLessThan(MaxDetection, "interval + timeout = 2 s, plus a tick and a busy machine");
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task ClientWebSocketConnectAsyncWithAProfile_SocketCarriesTheTcpSectionAndTheOptionsCookiesStillArrive()
    {
        TestEnvironment.RequireLinux();
        await using var app = KestrelHosts.Build(
            """{ "KeepAlive": { "Profiles": { "ws": { "Tcp": { "IdleTime": "7s", "Interval": "3s", "ProbeCount": 4 }, "WebSocket": { "KeepAliveInterval": "20s" } } } } }""",
            _ => { });
        app.UseWebSockets();
        app.Map("/ws", async (HttpContext context) =>
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            await socket.SendAsync(Encoding.UTF8.GetBytes(context.Request.Headers.Cookie.ToString()), WebSocketMessageType.Text, endOfMessage: true, context.RequestAborted);
            await ((Task)socket.ReceiveAsync(new byte[16], context.RequestAborted)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        var uri = WebSocketUri(app);
        var endPoint = new IPEndPoint(IPAddress.Loopback, uri.Port);
        var before = ClientSockets.Snapshot(endPoint);
        using var client = new ClientWebSocket();
        client.Options.Cookies = new CookieContainer();
        client.Options.Cookies.Add(new Uri($"http://127.0.0.1:{uri.Port}/"), new Cookie("session", "42"));

        await client.ConnectAsync(uri, app.Services.GetRequiredService<IKeepAliveProfiles>(), "ws", TestContext.Current.CancellationToken);

        var buffer = new byte[64];
        var received = await client.ReceiveAsync(buffer, TestContext.Current.CancellationToken);
        Encoding.UTF8.GetString(buffer, 0, received.Count).Should().Be("session=42", "the options' cookies moved to the handler the WebSocket connects through");
        client.Options.KeepAliveInterval.Should().Be(TimeSpan.FromSeconds(20), "the WebSocket section applies too");
        var settings = ClientSockets.SingleNew(endPoint, before).View.GetKeepAlive();
        (settings.Enabled, settings.IdleTime, settings.Interval, settings.ProbeCount).Should().Be((true, TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(3), 4), "read back from the kernel on the WebSocket's socket");
        client.Abort();
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task ListenUseKeepAlive_ClientStopsAnsweringPongs_ServerDetectsWithinIntervalPlusTimeout()
    {
        var outcome = new TaskCompletionSource<(Exception? Error, TimeSpan After)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = KestrelHosts.Build(Json, listen => listen.UseKeepAlive("edge"));
        app.UseWebSockets();
        app.Map("/ws", async (HttpContext context) =>
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var started = Stopwatch.GetTimestamp();
            var ex = await Record.ExceptionAsync(async () => { await socket.ReceiveAsync(new byte[16], CancellationToken.None); });
            outcome.TrySetResult((ex, Stopwatch.GetElapsedTime(started)));
        });
        await app.StartAsync(TestContext.Current.CancellationToken);

        // This client never reads, so it never answers the server's PINGs.
        using var client = new ClientWebSocket();
        client.Options.UseKeepAlive(app.Services.GetRequiredService<IKeepAliveProfiles>(), "silent");
        await client.ConnectAsync(WebSocketUri(app), TestContext.Current.CancellationToken);
        var (error, after) = await outcome.Task.WaitAsync(MaxDetection * 3, TestContext.Current.CancellationToken);

        client.Options.KeepAliveInterval.Should().Be(TimeSpan.Zero, "the silent profile turns the client's own keep-alive off");
        error.Should().NotBeNull("the server gives up on a peer that does not answer its PINGs");
        after.Should().BeGreaterThan(TimeSpan.FromSeconds(1.5)).And.BeLessThan(MaxDetection);
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    private static Uri WebSocketUri(WebApplication app) => new(KestrelHosts.BaseAddress(app).ToString().Replace("http", "ws", StringComparison.Ordinal) + "ws");
}
