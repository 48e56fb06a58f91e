using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace KeepAlive.Net.AspNetCore.Tests;

public sealed class ConnectionRetirementHttp2Tests
{
    [Fact]
    public async Task UseKeepAlive_Http2MaxConnectionAge_GoAwayNewStreamsOnNewConnectionInFlightCompletes()
    {
        var log = new ConnectionLog();
        var sniffer = new Http2FrameSniffer();
        await using var app = KestrelHosts.Build(
            KestrelHosts.Profile("edge", """{ "Http": { "MaxConnectionAge": "1s", "ConnectionCloseGracePeriod": "10s" } }"""),
            listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                listen.Use(log.Middleware);
                listen.Use(sniffer.Middleware);
                listen.UseKeepAlive("edge");
            });
        // The request in flight is the connection's first stream and ends only once the test has seen the connection retired:
        // sent after a first request, a loaded machine (JIT, scheduling) sent it after the 1 s age, so it went to the new
        // connection and the test failed although retirement worked; a fixed delay could also end it before the GOAWAY.
        var slowStarted = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        app.MapGet("/", (HttpContext context) => context.Connection.Id);
        app.MapGet("/slow", async (HttpContext context) =>
        {
            slowStarted.TrySetResult(context.Connection.Id);
            await release.Task.WaitAsync(context.RequestAborted);
            return context.Connection.Id;
        });
        await app.StartAsync(TestContext.Current.CancellationToken);

        using var client = KestrelHosts.H2cClient(app);
        var slow = client.GetAsync("/slow", TestContext.Current.CancellationToken);
        var first = await slowStarted.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        await WaitUntil(() => sniffer.Frames[first].Any(f => f.Type == Http2FrameSniffer.GoAway));
        // The sniffer sees the server write GOAWAY; the client reads it on its own time, and a stream it opens before that
        // still lands on the old connection (Kestrel's first GOAWAY is the graceful notice and accepts it), as seen once in
        // CI under the full suite. So: new streams until one lands elsewhere, within a bound the feature must meet.
        var afterAge = first;
        var retryUntil = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 5;
        while (afterAge == first && Stopwatch.GetTimestamp() < retryUntil)
        {
            afterAge = await client.GetStringAsync("/", TestContext.Current.CancellationToken);
            await Task.Delay(afterAge == first ? 50 : 0, TestContext.Current.CancellationToken);
        }

        var slowSentAt = Stopwatch.GetTimestamp();
        release.SetResult();
        using var slowResponse = await slow;

        afterAge.Should().NotBe(first, "after GOAWAY new streams go to a new connection (within 5 s of the GOAWAY on the wire)");
        slowResponse.StatusCode.Should().Be(HttpStatusCode.OK, "the request in flight when the connection was retired completes");
        (await slowResponse.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Should().Be(first);

        var goAways = sniffer.Frames[first].Where(f => f.Type == Http2FrameSniffer.GoAway).ToList();
        goAways.Should().NotBeEmpty("the retired connection sends GOAWAY");
        var firstGoAway = Stopwatch.GetElapsedTime(log.Connections[first].Started, goAways[0].Timestamp);
        firstGoAway.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(980)).And.BeLessThan(TimeSpan.FromSeconds(2.5), "the age is 1 s; a busy machine may fire the timer late");
        goAways[^1].LastStreamId.Should().BeGreaterThanOrEqualTo(1, "the slow stream (the first) was accepted before the final GOAWAY");

        await WaitUntil(() => log.Connections[first].Ended is not null);
        Stopwatch.GetElapsedTime(slowSentAt, log.Connections[first].Ended!.Value).Should().BeLessThan(TimeSpan.FromSeconds(3),
            "the retired connection closes once its last stream completes, long before the grace period");
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        condition().Should().BeTrue();
    }
}
