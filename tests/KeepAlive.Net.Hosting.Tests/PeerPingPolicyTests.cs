using System.Net.Http;
using KeepAlive.Net.Hosting.Profiles;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary>The server's ping policy (grpc-go, grpc-java) as a client profile states it, and ping timeouts that thread-pool starvation can make misfire.</summary>
public sealed class PeerPingPolicyTests
{
    [Theory]
    [InlineData("""{ "Http": { "KeepAlivePingDelay": "10s", "PeerMinPingInterval": "5m" } }""", "Http:KeepAlivePingDelay", "below Http:PeerMinPingInterval 5m", "too_many_pings")]
    [InlineData("""{ "Http": { "KeepAlivePingPolicy": "Always", "PeerPermitsPingsWithoutCalls": false } }""", "Http:KeepAlivePingPolicy", "no call in flight", "WithActiveRequests")]
    [InlineData("""{ "Http": { "PeerMinPingInterval": "500ms" } }""", "Http:PeerMinPingInterval", "floor of 1s", "at least \"1s\"")]
    [InlineData("""{ "Http": { "PeerPermitsPingsWithoutCalls": "no" } }""", "Http:PeerPermitsPingsWithoutCalls", "true or false", "Fix")]
    [InlineData("""{ "Heartbeat": { "PeerIdleTimeout": "AwsAlb" }, "Http": { "KeepAlivePingDelay": "5m", "PeerMinPingInterval": "5m" } }""", "Http:KeepAlivePingDelay", "no ping delay can satisfy both", "keep the connection with the Tcp section")]
    [InlineData("""{ "Heartbeat": { "PeerIdleTimeout": "AwsAlb" }, "Tcp": { "Enabled": false }, "Http": { "KeepAlivePingDelay": "20s", "PeerPermitsPingsWithoutCalls": false } }""", "Tcp:Enabled", "no keep-alive at all", "enable the Tcp section")]
    public async Task Start_ProfileThePeersPingPolicyRefuses_HostDoesNotStartAndNamesPathValueAndFix(string profile, string setting, string reason, string fix)
    {
        var message = await TestHosts.ProfilesFailAsync(Json(profile));

        message.Should().Contain($"KeepAlive:Profiles:grpc:{setting}").And.Contain(reason).And.Contain("Fix:").And.Contain(fix);
    }

    [Fact]
    public void ProfileInCode_PingDelayBelowThePeersMinimum_RefusedWhenReadLikeConfiguration()
    {
        using var profiles = Profiles(p =>
        {
            p.Http.KeepAlivePingDelay = TimeSpan.FromSeconds(30);
            p.Http.PeerMinPingInterval = TimeSpan.FromMinutes(5);
        });

        var read = () => profiles.GetRequiredService<IKeepAliveProfiles>().GetProfile("grpc");

        read.Should().Throw<OptionsValidationException>().WithMessage("KeepAlive profile 'grpc' (configured in code) Http:KeepAlivePingDelay: Http:KeepAlivePingDelay is 30s, below Http:PeerMinPingInterval 5m*Fix:*");
    }

    [Theory]
    [InlineData(null, null, HttpKeepAlivePingPolicy.Always)]
    [InlineData(false, null, HttpKeepAlivePingPolicy.WithActiveRequests)]
    [InlineData(true, null, HttpKeepAlivePingPolicy.Always)]
    [InlineData(false, HttpKeepAlivePingPolicy.WithActiveRequests, HttpKeepAlivePingPolicy.WithActiveRequests)]
    [InlineData(true, HttpKeepAlivePingPolicy.WithActiveRequests, HttpKeepAlivePingPolicy.WithActiveRequests)]
    public void SocketsHttpHandlerUseKeepAlive_PeerPermitsPingsWithoutCalls_DecidesThePolicyTheProfileLeavesOpen(bool? permits, HttpKeepAlivePingPolicy? policy, HttpKeepAlivePingPolicy expected)
    {
        using var services = Profiles(p =>
        {
            p.Http.KeepAlivePingDelay = TimeSpan.FromMinutes(5);
            p.Http.PeerMinPingInterval = TimeSpan.FromMinutes(5);
            p.Http.PeerPermitsPingsWithoutCalls = permits;
            p.Http.KeepAlivePingPolicy = policy;
        });
        using var handler = new SocketsHttpHandler();

        handler.UseKeepAlive(services.GetRequiredService<IKeepAliveProfiles>(), "grpc");

        handler.KeepAlivePingDelay.Should().Be(TimeSpan.FromMinutes(5));
        handler.KeepAlivePingPolicy.Should().Be(expected);
        handler.ConnectCallback.Should().NotBeNull("the Tcp section reaches every connection's socket");
    }

    [Theory]
    [InlineData("1s", "5s", "30s", "1s", 3, "Http:KeepAlivePingTimeout is 5s, shorter than the 33s the kernel's keep-alive")]
    [InlineData("30s", null, "30s", "10s", 3, "Http:KeepAlivePingTimeout is 20s (unset: the platform's default), shorter than the 1m")]
    [InlineData("10s", "2m", null, null, 0, "Http:KeepAlivePingTimeout is 2m and the Tcp section is off")]
    public void PingTimeoutsThatMayMisfire_HttpPingTimeoutBelowTheKernelsDeadPeerTime_Warns(string delay, string? timeout, string? idle, string? interval, int count, string expected)
    {
        var profile = new KeepAliveProfileOptions { Http = { KeepAlivePingDelay = KeepAliveDuration.Parse(delay), KeepAlivePingTimeout = timeout is null ? null : KeepAliveDuration.Parse(timeout) } };
        if (idle is null)
        {
            profile.Tcp.Enabled = false;
        }
        else
        {
            (profile.Tcp.IdleTime, profile.Tcp.Interval, profile.Tcp.ProbeCount) = (KeepAliveDuration.Parse(idle), KeepAliveDuration.Parse(interval!), count);
        }

        KeepAliveBudget.PingTimeoutsThatMayMisfire(profile).Should().ContainSingle().Which.Should().StartWith(expected).And.Contain("thread pool").And.Contain("Fix:");
    }

