using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using KeepAlive.Net.Tests.TestSupport;
using NATS.Client.Core;

namespace KeepAlive.Net.Nats.Tests;

/// <summary>
/// A real nats-server in the lab's server namespace, behind a conntrack NAT that forgets idle flows after 2 s; the
/// client's sockets are created in the client namespace (the package's factory through its socket seam; for the
/// defaults, a plain factory like NATS.Net's own TCP connection).
/// </summary>
[Collection(PoolStarvationGroup.Name)] // UseKeepAlive_IdleFiveNatTimeouts_* starve the process's thread pool for 8 s
public sealed class NatsBehindNatTests(NatsLab fixture) : IClassFixture<NatsLab>
{
    [Fact]
    public async Task Defaults_IdleLongerThanTheNatTimeout_NextPingHangs()
    {
        var (lab, server) = fixture.Server.Start();
        await using var nats = new NatsConnection(Options(server.EndPoint) with { SocketConnectionFactory = new PlainFactory(lab) });
        await nats.PingAsync(TestContext.Current.CancellationToken);

        Thread.Sleep(LabServer.NatIdleTimeout * 2.5);
        var watch = Stopwatch.StartNew();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(8));
        var failure = await Record.ExceptionAsync(async () => await nats.PingAsync(limit.Token));
        watch.Stop();

        NatProfiles.Report($"NATS, defaults, idle 5 s behind the 2 s NAT: next PING {(failure is null ? "answered" : failure.GetType().Name)} after {watch.Elapsed.TotalSeconds:0.0} s (NATS.Net has no PING timeout of its own: its ping timer drops the connection after MaxPingOut 2 x PingInterval 2 min)");
        failure.Should().BeAssignableTo<OperationCanceledException>("the NAT forgot the flow: the PING is dropped and nothing answers");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task UseKeepAlive_IdleFiveNatTimeouts_NextPingAnswersAtOnce(bool starveThePool)
    {
        var (lab, server) = fixture.Server.Start();
        using var profiles = ClientProfiles.InCode("nat", NatProfiles.TcpOnly);
        var options = InNamespace(Options(server.EndPoint).UseKeepAlive(profiles.Profiles, "nat"), lab);
        options.PingInterval.Should().Be(TimeSpan.FromMinutes(2), "the profile sets no heartbeat: NATS.Net's own stays, so only the kernel's probes cross the NAT");
        await using var nats = new NatsConnection(options);
        await nats.PingAsync(TestContext.Current.CancellationToken);

        if (starveThePool)
        {
            NatProfiles.SleepWithThePoolStarved(NatProfiles.FiveNatTimeouts, NatProfiles.FiveNatTimeouts - TimeSpan.FromSeconds(2));
        }
        else
        {
            Thread.Sleep(NatProfiles.FiveNatTimeouts);
        }

        var watch = Stopwatch.StartNew();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(8));
        await nats.PingAsync(limit.Token);
        watch.Stop();

