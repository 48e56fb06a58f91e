using KeepAlive.Net.Hosting.Profiles;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace KeepAlive.Net.Hosting.Tests;

public sealed class KeepAliveBudgetLogTests
{
    private const string Json = """
        { "KeepAlive": { "Profiles": {
            "payments": {
              "Tcp": { "IdleTime": "30s", "Interval": "5s", "ProbeCount": 4 },
              "Heartbeat": { "Interval": "10s", "Timeout": "30s", "PeerIdleTimeout": "AwsNlb" },
              "Http": { "PooledConnectionIdleTimeout": "5m", "KeepAlivePingDelay": "30s", "KeepAlivePingTimeout": "20s",
                        "MaxConnectionAge": "10m", "MaxConnectionAgeJitter": "30s", "KeepAliveTimeout": "6m" },
              "WebSocket": { "KeepAliveInterval": "1m", "KeepAliveTimeout": "10s" } },
            "plain": { "Tcp": { "Enabled": false } } } } }
        """;

    [Fact]
    public async Task Start_EachProfile_LogsOneLineWithEveryLayerAgainstTheBudget()
    {
        using var host = TestHosts.Build(Json, (services, configuration) =>
        {
            services.AddLogging(logging => logging.AddFakeLogging().SetMinimumLevel(LogLevel.Information));
            services.AddKeepAlive(configuration.GetSection("KeepAlive"));
        });

        await host.StartAsync(TestContext.Current.CancellationToken);

        var lines = host.Services.GetFakeLogCollector().GetSnapshot().Where(r => r.Id.Id == KeepAliveEventIds.ProfileBudget).ToList();
        lines.Should().HaveCount(2, "one line per profile");
        lines.Should().OnlyContain(r => r.Level == LogLevel.Information);
        lines.Single(r => r.Message.Contains("'payments'", StringComparison.Ordinal)).Message.Should().Be(
            "KeepAlive profile 'payments': middlebox idle timeout AwsNlb (5m50s); TCP dead peer after 50s (idle 30s + 4 x 5s); "
            + "heartbeat every 10s (peer dead after 30s); HTTP pool idle 5m, pool lifetime not set, server keep-alive 6m; "
            + "HTTP/2 ping after 30s (timeout 20s); connection age 10m (minus up to 30s); WebSocket keep-alive 1m (timeout 10s)");
        lines.Single(r => r.Message.Contains("'plain'", StringComparison.Ordinal)).Message.Should()
            .Contain("no Heartbeat:PeerIdleTimeout").And.Contain("TCP keep-alive off").And.Contain("HTTP pool idle not set")
            .And.Contain("; HTTP/2 ping not set;", "a ping delay that is not set is no ping, not a ping 'after not set'");
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData("2m", "TCP dead peer after 2m (idle 30s + 4 x 5s, user timeout 2m: ")]
    [InlineData("35s", "TCP dead peer after 35s (idle 30s + 4 x 5s, user timeout 35s: ")]
    public void Describe_UserTimeoutOnLinux_SaysWhenTheKernelReallyDeclaresTheIdlePeerDead(string userTimeout, string expected)
    {
        // Linux does not use TCP_KEEPCNT once TCP_USER_TIMEOUT is set: it resets at the first probe at least the user timeout
        // after the last segment received (idle 30 s, then every 5 s: 2m at 30 s + 18 x 5 s, 35s at 30 s + 1 x 5 s).
        Assert.SkipUnless(KeepAliveCapabilities.Current.SupportsUserTimeout, "TCP_USER_TIMEOUT replaces the probe count on Linux only");
        var profile = new KeepAliveProfileOptions
        {
            Tcp = { IdleTime = TimeSpan.FromSeconds(30), Interval = TimeSpan.FromSeconds(5), ProbeCount = 4, UserTimeout = KeepAliveDuration.Parse(userTimeout) },
        };

        KeepAliveBudget.Describe(profile).Should().Contain(expected);
    }

    [Fact]
    public void Describe_FractionOfASecond_AddsUpTheTimesTheKernelIsGiven()
    {
        // The kernel takes whole seconds and ConfigureKeepAlive rounds down (7.5 s is written as 7 s): the line said
        // "dead peer after 51s (idle 30s + 3 x 7s500ms)", whose own sum is 52.5 s, and with a user timeout that the probe
        // count reaches at the same probe it still said the kernel ignores the count to reset elsewhere.
        Assert.SkipUnless(KeepAliveCapabilities.Current.TimeResolution == TimeSpan.FromSeconds(1), "the kernel takes whole seconds here");
        var profile = new KeepAliveProfileOptions { Tcp = { IdleTime = TimeSpan.FromSeconds(30), Interval = TimeSpan.FromMilliseconds(7500), ProbeCount = 3 } };
        var withUserTimeout = new KeepAliveProfileOptions
        {
            Tcp = { IdleTime = TimeSpan.FromMilliseconds(30_900), Interval = TimeSpan.FromMilliseconds(7500), ProbeCount = 3, UserTimeout = TimeSpan.FromSeconds(49) },
        };

        KeepAliveBudget.Describe(profile).Should().Contain("TCP dead peer after 51s (idle 30s + 3 x 7s; Tcp:Interval 7s500ms is rounded down to 7s);");
        KeepAliveBudget.Describe(withUserTimeout).Should().Contain(
            "TCP dead peer after 51s (idle 30s + 3 x 7s, user timeout 49s; Tcp:IdleTime 30s900ms is rounded down to 30s, Tcp:Interval 7s500ms is rounded down to 7s);");
    }

    [Fact]
    public void Describe_UnsetValuesKeepCurrent_SaysWhichTimesTheSocketKeepsInsteadOfTheDefaultsNeverWritten()
    {
        // Only ProbeCount is written: idle time and interval stay as each socket has them (the kernel's 7200 s and 75 s on a
        // fresh one), so "dead peer after 50s (idle 30s + 2 x 10s)" named defaults that never reach a socket.
        var profile = new KeepAliveProfileOptions { Tcp = { UnsetValues = TcpKeepAliveUnsetValues.KeepCurrent, ProbeCount = 2 } };

        KeepAliveBudget.Describe(profile).Should().Contain("TCP dead peer after the socket's own time (idle kept, 2 x interval kept: Tcp:UnsetValues is KeepCurrent)");
    }

    [Fact]
    public void Describe_WebSocketKeepAliveIntervalZero_SaysTheFramesAreOff()
    {
        // "0s" turns keep-alive frames off (docs/CONFIGURATION.md); "WebSocket keep-alive 0s" read as a frame every 0 s.
        var profile = new KeepAliveProfileOptions { WebSocket = { KeepAliveInterval = TimeSpan.Zero } };

        KeepAliveBudget.Describe(profile).Should().EndWith("; WebSocket keep-alive off (WebSocket:KeepAliveInterval 0s)");
    }

    [Fact]
    public async Task Start_InvalidProfile_LogsNoBudgetBecauseTheHostDoesNotStart()
    {
        var collector = new FakeLogCollector();
        var ex = await TestHosts.StartFailingAsync(TestHosts.Profile("bad", """{ "IdleTime": "0s" }"""), (services, configuration) =>
        {
            services.AddLogging(logging => logging.AddProvider(new FakeLoggerProvider(collector)));
            services.AddKeepAlive(configuration.GetSection("KeepAlive"));
        });

        ex.Message.Should().Contain("KeepAlive:Profiles:bad:Tcp:IdleTime");
        collector.GetSnapshot().Should().NotContain(r => r.Id.Id == KeepAliveEventIds.ProfileBudget);
    }
}
