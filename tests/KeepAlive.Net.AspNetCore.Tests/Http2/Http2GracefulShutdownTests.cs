using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using static KeepAlive.Net.AspNetCore.Tests.Http2.RawH2cClient;

namespace KeepAlive.Net.AspNetCore.Tests.Http2;

/// <summary>The retirement of one HTTP/2 connection, frame by frame (RFC 9113 §6.8), with a client that races it on purpose.</summary>
public sealed class Http2GracefulShutdownTests
{
    [Fact]
    public async Task Retire_ClientOpensAStreamBeforeItSeesTheGoAway_StreamIsServedAndTheFinalGoAwayNamesIt()
    {
        await using var app = await StartAsync("""{ "Http": { "MaxRequestsPerConnection": 1, "ConnectionCloseGracePeriod": "10s" } }""");
        await using var client = await ConnectAsync(app);
        var seen = new List<Frame>();

        await client.SendGetAsync(1, "/slow", Token); // the connection's last request by its limit: retirement starts
        var firstGoAway = await client.ReadUntilAsync(f => f.Type == GoAway, seen, Token);
        var ping = await client.ReadUntilAsync(f => f.IsOurPing, seen, Token);
        await client.SendGetAsync(3, "/", Token); // sent "before the client saw the GOAWAY"
        await Task.Delay(300, Token);
        var goAwaysBeforeAck = seen.Count(f => f.Type == GoAway);
        await client.SendAsync(Ping, 1, 0, ping.Payload, Token);
        var finalGoAway = await client.ReadUntilAsync(f => f.Type == GoAway, seen, Token);

        firstGoAway.LastStreamId.Should().Be(int.MaxValue, "the first GOAWAY lets the client know streams it already sent may still be processed");
        goAwaysBeforeAck.Should().Be(1, "the server waits for the PING's acknowledgement (a round trip) before its final GOAWAY");
        finalGoAway.LastStreamId.Should().Be(3, "the stream sent before the client saw the GOAWAY was processed, not cut");
        foreach (var stream in new[] { 1, 3 })
        {
            seen.Should().Contain(f => f.Type == Headers && f.StreamId == stream && f.Payload[0] == 0x88, $"stream {stream} was answered 200 (HPACK :status 200)");
            seen.IndexOf(seen.Single(f => f.StreamId == stream && f.EndsStream)).Should().BeLessThan(seen.IndexOf(finalGoAway), $"stream {stream} ended before the final GOAWAY");
        }
    }

    [Fact]
    public async Task Retire_ClientNeverAcknowledgesThePing_ClosesGracefullyAfterTheRoundTripLimit()
    {
        // A grace period of 6 s: the round-trip limit is half of it, 3 s, and the abort it must come before is 3 s later, room
        // for a loaded machine's late timer (with 2 s the two were 1 s apart, and a timer 0.9 s late failed the test).
        await using var app = await StartAsync("""{ "Http": { "MaxRequestsPerConnection": 1, "ConnectionCloseGracePeriod": "6s" } }""");
        await using var client = await ConnectAsync(app);
        var seen = new List<Frame>();

        var sent = Stopwatch.GetTimestamp(); // retirement starts after this, when the request reaches the app
        await client.SendGetAsync(1, "/", Token);
        await client.ReadUntilAsync(f => f.IsOurPing, seen, Token);
        var finalGoAway = await client.ReadUntilAsync(f => f.Type == GoAway && f.LastStreamId != int.MaxValue, seen, Token);
        var waited = Stopwatch.GetElapsedTime(sent);

        finalGoAway.LastStreamId.Should().Be(1);
        waited.Should().BeGreaterThan(TimeSpan.FromSeconds(2.95)).And.BeLessThan(TimeSpan.FromSeconds(5.7),
            "without an acknowledgement the server waits the round-trip limit (half the 6 s grace period), then closes gracefully, before the grace period would abort it");
    }