    [Fact]
    public void PingTimeoutsThatMayMisfire_UserTimeoutMakesTheKernelSlowerThanTheProbeCount_WarnsAgainstTheKernelsRealTime()
    {
        // Linux ignores TCP_KEEPCNT when TCP_USER_TIMEOUT is set: with idle 30 s, probes every 5 s and a user timeout of
        // 2 min it resets a silent idle connection at the first probe after 2 min (30 s + 18 x 5 s), not after 4 probes (50 s).
        Assert.SkipUnless(KeepAliveCapabilities.Current.SupportsUserTimeout, "TCP_USER_TIMEOUT replaces the probe count on Linux only");
        var profile = new KeepAliveProfileOptions
        {
            Tcp = { IdleTime = TimeSpan.FromSeconds(30), Interval = TimeSpan.FromSeconds(5), ProbeCount = 4, UserTimeout = TimeSpan.FromMinutes(2) },
            Http = { KeepAlivePingDelay = TimeSpan.FromSeconds(30), KeepAlivePingTimeout = TimeSpan.FromMinutes(1) },
        };

        KeepAliveBudget.PingTimeoutsThatMayMisfire(profile).Should().ContainSingle().Which.Should()
            .StartWith("Http:KeepAlivePingTimeout is 1m, shorter than the 2m the kernel's keep-alive");
    }

    [Fact]
    public void PingTimeoutsThatMayMisfire_KeepCurrentLeavesTheKernelsTimes_WarnsAgainstThemNotTheDefaultsNeverWritten()
    {
        // With UnsetValues KeepCurrent and no times set, a socket keeps the kernel's (2 h idle on a socket nobody configured):
        // a 90 s HTTP/2 ping timeout is what declares a dead peer, though the getters' 30 s + 3 x 10 s = 1 m would say otherwise.
        var profile = new KeepAliveProfileOptions
        {
            Tcp = { UnsetValues = TcpKeepAliveUnsetValues.KeepCurrent },
            Http = { KeepAlivePingDelay = TimeSpan.FromSeconds(30), KeepAlivePingTimeout = TimeSpan.FromSeconds(90) },
        };
        var kernel = KeepAliveCapabilities.Current;
        var deadPeer = kernel.DefaultIdleTime + (kernel.DefaultInterval * (kernel.FixedProbeCount ?? kernel.DefaultProbeCount));

        KeepAliveBudget.PingTimeoutsThatMayMisfire(profile).Should().ContainSingle().Which.Should()
            .StartWith($"Http:KeepAlivePingTimeout is 1m30s, shorter than the {KeepAliveDuration.Format(deadPeer)} the kernel's keep-alive");
    }

    [Fact]
    public void PingTimeoutsThatMayMisfire_TimeoutsAboveTheKernelsDeadPeerTimeOrNoPings_NoWarning()
    {
        var quiet = new KeepAliveProfileOptions();
        var above = new KeepAliveProfileOptions { Http = { KeepAlivePingDelay = TimeSpan.FromSeconds(30), KeepAlivePingTimeout = TimeSpan.FromSeconds(90) }, WebSocket = { KeepAliveInterval = TimeSpan.FromSeconds(30), KeepAliveTimeout = TimeSpan.FromMinutes(2) } };

        KeepAliveBudget.PingTimeoutsThatMayMisfire(quiet).Should().BeEmpty("no pings, no ping timeout");
        KeepAliveBudget.PingTimeoutsThatMayMisfire(above).Should().BeEmpty("the kernel (30 s + 3 x 10 s = 1 m) declares a dead peer first");
    }

    [Fact]
    public async Task Start_WebSocketPingTimeoutThatMayMisfire_LogsOneWarningAtStartUp()
    {
        using var host = TestHosts.Build(Json("""{ "WebSocket": { "KeepAliveInterval": "1s", "KeepAliveTimeout": "5s" } }"""), (services, configuration) =>
        {
            services.AddLogging(logging => logging.AddFakeLogging());
            services.AddKeepAlive(configuration.GetSection("KeepAlive"));
        });

        await host.StartAsync(TestContext.Current.CancellationToken);

        var warning = host.Services.GetFakeLogCollector().GetSnapshot().Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.PingTimeoutMayMisfire).Subject;
        warning.Level.Should().Be(LogLevel.Warning);
        warning.Message.Should().Be("KeepAlive profile 'grpc': WebSocket:KeepAliveTimeout is 5s, shorter than the 1m the kernel's keep-alive (the Tcp section) takes to declare a dead peer: PINGs are timed on the thread pool, so a pool starved for longer than that declares a healthy connection dead and tears it down, before the kernel could tell. Fix: set WebSocket:KeepAliveTimeout above 1m, so the kernel declares dead peers and the PING only keeps the flow alive.");
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    private static string Json(string profile) => $$"""{ "KeepAlive": { "Profiles": { "grpc": {{profile}} } } }""";

    private static ServiceProvider Profiles(Action<KeepAliveProfileOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddKeepAlive("grpc", configure);
        return services.BuildServiceProvider();
    }
}
