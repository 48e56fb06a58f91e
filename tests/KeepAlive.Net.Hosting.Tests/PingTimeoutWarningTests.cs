using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary>
/// Event 3005 (a ping timeout that starvation can make misfire) is said once for the values that cause it: at start-up, and
/// again only when a reload changes them, not at every accepted reload of something else.
/// </summary>
public sealed class PingTimeoutWarningTests
{
    private const string Pinging = """{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { "IdleTime": "45s", "Interval": "5s" }, "Http": { "KeepAlivePingDelay": "1s", "KeepAlivePingTimeout": "5s", "ConnectTimeout": "10s" } } } } }""";

    [Fact]
    public async Task Reload_AcceptedWithTheSamePingValues_DoesNotWarnAgainButAChangedTimeoutDoes()
    {
        await using var host = await FileBackedHost.StartAsync(Pinging, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));
        host.LogsWithId(KeepAliveEventIds.PingTimeoutMayMisfire).Should().ContainSingle("start-up warns of the 5s ping timeout");

        await host.SaveAndWaitForLogAsync(Pinging.Replace("\"10s\"", "\"20s\"", StringComparison.Ordinal), KeepAliveEventIds.ProfileReloaded);
        host.LogsWithId(KeepAliveEventIds.PingTimeoutMayMisfire).Should().ContainSingle("a reload of Http:ConnectTimeout leaves the ping timeout as it was warned of");

        await host.SaveAndWaitForLogAsync(Pinging.Replace("\"KeepAlivePingTimeout\": \"5s\"", "\"KeepAlivePingTimeout\": \"6s\"", StringComparison.Ordinal).Replace("\"10s\"", "\"20s\"", StringComparison.Ordinal), KeepAliveEventIds.ProfileReloaded);
        var warnings = host.LogsWithId(KeepAliveEventIds.PingTimeoutMayMisfire);
        warnings.Should().HaveCount(2, "a new ping timeout that may misfire is a new condition");
        warnings[1].Level.Should().Be(LogLevel.Warning);
        warnings[1].Message.Should().Contain("Http:KeepAlivePingTimeout is 6s");
    }
}
