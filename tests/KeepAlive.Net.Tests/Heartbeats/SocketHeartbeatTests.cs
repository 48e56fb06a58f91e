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
            SpinWait.SpinUntil(() => telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendFailed).Count > 0, TimeSpan.FromSeconds(10)).Should().BeTrue("Dispose cancels the pending send");
            registration.GetStatistics().Failed.Should().Be(1);
            telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendFailed).Should().ContainSingle().Which.Exception.Should().BeAssignableTo<OperationCanceledException>();
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
