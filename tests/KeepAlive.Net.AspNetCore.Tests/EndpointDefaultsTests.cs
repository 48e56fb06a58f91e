using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KeepAlive.Net.AspNetCore.Tests;

/// <summary>
/// <c>ConfigureEndpointDefaults(l => l.UseKeepAlive("inbound"))</c> with one endpoint's own <c>UseKeepAlive("partners")</c>
/// (INTEGRATION.md, Kestrel): the endpoint's profile replaces the default one on that endpoint instead of stacking on it.
/// </summary>
public sealed class EndpointDefaultsTests
{
    private const string Json = """
        { "KeepAlive": { "Profiles": {
            "inbound":  { "Tcp": { "IdleTime": "2m", "Interval": "15s", "ProbeCount": 3 }, "Http": { "MaxConnectionAge": "1s", "ConnectionCloseGracePeriod": "1s" } },
            "partners": { "Tcp": { "IdleTime": "30s", "Interval": "5s", "ProbeCount": 4 }, "Http": { "MaxRequestsPerConnection": 1000 } } } } }
        """;

    [Theory]
    [InlineData("UseKeepAlive", "1000")]
    [InlineData("UseTcpKeepAlive", "")]
    public async Task UseKeepAlive_EndpointProfileOverDefaults_OnlyTheEndpointsProfileRetiresItsConnections(string call, string maxRequests)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(Json)));
        builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive"));
        builder.Services.AddKeepAliveRequestLimits();
        builder.WebHost.UseKestrel(k =>
        {
            k.ConfigureEndpointDefaults(listen => listen.UseKeepAlive("inbound"));
            k.Listen(IPAddress.Loopback, 0, listen => _ = call == "UseKeepAlive" ? listen.UseKeepAlive("partners") : listen.UseTcpKeepAlive("partners"));
        });
        await using var app = builder.Build();
        app.MapGet("/", (HttpContext context) =>
            $"{context.Connection.Id} {context.Features.Get<IKeepAliveConnectionFeature>()?.ProfileName} {context.Features.Get<IKeepAliveRetirementFeature>()?.MaxAge?.ToString() ?? "no-age"} {context.Features.Get<IKeepAliveRetirementFeature>()?.MaxRequests}");
        await app.StartAsync(TestContext.Current.CancellationToken);

        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { BaseAddress = KestrelHosts.BaseAddress(app) };
        var first = await client.GetStringAsync("/", TestContext.Current.CancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(2.5), TestContext.Current.CancellationToken); // past the default profile's 1 s age
        var second = await client.GetStringAsync("/", TestContext.Current.CancellationToken);

        first.Split(' ')[1..].Should().Equal("partners", "no-age", maxRequests);
        second.Split(' ')[0].Should().Be(first.Split(' ')[0], "the endpoint's profile 'partners' has no MaxConnectionAge; the default profile's 1 s age must not retire its connections");
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    // Kestrel's behaviour, documented (INTEGRATION.md, Kestrel): it keeps one ConfigureEndpointDefaults callback, so a later
    // call replaces the one with UseKeepAlive and no code of ours runs to say so. If Kestrel ever chains them, the docs change.
    [Fact]
    public async Task ConfigureEndpointDefaults_ALaterCallReplacesTheOneWithUseKeepAlive_TheEndpointsFromUrlsGetNoProfile()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(Json)));
        builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive"));
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(listen => listen.UseTcpKeepAlive("partners")));
        builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(listen => listen.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1));
        await using var app = builder.Build();
        app.MapGet("/", (HttpContext context) => context.Features.Get<IKeepAliveConnectionFeature>()?.ProfileName ?? "none");
        await app.StartAsync(TestContext.Current.CancellationToken);

        using var client = new HttpClient { BaseAddress = KestrelHosts.BaseAddress(app) };
        var profile = await client.GetStringAsync("/", TestContext.Current.CancellationToken);
        await app.StopAsync(TestContext.Current.CancellationToken);

        profile.Should().Be("none", "the docs say the later call wins; if this fails, Kestrel chains the callbacks and the docs must change");
    }

    [Fact]
    public async Task UseKeepAlive_EndpointAndDefaultsDisagreeOnAServerWideSetting_MessageSaysItIsTheSameEndpoint()
    {
        var ex = await StartDisagreeingAsync(k =>
        {
            k.ConfigureEndpointDefaults(listen => listen.UseKeepAlive("inbound"));
            k.Listen(IPAddress.Loopback, 0, listen => listen.UseKeepAlive("partners"));
        });

        ex.Should().BeOfType<InvalidOperationException>().Which.Message.Should()
            .Contain("'inbound' sets Http:KeepAliveTimeout to 6m and profile 'partners' to 7m on the same endpoint")
            .And.Contain("ConfigureEndpointDefaults").And.NotContain("another endpoint").And.Contain("Fix:");
    }

    // Two calls on one endpoint in code, no ConfigureEndpointDefaults anywhere: the refusal said "ConfigureEndpointDefaults
    // applies 'inbound' to every endpoint", a call the application never made.
    [Fact]
    public async Task UseKeepAlive_TwiceOnOneEndpointDisagreeingOnAServerWideSetting_MessageDoesNotBlameConfigureEndpointDefaults()
    {
        var ex = await StartDisagreeingAsync(k => k.Listen(IPAddress.Loopback, 0, listen => listen.UseKeepAlive("inbound").UseKeepAlive("partners")));

        ex.Should().BeOfType<InvalidOperationException>().Which.Message.Should()
            .Contain("'inbound' sets Http:KeepAliveTimeout to 6m and profile 'partners' to 7m on the same endpoint")
            .And.NotContain("ConfigureEndpointDefaults applies")
            .And.Contain("a second call on it").And.Contain("Fix: give both profiles the same Http:KeepAliveTimeout");
    }

    // Builds and starts an app whose profiles 'inbound' and 'partners' set Kestrel's keep-alive timeout to 6m and 7m, with
    // `kestrel` configuring the server; returns what stopped it.
    private static async Task<Exception?> StartDisagreeingAsync(Action<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions> kestrel)
    {
        const string Disagreeing = """
            { "KeepAlive": { "Profiles": { "inbound": { "Http": { "KeepAliveTimeout": "6m" } }, "partners": { "Http": { "KeepAliveTimeout": "7m" } } } } }
            """;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(Disagreeing)));
        builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive"));
        builder.WebHost.UseKestrel(kestrel);
        return await Record.ExceptionAsync(async () =>
        {
            await using var app = builder.Build();
            await app.StartAsync(TestContext.Current.CancellationToken);
        });
    }
}
