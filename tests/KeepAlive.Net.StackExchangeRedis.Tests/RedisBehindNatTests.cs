using System.Diagnostics;
using System.Net;
using KeepAlive.Net.Tests.TestSupport;
using StackExchange.Redis;

namespace KeepAlive.Net.StackExchangeRedis.Tests;

/// <summary>
/// A real redis-server in the lab's server namespace, behind a conntrack NAT that forgets idle flows after 2 s; the
/// client in the client namespace (its sockets are created by <c>Connect()</c> on a thread that entered it).
/// </summary>
[Collection(PoolStarvationGroup.Name)] // UseKeepAlive_IdleFiveNatTimeouts_* starve the process's thread pool for 8 s
public sealed class RedisBehindNatTests(RedisLab fixture) : IClassFixture<RedisLab>
{
    [Fact]
    public void Defaults_IdleLongerThanTheNatTimeout_NextCommandHangsUntilTheClientsTimeout()
    {
        var (lab, server) = fixture.Server.Start();
        using var redis = Connect(lab, Options(server.EndPoint));
        var db = redis.GetDatabase();
        db.Ping();

        Thread.Sleep(LabServer.NatIdleTimeout * 2.5);
        var watch = Stopwatch.StartNew();
        var failure = Record.Exception(() => db.Ping());
        watch.Stop();

        NatProfiles.Report($"Redis, defaults, idle 5 s behind the 2 s NAT: next PING {(failure is null ? "answered" : failure.GetType().Name)} after {watch.Elapsed.TotalSeconds:0.0} s");
        failure.Should().BeOfType<RedisTimeoutException>("the NAT forgot the flow: the PING is dropped and the client waits for its own SyncTimeout (5 s)");
        watch.Elapsed.Should().BeGreaterThan(TimeSpan.FromSeconds(3), "the command hangs until the client's timeout; it does not fail fast");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void UseKeepAlive_IdleFiveNatTimeouts_NextCommandAnswersAtOnce(bool starveThePool)
    {
        var (lab, server) = fixture.Server.Start();
        using var profiles = ClientProfiles.InCode("nat", NatProfiles.TcpOnly);
        var before = ClientSockets.Snapshot(server.EndPoint);
        using var redis = Connect(lab, Options(server.EndPoint).UseKeepAlive(profiles.Profiles, "nat"));
        var db = redis.GetDatabase();
        db.Ping();
        var sockets = ClientSockets.NewSince(server.EndPoint, before);
        sockets.Should().NotBeEmpty();

        if (starveThePool)
        {
            NatProfiles.SleepWithThePoolStarved(NatProfiles.FiveNatTimeouts, NatProfiles.FiveNatTimeouts - TimeSpan.FromSeconds(2));
        }
        else
        {
            Thread.Sleep(NatProfiles.FiveNatTimeouts);
        }

        var watch = Stopwatch.StartNew();
        var latency = db.Ping();
        watch.Stop();

        NatProfiles.Report($"Redis, profile, idle 10 s (pool starved: {starveThePool}): next PING answered in {watch.Elapsed.TotalMilliseconds:0} ms");
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(2), "the kernel's probes kept the NAT's mapping alive; the client's own PING (every 60 s) never ran");
        latency.Should().BeLessThan(TimeSpan.FromSeconds(2));
        sockets.Should().OnlyContain(s => ClientSockets.IsEstablished(s), "the same connections answered: none was lost and reopened");
    }

