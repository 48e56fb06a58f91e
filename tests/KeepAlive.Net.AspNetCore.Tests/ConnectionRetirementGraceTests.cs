using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace KeepAlive.Net.AspNetCore.Tests;

public sealed class ConnectionRetirementGraceTests
{
    [Fact]
    public async Task UseKeepAlive_RequestOutlivesGracePeriod_ConnectionAbortedAndLogged()
    {
        var collector = new FakeLogCollector();
        var log = new ConnectionLog();
        await using var app = KestrelHosts.Build(
            KestrelHosts.Profile("edge", """{ "Http": { "MaxConnectionAge": "1s", "ConnectionCloseGracePeriod": "500ms" } }"""),
            listen =>
            {
                listen.Use(log.Middleware);
                listen.UseKeepAlive("edge");
            },
            services => services.AddLogging(logging => logging.AddProvider(new FakeLoggerProvider(collector)).SetMinimumLevel(LogLevel.Debug)));
        app.MapGet("/stuck", async (HttpContext context) => await Task.Delay(TimeSpan.FromSeconds(20), context.RequestAborted));
        await app.StartAsync(TestContext.Current.CancellationToken);

        using var client = new HttpClient { BaseAddress = KestrelHosts.BaseAddress(app) };
        var started = Stopwatch.GetTimestamp();
        var ex = await Record.ExceptionAsync(() => client.GetAsync("/stuck", TestContext.Current.CancellationToken));
        var failedAfter = Stopwatch.GetElapsedTime(started);

        ex.Should().BeOfType<HttpRequestException>("the connection was aborted under the request");
        failedAfter.Should().BeGreaterThan(TimeSpan.FromSeconds(1.4)).And.BeLessThan(TimeSpan.FromSeconds(5), "age 1 s + grace 0.5 s");
        var events = collector.GetSnapshot().Select(r => r.Id.Id).ToList();
        events.Should().Contain(KeepAliveEventIds.KestrelConnectionRetiring).And.Contain(KeepAliveEventIds.KestrelConnectionGracePeriodExpired);
        collector.GetSnapshot().First(r => r.Id.Id == KeepAliveEventIds.KestrelConnectionGracePeriodExpired).Message
            .Should().EndWith("was still open 500ms after it was retired: aborting it.", "durations in messages are written as configuration takes them");
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task UseKeepAlive_GracePeriodAbortsAnUpload_TheApplicationSeesTheReasonWithTheDurationAsConfigured()
    {
        await using var app = KestrelHosts.Build(
            KestrelHosts.Profile("edge", """{ "Http": { "MaxConnectionAge": "1s", "ConnectionCloseGracePeriod": "500ms" } }"""),
            listen => listen.UseKeepAlive("edge"));
        using var upload = new StalledUpload(app);
        await app.StartAsync(TestContext.Current.CancellationToken);

        await upload.StartAsync(app);
        var caught = await upload.Seen.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        caught.Should().NotBeNull("the connection was aborted under the upload");
        caught!.InnerException.Should().BeOfType<Microsoft.AspNetCore.Connections.ConnectionAbortedException>()
            .Which.Message.Should().Be("KeepAlive profile 'edge': the connection was retired and did not finish within the grace period of 500ms (Http:ConnectionCloseGracePeriod).", "what the application logs writes the duration as configuration takes it");
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task UseKeepAlive_Http2MaxRequestsPerConnection2_ThirdRequestOnANewConnection()
    {
        await using var app = KestrelHosts.Build(
            KestrelHosts.Profile("edge", """{ "Http": { "MaxRequestsPerConnection": 2 } }"""),
            listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                listen.UseKeepAlive("edge");
            },
            services => services.AddKeepAliveRequestLimits());
        app.MapGet("/", (HttpContext context) => context.Connection.Id);
        await app.StartAsync(TestContext.Current.CancellationToken);

        using var client = KestrelHosts.H2cClient(app);
        var connections = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            connections.Add(await client.GetStringAsync("/", TestContext.Current.CancellationToken));
        }

        connections.GroupBy(c => c).Select(g => g.Count()).Should().Equal(2, 2, 1);
        await app.StopAsync(TestContext.Current.CancellationToken);
    }
}
