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