    [Fact]
    public void UseKeepAlive_ServerLinkCut_KernelEndsTheConnectionWithinTheProfileBoundAndRedisReportsIt()
    {
        var (lab, server) = fixture.Server.Start();
        using var profiles = ClientProfiles.InCode("nat", NatProfiles.TcpOnly);
        var before = ClientSockets.Snapshot(server.EndPoint);
        using var redis = Connect(lab, Options(server.EndPoint).UseKeepAlive(profiles.Profiles, "nat"));
        redis.GetDatabase().Ping();
        var socket = ClientSockets.NewSince(server.EndPoint, before)[0];
        var bound = socket.View.GetKeepAlive().DeadPeerDetectionTime!.Value;
        using var failed = new ManualResetEventSlim();
        ConnectionFailureType? failure = null;
        redis.ConnectionFailed += (_, e) =>
        {
            failure ??= e.FailureType;
            failed.Set();
        };

        lab.DropEverything();
        try
        {
            var gone = ClientSockets.WaitUntilGone(socket, bound + TimeSpan.FromSeconds(8));
            var reported = failed.Wait(TimeSpan.FromSeconds(10));

            NatProfiles.Report($"Redis, profile (dead peer bound {bound.TotalSeconds:0.0} s): kernel ended the connection after {gone?.TotalSeconds:0.0} s; ConnectionFailed raised: {reported} ({failure})");
            gone.Should().NotBeNull($"the profile bounds dead-peer detection at {bound}");
            gone!.Value.Should().BeGreaterThan(bound * 0.5).And.BeLessThan(bound + TimeSpan.FromSeconds(5));
            reported.Should().BeTrue("StackExchange.Redis sees the socket fail, raises ConnectionFailed and starts reconnecting");
            failure.Should().BeOneOf(ConnectionFailureType.SocketFailure, ConnectionFailureType.SocketClosed);
        }
        finally
        {
            lab.RestoreLink();
        }
    }

    [Fact]
    public void Defaults_ServerLinkCut_NothingNoticesForLong()
    {
        var (lab, server) = fixture.Server.Start();
        var before = ClientSockets.Snapshot(server.EndPoint);
        using var redis = Connect(lab, Options(server.EndPoint));
        redis.GetDatabase().Ping();
        var socket = ClientSockets.NewSince(server.EndPoint, before)[0];
        var kernel = socket.View.GetKeepAlive();
        var failed = false;
        redis.ConnectionFailed += (_, _) => failed = true;

        lab.DropEverything();
        try
        {
            var gone = ClientSockets.WaitUntilGone(socket, TimeSpan.FromSeconds(12));

            NatProfiles.Report($"Redis, defaults: after 12 s the cut is {(gone is null ? "still unnoticed" : $"noticed at {gone}")}; the kernel's own bound is {kernel.DeadPeerDetectionTime} (idle {kernel.IdleTime}, {kernel.ProbeCount} x {kernel.Interval}), Redis PINGs an idle connection only every 60 s");
            gone.Should().BeNull("with the kernel's defaults a dead idle peer is found after hours");
            failed.Should().BeFalse();
        }
        finally
        {
            lab.RestoreLink();
        }
    }

    [Fact]
    public void UseKeepAlive_ReadBackOnTheClientsSockets_MatchesTheProfile()
    {
        var (lab, server) = fixture.Server.Start();
        using var profiles = ClientProfiles.InCode("readback", NatProfiles.ReadBack);
        var before = ClientSockets.Snapshot(server.EndPoint);
        using var redis = Connect(lab, Options(server.EndPoint).UseKeepAlive(profiles.Profiles, "readback"));
        redis.GetDatabase().Ping();

        var sockets = ClientSockets.NewSince(server.EndPoint, before);
        sockets.Should().NotBeEmpty();
        foreach (var socket in sockets)
        {
            NatProfiles.ShouldCarryReadBack(socket.View.GetKeepAlive());
        }

        profiles.Messages(KeepAliveEventIds.ClientConnectionConfigured).Should().Contain(m => m.Contains($"{server.EndPoint}", StringComparison.Ordinal) && m.Contains("idle 7s", StringComparison.Ordinal));
    }

    private static ConfigurationOptions Options(IPEndPoint server) => new()
    {
        EndPoints = { server },
        AbortOnConnectFail = true,
        ConnectTimeout = ClientTimeouts.ConnectMs,
        SyncTimeout = 5000,
    };

    private static ConnectionMultiplexer Connect(RoutedLab lab, ConfigurationOptions options) =>
        NetworkNamespace.RunInside(lab.Client, () => ConnectionMultiplexer.Connect(options));
}