        NatProfiles.Report($"NATS, profile, idle 10 s (pool starved: {starveThePool}): next PING answered in {watch.Elapsed.TotalMilliseconds:0} ms");
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(2), "the kernel's probes kept the NAT's mapping alive");
        nats.ConnectionState.Should().Be(NatsConnectionState.Open);
    }

    [Fact]
    public async Task UseKeepAlive_ServerLinkCut_KernelEndsTheConnectionWithinTheProfileBoundAndTheClientDisconnects()
    {
        var (lab, server) = fixture.Server.Start();
        using var profiles = ClientProfiles.InCode("nat", NatProfiles.TcpOnly);
        var before = ClientSockets.Snapshot(server.EndPoint);
        await using var nats = new NatsConnection(InNamespace(Options(server.EndPoint).UseKeepAlive(profiles.Profiles, "nat"), lab));
        await nats.PingAsync(TestContext.Current.CancellationToken);
        var socket = ClientSockets.SingleNew(server.EndPoint, before);
        var bound = socket.View.GetKeepAlive().DeadPeerDetectionTime!.Value;
        var disconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        nats.ConnectionDisconnected += (_, _) =>
        {
            disconnected.TrySetResult();
            return ValueTask.CompletedTask;
        };

        lab.DropEverything();
        try
        {
            var gone = ClientSockets.WaitUntilGone(socket, bound + TimeSpan.FromSeconds(8));
            var reported = await Task.WhenAny(disconnected.Task, Task.Delay(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken)) == disconnected.Task;

            NatProfiles.Report($"NATS, profile (dead peer bound {bound.TotalSeconds:0.0} s): kernel ended the connection after {gone?.TotalSeconds:0.0} s; ConnectionDisconnected raised: {reported}; state {nats.ConnectionState}");
            gone.Should().NotBeNull($"the profile bounds dead-peer detection at {bound}");
            gone!.Value.Should().BeGreaterThan(bound * 0.5).And.BeLessThan(bound + TimeSpan.FromSeconds(5));
            reported.Should().BeTrue("NATS.Net's reader fails, it raises ConnectionDisconnected and starts reconnecting");
        }
        finally
        {
            lab.RestoreLink();
        }
    }

    [Fact]
    public async Task Defaults_ServerLinkCut_NothingNoticesForLong()
    {
        var (lab, server) = fixture.Server.Start();
        var before = ClientSockets.Snapshot(server.EndPoint);
        await using var nats = new NatsConnection(Options(server.EndPoint) with { SocketConnectionFactory = new PlainFactory(lab) });
        await nats.PingAsync(TestContext.Current.CancellationToken);
        var socket = ClientSockets.SingleNew(server.EndPoint, before);
        var kernel = socket.View.GetKeepAlive();

        lab.DropEverything();
        try
        {
            var gone = ClientSockets.WaitUntilGone(socket, TimeSpan.FromSeconds(12));

            NatProfiles.Report($"NATS, defaults: after 12 s the cut is {(gone is null ? "still unnoticed" : $"noticed at {gone}")}; keep-alive on the socket: {kernel.Enabled}; the ping timer needs MaxPingOut 2 x PingInterval 2 min");
            gone.Should().BeNull("NATS.Net's own TCP connection sets no keep-alive and pings every 2 minutes");
            nats.ConnectionState.Should().Be(NatsConnectionState.Open);
        }
        finally
        {
            lab.RestoreLink();
        }
    }

    [Fact]
    public async Task UseKeepAlive_ReadBackOnTheClientsSocket_MatchesTheProfile()
    {
        var (lab, server) = fixture.Server.Start();
        using var profiles = ClientProfiles.InCode("readback", NatProfiles.ReadBack);
        var before = ClientSockets.Snapshot(server.EndPoint);
        await using var nats = new NatsConnection(InNamespace(Options(server.EndPoint).UseKeepAlive(profiles.Profiles, "readback"), lab));
        await nats.PingAsync(TestContext.Current.CancellationToken);

        NatProfiles.ShouldCarryReadBack(ClientSockets.SingleNew(server.EndPoint, before).View.GetKeepAlive());
        profiles.Messages(KeepAliveEventIds.ClientConnectionConfigured).Should().ContainSingle().Which.Should().Contain("idle 7s");
    }

    private static NatsOpts Options(IPEndPoint server) => NatsOpts.Default with
    {
        Url = $"nats://{server.Address}:{server.Port}",
        ConnectTimeout = ClientTimeouts.Connect,
    };

    // The package's factory creates its socket through a seam; here inside the client namespace.
    private static NatsOpts InNamespace(NatsOpts options, RoutedLab lab)
    {
        var factory = options.SocketConnectionFactory.Should().BeOfType<KeepAliveNatsSocketConnectionFactory>().Subject;
        factory.CreateSocket = () => NoDelay(NetworkNamespace.CreateSocket(lab.Client));
        return options;
    }

    private static Socket NoDelay(Socket socket)
    {
        socket.NoDelay = true;
        return socket;
    }

    /// <summary>What NATS.Net's own TCP connection does (no keep-alive), with the socket in the client namespace.</summary>
    private sealed class PlainFactory(RoutedLab lab) : INatsSocketConnectionFactory
    {
        public async ValueTask<INatsSocketConnection> ConnectAsync(Uri uri, NatsOpts opts, CancellationToken cancellationToken)
        {
            var socket = NoDelay(NetworkNamespace.CreateSocket(lab.Client));
            await socket.ConnectAsync(uri.Host, uri.Port, cancellationToken);
            return new KeepAliveNatsSocketConnection(socket);
        }
    }
}
