using System.Diagnostics;
using System.Net.WebSockets;
using KeepAlive.Net.Hosting;
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
            .And.BeLessThan(TimeSpan.FromSeconds(4), "interval + timeout = 2 s, plus a busy machine");
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
        var (error, after) = await outcome.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        client.Options.KeepAliveInterval.Should().Be(TimeSpan.Zero, "the silent profile turns the client's own keep-alive off");
        error.Should().NotBeNull("the server gives up on a peer that does not answer its PINGs");
        after.Should().BeGreaterThan(TimeSpan.FromSeconds(1.5)).And.BeLessThan(TimeSpan.FromSeconds(4));
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    private static Uri WebSocketUri(WebApplication app) => new(KestrelHosts.BaseAddress(app).ToString().Replace("http", "ws", StringComparison.Ordinal) + "ws");
}
