using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.SignalR.Tests;

/// <summary>
/// A profile's <c>WebSocket</c> section on a SignalR server's endpoint (<c>listenOptions.UseKeepAlive</c>): SignalR turns the
/// keep-alive interval of <c>UseWebSockets</c> off (it sends keep-alive messages of its own), so a profile that sets a
/// <c>WebSocket:KeepAliveTimeout</c> and leaves the interval to the platform sends no PING, and its timeout never runs.
/// </summary>
public sealed class HubWebSocketKeepAliveTests
{
    [Fact]
    public async Task UseKeepAlive_WebSocketTimeoutWithoutIntervalOnASignalRServer_RefusedWithTheFix()
    {
        // The profile passed its rule ("unset, the platform's interval sends the PINGs": 2m on the server), but the interval
        // in force was 0s, and the 10 s timeout was accepted and never ran: a dead peer was never detected, without a word.
        var start = async () =>
        {
            await using var server = await HubServers.StartOnLoopbackAsync(static listen => listen.UseKeepAlive("hub"),
                static builder => builder.Services.AddKeepAlive("hub", static p => p.WebSocket.KeepAliveTimeout = TimeSpan.FromSeconds(10)));
        };

        (await start.Should().ThrowAsync<InvalidOperationException>()).WithMessage(
            "listenOptions.UseKeepAlive(\"hub\"): the profile sets WebSocket:KeepAliveTimeout to 10s and no WebSocket:KeepAliveInterval, but the KeepAliveInterval of UseWebSockets is 0s*no PING is ever sent*Fix: set WebSocket:KeepAliveInterval in the profile, for example \"30s\", or remove WebSocket:KeepAliveTimeout.");
    }

    // The reload that start-up would refuse (above) was accepted with 3106's "Fix: restart the service to apply them", and
    // the restart it asked for stopped the host with the refusal: following the fix took the service down.
    [Fact]
    public async Task Reload_WebSocketTimeoutWithoutIntervalOnASignalRServer_FixAsksForTheIntervalARestartNeeds()
    {
        var logs = new FakeLogCollector();
        await using var server = await HubServers.StartOnLoopbackAsync(static listen => listen.UseKeepAlive("hub"), builder =>
        {
            builder.Configuration.AddInMemoryCollection([new("KeepAlive:Profiles:hub:Tcp:IdleTime", "23s")]);
            builder.Logging.AddProvider(new FakeLoggerProvider(logs));
            builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive"));
        });
        var configuration = (IConfigurationRoot)server.App.Configuration;
        configuration["KeepAlive:Profiles:hub:WebSocket:KeepAliveTimeout"] = "10s";
        configuration.Reload();

        var warning = logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.ServerReloadNotApplied).Which.Message;
        warning.Should().Contain("WebSocketOptions.KeepAliveTimeout (WebSocket:KeepAliveTimeout) stays")
            .And.Contain("Fix: set WebSocket:KeepAliveInterval in the profile, for example \"30s\", or remove WebSocket:KeepAliveTimeout, then restart the service (restarted as it is, the host does not start")
            .And.NotContain("Fix: restart the service");
    }

    [Fact]
    public async Task UseKeepAlive_WebSocketTimeoutWithIntervalOnASignalRServer_BothInForce()
    {
        await using var server = await HubServers.StartOnLoopbackAsync(static listen => listen.UseKeepAlive("hub"),
            static builder => builder.Services.AddKeepAlive("hub", static p => (p.WebSocket.KeepAliveInterval, p.WebSocket.KeepAliveTimeout) = (TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10))));

        var webSockets = server.App.Services.GetRequiredService<IOptions<WebSocketOptions>>().Value;

        (webSockets.KeepAliveInterval, webSockets.KeepAliveTimeout).Should().Be((TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10)));
    }
}