    // Over TLS the TLS layer ends without completing the transport it read, so nothing asks ours to hold back, and Kestrel
    // closed the socket right after its final GOAWAY: a request the client had queued for the connection before it saw the
    // first GOAWAY then failed ("The HTTP/2 server closed the connection"), where a connection still open makes it retried.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Retire_AfterTheFinalGoAway_ServerReadsTheClientsLastBytesUntilTheClientCloses(bool tls)
    {
        using var certificate = tls ? KestrelHosts.SelfSignedCertificate() : null;
        await using var app = await StartAsync("""{ "Http": { "MaxRequestsPerConnection": 1, "ConnectionCloseGracePeriod": "10s" } }""", certificate);
        await using var client = await RawH2cClient.ConnectAsync(KestrelHosts.BaseAddress(app), Token, certificate);
        var seen = new List<Frame>();
        await client.SendGetAsync(1, "/", Token);
        var ping = await client.ReadUntilAsync(f => f.IsOurPing, seen, Token);
        await client.SendAsync(Ping, 1, 0, ping.Payload, Token);
        await client.ReadUntilAsync(f => f.Type == GoAway && f.LastStreamId == 1, seen, Token);

        await client.SendAsync(WindowUpdate, 0, 0, [0, 0, 0x10, 0], Token); // bytes the server's HTTP/2 layer will never read
        using (var wait = CancellationTokenSource.CreateLinkedTokenSource(Token))
        {
            wait.CancelAfter(TimeSpan.FromMilliseconds(400));
            Frame? early = null;
            var read = async () => early = await client.ReadAsync(wait.Token);
            await read.Should().ThrowAsync<OperationCanceledException>("the server lingers, reading, instead of closing a socket with unread bytes (which would be a RST); it sent {0}", early?.ToString() ?? "its FIN");
        }

        client.ShutdownSend();
        var closedAt = Stopwatch.GetTimestamp();
        (await client.ReadAsync(Token)).Should().BeNull("once the client closed its side the server closes with a FIN");
        Stopwatch.GetElapsedTime(closedAt).Should().BeLessThan(TimeSpan.FromSeconds(1.5), "it does not wait for the 2 s linger limit");
    }

    // Once Kestrel is done with a retired connection the server only lingers for the client's close (at most 2 s); the grace
    // period, counted from the retirement, used to run out in that wait: warning 3104 for a connection that had finished,
    // and an abort where the linger waits to close with a FIN.
    [Fact]
    public async Task Retire_ClientSlowToCloseAfterTheFinalGoAway_GracePeriodNoLongerRunsDuringTheLinger()
    {
        var collector = new FakeLogCollector();
        await using var app = await StartAsync("""{ "Http": { "MaxConnectionAge": "1s", "ConnectionCloseGracePeriod": "1s" } }""", collector: collector);
        await using var client = await ConnectAsync(app);
        var seen = new List<Frame>();
        await Task.Delay(700, Token);
        await client.SendGetAsync(1, "/slow", Token); // 500 ms, in flight when the connection is retired at 1 s
        var ping = await client.ReadUntilAsync(f => f.IsOurPing, seen, Token);
        await client.SendAsync(Ping, 1, 0, ping.Payload, Token);
        await client.ReadUntilAsync(f => f.Type == GoAway && f.LastStreamId == 1, seen, Token);

        await Task.Delay(1300, Token); // the client has not closed yet: past the grace period's end (2 s), within the linger (2.2 s)

        seen.Should().Contain(f => f.StreamId == 1 && f.EndsStream, "the stream completed");
        collector.GetSnapshot().Should().NotContain(r => r.Id.Id == KeepAliveEventIds.KestrelConnectionGracePeriodExpired, "the connection finished within its grace period; only the client's close was awaited");
        client.ShutdownSend();
        (await client.ReadAsync(Token)).Should().BeNull("the server closes with a FIN");
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static async Task<WebApplication> StartAsync(string profile, System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = null, FakeLogCollector? collector = null)
    {
        var app = KestrelHosts.Build(
            KestrelHosts.Profile("edge", profile),
            listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                listen.UseKeepAlive("edge");
                if (certificate is not null)
                {
                    listen.UseHttps(certificate); // after UseKeepAlive, as for endpoints from configuration
                }
            },
            services =>
            {
                services.AddKeepAliveRequestLimits();
                if (collector is not null)
                {
                    services.AddLogging(logging => logging.AddProvider(new FakeLoggerProvider(collector)));
                }
            });
        app.MapGet("/", () => "ok");
        app.MapGet("/slow", async (HttpContext context) =>
        {
            await Task.Delay(500, context.RequestAborted);
            return "slow";
        });
        await app.StartAsync(Token);
        return app;
    }

    private static Task<RawH2cClient> ConnectAsync(WebApplication app) => RawH2cClient.ConnectAsync(KestrelHosts.BaseAddress(app), Token);
}
