using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.AspNetCore.Tests;

/// <summary>
/// What a profile on an endpoint that serves HTTP/3 says. Kestrel builds an endpoint's multiplexed (QUIC) pipeline when it
/// binds the endpoint's HTTP/3 side, with its protocols final; there is no msquic here, so these tests build it as Kestrel does.
/// </summary>
public sealed class EndpointProtocolsTests
{
    [Theory]
    [InlineData("UseKeepAlive")]
    [InlineData("UseTcpKeepAlive")]
    public async Task Http3OnlyEndpoint_BoundForQuic_WarnsThatTheProfileDoesNothingThere(string call)
    {
        var collector = new FakeLogCollector();
        var (app, endpoint) = Endpoint(collector, listen =>
        {
            if (call == "UseKeepAlive")
            {
                listen.UseKeepAlive("edge");
            }
            else
            {
                listen.UseTcpKeepAlive("edge");
            }

            listen.Protocols = HttpProtocols.Http3;
        });
        await using var host = app;

        ((IMultiplexedConnectionBuilder)endpoint).Build();

        var warning = collector.GetSnapshot().Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.KestrelEndpointHttp3Only).Subject;
        warning.Level.Should().Be(LogLevel.Warning);
        warning.Message.Should().Contain($"serves HTTP/3 only (Protocols = Http3), so listenOptions.{call}(\"edge\") does nothing there")
            .And.Contain("Fix: serve Http1AndHttp2AndHttp3");
    }

    [Fact]
    public async Task MixedEndpoint_BoundForQuic_NoWarning()
    {
        var collector = new FakeLogCollector();
        var (app, endpoint) = Endpoint(collector, listen =>
        {
            listen.Protocols = HttpProtocols.Http1AndHttp2AndHttp3;
            listen.UseKeepAlive("edge");
        });
        await using var host = app;

        ((IMultiplexedConnectionBuilder)endpoint).Build();

        collector.GetSnapshot().Should().NotContain(r => r.Id.Id == KeepAliveEventIds.KestrelEndpointHttp3Only, "its TCP connections get the profile; the docs say its QUIC ones do not");
    }

    // HTTP/2 PING settings on an endpoint that serves HTTP/1.1 only did nothing there, and nothing said so.
    [Theory]
    [InlineData(HttpProtocols.Http1, true)]
    [InlineData(HttpProtocols.Http1AndHttp2, false)]
    public async Task UseKeepAlive_ProfileWithHttp2PingsOnAnEndpoint_WarnsAtStartUpWhenItServesNoHttp2(HttpProtocols protocols, bool warns)
    {
        await using var app = KestrelHosts.Build(
            KestrelHosts.Profile("edge", """{ "Http": { "KeepAlivePingDelay": "20s", "KeepAlivePingTimeout": "10s" } }"""),
            listen =>
            {
                listen.Protocols = protocols;
                listen.UseKeepAlive("edge");
            },
            static services => services.AddLogging(l => l.AddFakeLogging()));
        await app.StartAsync(TestContext.Current.CancellationToken);
        var logs = app.Services.GetRequiredService<FakeLogCollector>().GetSnapshot();
        var bound = KestrelHosts.BaseAddress(app);
        await app.StopAsync(TestContext.Current.CancellationToken);

        var warnings = logs.Where(r => r.Id.Id == KeepAliveEventIds.KestrelEndpointWithoutHttp2ForPings).ToList();
        if (!warns)
        {
            warnings.Should().BeEmpty("Kestrel sends the PINGs on this endpoint's HTTP/2 connections");
            return;
        }

        var warning = warnings.Should().ContainSingle().Subject;
        warning.Level.Should().Be(LogLevel.Warning);
        warning.Message.Should().Be(
            $"Endpoint 127.0.0.1:{bound.Port} serves no HTTP/2 (Protocols = Http1), so the HTTP/2 PING settings of KeepAlive profile 'edge' (Http:KeepAlivePingDelay and Http:KeepAlivePingTimeout), applied with listenOptions.UseKeepAlive(\"edge\"), do nothing on its connections: Kestrel sends PINGs on HTTP/2 connections only. Fix: serve Http1AndHttp2 (or Http2) on this endpoint, or remove Http:KeepAlivePingDelay and Http:KeepAlivePingTimeout from the profile.");
    }

    private static (WebApplication App, ListenOptions Endpoint) Endpoint(FakeLogCollector collector, Action<ListenOptions> configure)
    {
        ListenOptions? endpoint = null;
        var app = KestrelHosts.Build(
            KestrelHosts.Profile("edge", """{ "Tcp": { "IdleTime": "30s" }, "Http": { "MaxConnectionAge": "10m" } }"""),
            listen =>
            {
                configure(listen);
                endpoint = listen;
            },
            services => services.AddLogging(logging => logging.AddProvider(new FakeLoggerProvider(collector))));
        _ = app.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value;
        return (app, endpoint!);
    }
}
