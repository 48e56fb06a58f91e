using System.Net;
using System.Net.Sockets;

namespace KeepAlive.Net.Tests.Heartbeats;

/// <summary>Real sockets on 127.0.0.1.</summary>
public sealed class SocketHeartbeatTests
{
    [Fact]
    public async Task RegisterSocket_ConnectedPeer_PeerReceivesPayloadEachInterval()
    {
        var (client, server) = ConnectPair();
        using (client)
        using (server)
        {
            await using var scheduler = new HeartbeatScheduler();
            using var registration = scheduler.RegisterSocket(client, "PING\n"u8.ToArray(), new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = TimeSpan.FromMilliseconds(100) });

            var received = new List<byte>();
            var buffer = new byte[64];
            server.ReceiveTimeout = 5000;
            while (received.Count < 15)
            {
                received.AddRange(buffer.AsSpan(0, server.Receive(buffer)).ToArray());
            }

            System.Text.Encoding.ASCII.GetString(received.ToArray()).Should().StartWith("PING\nPING\nPING\n");
            SpinWait.SpinUntil(() => registration.GetStatistics().Sent >= 3, TimeSpan.FromSeconds(5)).Should().BeTrue();
        }
    }

    [Fact]
    public async Task RegisterSocket_PeerStopsReading_SendReportedBlockedAndCancelledOnDispose()
    {
        var (client, server) = ConnectPair();
        using (client)
        using (server)
        {
            client.SendBufferSize = 4096;
            server.ReceiveBufferSize = 4096;
            using var telemetry = new TestTelemetry();
            await using var scheduler = new HeartbeatScheduler(null, telemetry, telemetry);
            var registration = scheduler.RegisterSocket(client, new byte[256 * 1024], new HeartbeatOptions
            {
                Mode = HeartbeatMode.FixedRate,
                Interval = TimeSpan.FromMilliseconds(100),
                BlockedCallbackThreshold = TimeSpan.FromMilliseconds(300),
                Name = "zero-window",
            });

            SpinWait.SpinUntil(() => telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendBlocked).Count > 0, TimeSpan.FromSeconds(10)).Should().BeTrue("a send the peer never drains is reported");
            registration.GetStatistics().Blocked.Should().Be(1);
            telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendBlocked).Should().ContainSingle()
                .Which.Message.Should().Contain("'zero-window'").And.Contain("asynchronous");

            registration.Dispose();
            await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken); // Dispose cancels the pending send at once
            registration.GetStatistics().Failed.Should().Be(0, "a send cancelled because the registration was stopped is not a failure");
            telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendFailed).Should().BeEmpty("there is no next heartbeat to try again at");
        }
    }

    [Fact]
    public void RegisterSocket_FirstHeartbeatsOnSocketsThatNeverSentAsynchronously_KeepNoSendStatePerSocket()
    {
        // Socket.SendAsync(ReadOnlyMemory) caches a SocketAsyncEventArgs on every socket it sends on (361 B measured); the
        // heartbeat's sends share one per scheduler thread instead. Measured on this thread (ManualScheduler runs the
        // heartbeats here), against the first round of as many plain registrations, so the engine's own growth cancels out.
        const int Sockets = 64;
        var pairs = Enumerable.Range(0, Sockets + 1).Select(_ => ConnectPair()).ToArray();
        try
        {
            using var manual = new ManualScheduler();
            var options = new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = ManualScheduler.Second, Spread = TimeSpan.Zero };
            using var warm = manual.Scheduler.RegisterSocket(pairs[0].Client, "P"u8.ToArray(), options);
            long FirstRound(Func<HeartbeatRegistration> register)
            {
                var registrations = Enumerable.Range(0, Sockets).Select(_ => register()).ToArray();
                var before = GC.GetAllocatedBytesForCurrentThread();
                manual.Jump(ManualScheduler.Second).Should().Be(Sockets + 1);
                var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                registrations.Should().OnlyContain(r => r.GetStatistics().Sent == 1 && r.GetStatistics().Failed == 0);
                Array.ForEach(registrations, r => r.Dispose());
                return allocated;
            }

            FirstRound(() => manual.Scheduler.Register(options, _ => default)); // warm-up: the engine grows for 65, the thread makes its send state
            var plain = FirstRound(() => manual.Scheduler.Register(options, _ => default));
            var next = 1;
            var sockets = FirstRound(() => manual.Scheduler.RegisterSocket(pairs[next++].Client, "P"u8.ToArray(), options));

            ((sockets - plain) / (double)Sockets).Should().BeLessThan(32, "a socket's first heartbeat must not leave the framework's send state on it");
            foreach (var (_, server) in pairs.Skip(1))
            {
                server.ReceiveTimeout = 5000;
                server.Receive(new byte[8]).Should().Be(1, "every peer received its heartbeat");
            }
        }
        finally
        {
            foreach (var (client, server) in pairs)
            {
                client.Dispose();
                server.Dispose();
            }
        }
    }

    [Fact]
    public void Create_EmptyPayload_Throws()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var act = () => SocketHeartbeat.Create(socket, ReadOnlyMemory<byte>.Empty);
        act.Should().Throw<ArgumentException>().WithMessage("*payload*");
    }

    private static (Socket Client, Socket Server) ConnectPair()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        return (client, listener.Accept());
    }
}
