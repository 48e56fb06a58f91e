using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.AspNetCore.Tests;

public sealed class UseKeepAliveServerTests
{
    private const string Json = """
        { "KeepAlive": { "Profiles": {
            "edge":  { "Http": { "KeepAliveTimeout": "65s", "KeepAlivePingDelay": "20s", "KeepAlivePingTimeout": "5s" },
                       "WebSocket": { "KeepAliveInterval": "15s", "KeepAliveTimeout": "5s" }, "Heartbeat": { "PeerIdleTimeout": "AwsAlb" } },
            "other": { "Http": { "KeepAliveTimeout": "3m" } },
            "limit": { "Http": { "MaxRequestsPerConnection": 100 } } } } }
        """;

    [Fact]
    public async Task UseKeepAlive_ProfileSetsServerLimits_KestrelAndWebSocketsUseThem()
    {
        await using var app = KestrelHosts.Build(Json, listen => listen.UseKeepAlive("edge"));
        await app.StartAsync(TestContext.Current.CancellationToken);

        var limits = app.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits;
        limits.KeepAliveTimeout.Should().Be(TimeSpan.FromSeconds(65));
        limits.Http2.KeepAlivePingDelay.Should().Be(TimeSpan.FromSeconds(20));
        limits.Http2.KeepAlivePingTimeout.Should().Be(TimeSpan.FromSeconds(5));
        var webSockets = app.Services.GetRequiredService<IOptions<WebSocketOptions>>().Value;
        webSockets.KeepAliveInterval.Should().Be(TimeSpan.FromSeconds(15));
        webSockets.KeepAliveTimeout.Should().Be(TimeSpan.FromSeconds(5));
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    // A WebSocket keep-alive the application set (Configure<WebSocketOptions>) was replaced by the profile's without a word,
    // though a Kestrel limit set so is said (3108); SignalR's own value (its interval off) is the framework's, not said.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task UseKeepAlive_WebSocketKeepAliveSetInCode_ReplacedWithAWarningNamingBothValuesButNotSignalRsOwn(bool setInCode)
    {
        await using var app = KestrelHosts.Build(Json, listen => listen.UseKeepAlive("edge"), services =>
        {
            services.AddLogging(logging => logging.AddFakeLogging()).AddSignalR();
            if (setInCode)
            {
                services.Configure<WebSocketOptions>(o => o.KeepAliveInterval = TimeSpan.FromSeconds(40));
            }
        });
        await app.StartAsync(TestContext.Current.CancellationToken);

        app.Services.GetRequiredService<IOptions<WebSocketOptions>>().Value.KeepAliveInterval.Should().Be(TimeSpan.FromSeconds(15));
        var replaced = app.Services.GetRequiredService<FakeLogCollector>().GetSnapshot().Where(static r => r.Id.Id == KeepAliveEventIds.ServerWideSettingReplaced).Select(static r => r.Message);
        if (setInCode)
        {
            replaced.Should().ContainSingle().Which.Should().Contain("WebSocketOptions.KeepAliveInterval of UseWebSockets was 40s, set by other code; KeepAlive profile 'edge' replaces it with 15s (WebSocket:KeepAliveInterval)")
                .And.Contain("Fix:");
        }
        else
        {
            replaced.Should().BeEmpty("services.AddSignalR() turns the interval off itself, and the profile's is the one INTEGRATION.md recommends over it");
        }

        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task UseKeepAlive_ProfileWithoutServerSettings_LeavesKestrelDefaults()
    {
        await using var app = KestrelHosts.Build(KestrelHosts.Profile("plain", """{ "Tcp": { "IdleTime": "20s" } }"""), listen => listen.UseKeepAlive("plain"));
        await app.StartAsync(TestContext.Current.CancellationToken);

        var defaults = new KestrelServerOptions().Limits;
        var limits = app.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits;
        limits.KeepAliveTimeout.Should().Be(defaults.KeepAliveTimeout);
        limits.Http2.KeepAlivePingDelay.Should().Be(defaults.Http2.KeepAlivePingDelay);
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task UseKeepAlive_TwoEndpointsDisagreeOnAServerWideSetting_HostDoesNotStart()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(Json)));
        builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive"));
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0, listen => listen.UseKeepAlive("edge"));
            k.Listen(IPAddress.Loopback, 0, listen => listen.UseKeepAlive("other"));
        });

        var ex = await Record.ExceptionAsync(async () =>
        {
            await using var app = builder.Build();
            await app.StartAsync(TestContext.Current.CancellationToken);
        });

        ex.Should().BeOfType<InvalidOperationException>().Which.Message.Should()
            .Contain("Limits.KeepAliveTimeout is server-wide").And.Contain("'edge'").And.Contain("'other'").And.Contain("Fix: give both profiles the same Http:KeepAliveTimeout");
    }

    [Fact]
    public async Task UseKeepAlive_MaxRequestsWithoutRequestLimits_HostDoesNotStartAndNamesTheFix()
    {
        var ex = await StartFailingAsync(Json, listen => listen.UseKeepAlive("limit"));

        ex.Should().BeOfType<InvalidOperationException>().Which.Message.Should()
            .Contain("Http:MaxRequestsPerConnection to 100").And.Contain("Fix: call builder.Services.AddKeepAliveRequestLimits()");
    }

    // Without services.AddKeepAlive(...) the refusal named listenOptions.UseTcpKeepAlive, a call the application never made.
    [Theory]
    [InlineData("UseKeepAlive")]
    [InlineData("UseTcpKeepAlive")]
    public async Task UseKeepAlive_NoProfilesRegistered_HostDoesNotStartAndTheMessageNamesTheCallMade(string call)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => _ = call == "UseKeepAlive" ? listen.UseKeepAlive("edge") : listen.UseTcpKeepAlive("edge")));

        var ex = await Record.ExceptionAsync(async () =>
        {
            await using var app = builder.Build();
            await app.StartAsync(TestContext.Current.CancellationToken);
        });

        ex.Should().BeOfType<InvalidOperationException>().Which.Message.Should()
            .StartWith($"listenOptions.{call}(\"edge\") needs KeepAlive profiles.").And.Contain("Fix: call services.AddKeepAlive(");
    }

    [Fact]
    public async Task UseKeepAlive_InvalidHttpSection_HostDoesNotStart()
    {
        var json = KestrelHosts.Profile("edge", """{ "Http": { "KeepAliveTimeout": "30s" }, "Heartbeat": { "PeerIdleTimeout": "AwsAlb" } }""");
        var ex = await StartFailingAsync(json, listen => listen.UseKeepAlive("edge"));

        ex.Should().BeOfType<OptionsValidationException>().Which.Message.Should().Contain("KeepAlive:Profiles:edge:Http:KeepAliveTimeout").And.Contain("502");
    }

    // An endpoint given a name the configuration does not define stopped the host without saying which call asked for it,
    // as a client library's or an HttpClient's refusal does: with several endpoints, the one to fix was left to guess.
    [Theory]
    [InlineData("listenOptions.UseKeepAlive")]
    [InlineData("listenOptions.UseTcpKeepAlive")]
    public async Task UseKeepAlive_UnknownProfile_HostDoesNotStartAndTheRefusalNamesTheCallAndTheFix(string call)
    {
        var ex = await StartFailingAsync(Json, listen => _ = call.EndsWith("UseKeepAlive", StringComparison.Ordinal) ? listen.UseKeepAlive("orders") : listen.UseTcpKeepAlive("orders"));

        ex.Should().BeOfType<KeepAlive.Net.Hosting.KeepAliveProfileNotFoundException>().Which.Message.Should().Match(
            $"No KeepAlive profile named 'orders' is registered (registered: *'edge'*), but {call}(\"orders\") uses it.*Fix: add a \"orders\" section at KeepAlive:Profiles:orders*, or give {call}(\"orders\") a registered profile (*'edge'*).");
    }

    private static async Task<Exception?> StartFailingAsync(string json, Action<ListenOptions> listen) => await Record.ExceptionAsync(async () =>
    {
        await using var app = KestrelHosts.Build(json, listen);
        await app.StartAsync(TestContext.Current.CancellationToken);
    });
}
