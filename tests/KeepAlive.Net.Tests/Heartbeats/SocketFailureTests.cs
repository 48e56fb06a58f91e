using System.Net.Sockets;
using KeepAlive.Net.Tests.TestSupport;

namespace KeepAlive.Net.Tests.Heartbeats;

/// <summary>Real sockets: a send that fails for good ends the registration once; a bad socket is refused up front.</summary>
public sealed class SocketFailureTests
{
    private static readonly byte[] Payload = "PING\r\n"u8.ToArray();

    [Fact]
    public async Task RegisterSocket_PeerResetsTheConnection_PeerDeadOnceAndNoMoreSends()
    {
        using var pair = LoopbackConnection.Open();
        using var telemetry = new TestTelemetry();
        await using var scheduler = new HeartbeatScheduler(null, telemetry, telemetry);
        var deaths = new List<PeerDeadEventArgs>();
        using var registration = scheduler.RegisterSocket(pair.Client, Payload, Options("reset"));
        registration.PeerDead += (_, e) => { lock (deaths) { deaths.Add(e); } };
        SpinWait.SpinUntil(() => registration.GetStatistics().Sent >= 2, TimeSpan.FromSeconds(5)).Should().BeTrue();

        pair.Server.LingerState = new LingerOption(true, 0);
        pair.Server.Close(); // RST

        SpinWait.SpinUntil(() => registration.GetStatistics().PeerDead, TimeSpan.FromSeconds(5)).Should().BeTrue("a reset connection is dead for good");
        var attempts = registration.GetStatistics().Sent + registration.GetStatistics().Failed;
        await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken); // ten more intervals

        (registration.GetStatistics().Sent + registration.GetStatistics().Failed).Should().Be(attempts, "the registration stopped sending");
        lock (deaths)
        {
            deaths.Should().ContainSingle().Which.Reason.Should().Contain("for good").And.Contain("SocketException");
        }

        telemetry.LogsWithId(KeepAliveEventIds.PeerDead).Should().ContainSingle();
        telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendFailed).Count.Should().BeLessThanOrEqualTo(2, "no warning with a stack trace every interval, forever");
    }

    [Fact]
    public async Task RegisterSocket_SocketDisposedUnderIt_PeerDeadOnceWithTheReason()
    {
        using var pair = LoopbackConnection.Open();
        using var telemetry = new TestTelemetry();
        await using var scheduler = new HeartbeatScheduler(null, telemetry, telemetry);
        using var registration = scheduler.RegisterSocket(pair.Client, Payload, Options("disposed"));
        SpinWait.SpinUntil(() => registration.GetStatistics().Sent >= 1, TimeSpan.FromSeconds(5)).Should().BeTrue();

        pair.Client.Dispose();

        SpinWait.SpinUntil(() => registration.GetStatistics().PeerDead, TimeSpan.FromSeconds(5)).Should().BeTrue();
        await Task.Delay(TimeSpan.FromMilliseconds(500), TestContext.Current.CancellationToken);
        registration.GetStatistics().Failed.Should().Be(1);
        telemetry.LogsWithId(KeepAliveEventIds.PeerDead).Should().ContainSingle().Which.Message.Should().Contain("ObjectDisposedException");
        telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendFailed).Should().BeEmpty("the failure ended the registration: 2008 reports it, not 2005's 'tries again'");
    }

    [Fact]
    public async Task RegisterSocket_KernelTimesTheConnectionOut_PeerDeadAtTheFirstFailedHeartbeat()
    {
        // The peer stops reading and its window closes; the profile's TCP_USER_TIMEOUT makes the kernel abort the connection.
        // Every send on it fails from then on: the first with ETIMEDOUT (SocketError.TimedOut), the next with EPIPE.
        TestEnvironment.Require(OperatingSystem.IsLinux(), "TCP_USER_TIMEOUT on zero-window probes is Linux's");
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { SendBufferSize = 4096 };
        await client.ConnectAsync(listener.LocalEndPoint!, TestContext.Current.CancellationToken);
        using var server = await listener.AcceptAsync(TestContext.Current.CancellationToken); // never reads
        client.ConfigureKeepAlive(new TcpKeepAliveOptions { UserTimeout = TimeSpan.FromSeconds(1) });
        client.Blocking = false;
        var filler = new byte[1024];
        for (var full = 0; full < 3; full++)
        {
            while (client.Send(filler, SocketFlags.None, out var error) > 0 && error == SocketError.Success)
            {
            }

            await Task.Delay(100, TestContext.Current.CancellationToken); // until the peer's window is closed too
        }

        client.Blocking = true;
        using var telemetry = new TestTelemetry();
        await using var scheduler = new HeartbeatScheduler(null, telemetry, telemetry);
        var options = Options("timed-out");
        options.Interval = TimeSpan.FromSeconds(5);
        using var registration = scheduler.RegisterSocket(client, Payload, options);
        var deaths = new List<PeerDeadEventArgs>();
        registration.PeerDead += (_, e) => { lock (deaths) { deaths.Add(e); } };

        SpinWait.SpinUntil(() => registration.GetStatistics() is { PeerDead: true } or { Failed: > 0 }, TimeSpan.FromSeconds(60)).Should().BeTrue("the kernel aborts the connection within seconds");
        await Task.Delay(TimeSpan.FromMilliseconds(500), TestContext.Current.CancellationToken);

        registration.GetStatistics().Should().Match<HeartbeatStatistics>(s => s.PeerDead && s.Failed == 1, "a connection the kernel timed out is gone for good: its first failed heartbeat ends it, not the next one an interval later");
        telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendFailed).Should().BeEmpty("nothing is tried again on a connection the kernel closed");
        lock (deaths)
        {
            deaths.Should().ContainSingle().Which.Reason.Should().Contain("for good");
        }
    }

    [Fact]
    public void RegisterSocket_UdpSocket_RefusedNamingTheFix()
    {
        using var scheduler = new HeartbeatScheduler();
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

        var act = () => scheduler.RegisterSocket(udp, Payload, Options("udp"));

        act.Should().Throw<ArgumentException>().WithMessage("*Dgram*Udp*stream (TCP)*Fix:*");
        scheduler.RegistrationCount.Should().Be(0);
    }

    [Fact]
    public void RegisterSocket_UnconnectedSocket_RefusedNamingTheFix()
    {
        using var scheduler = new HeartbeatScheduler();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

        var act = () => scheduler.RegisterSocket(socket, Payload, Options("unconnected"));

        act.Should().Throw<ArgumentException>().WithMessage("*not connected*Fix: register the heartbeat after ConnectAsync*");
    }

    [Theory]
    [InlineData(SocketShutdown.Send)]
    [InlineData(SocketShutdown.Both)]
    public void RegisterSocket_SocketShutDown_RefusedSayingSoNotNotYetConnected(SocketShutdown how)
    {
        using var scheduler = new HeartbeatScheduler();
        using var pair = LoopbackConnection.Open();
        pair.Client.Shutdown(how);

        var act = () => scheduler.RegisterSocket(pair.Client, Payload, Options("shut"));

        act.Should().Throw<ArgumentException>().WithMessage("*was shut down (Socket.Shutdown)*Fix: register the heartbeat while the connection is open*")
            .Which.Message.Should().NotContain("yet", "the connection has ended; it is not a socket still to connect");
        scheduler.RegistrationCount.Should().Be(0);
    }

    [Fact]
    public async Task RegisterSocket_ConnectStillInProgress_RefusedAsNotConnectedYetNotAsShutDown()
    {
        // A ConnectAsync not awaited yet: the connect is in progress (TCP state SYN_SENT), and the refusal said the socket
        // "was shut down (Socket.Shutdown)" and could never send, with a fix about shutting down, instead of "register
        // after ConnectAsync completes".
        var ct = TestContext.Current.CancellationToken;
        using var scheduler = new HeartbeatScheduler();
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        listener.Listen(0);
        using var first = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await first.ConnectAsync(listener.LocalEndPoint!, ct); // fills the accept queue: the next connect's SYN is dropped
        using var connecting = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var connect = connecting.ConnectAsync(listener.LocalEndPoint!, ct).AsTask();
        await Task.Delay(100, ct);
        TestEnvironment.Require(!connect.IsCompleted, "a connect to a listener whose accept queue is full stays in progress (Linux drops its SYN)");

        var act = () => scheduler.RegisterSocket(connecting, Payload, Options("connecting"));

        act.Should().Throw<ArgumentException>().WithMessage("The socket is not connected*Fix: register the heartbeat after ConnectAsync completes*")
            .Which.Message.Should().NotContain("Socket.Shutdown", "nothing shut the socket down: its connect has not completed");
        scheduler.RegistrationCount.Should().Be(0);
    }

    [Fact]
    public void RegisterSocket_SocketShutDownForReceivingOnly_RefusedWithoutClaimingItCannotSendAndNamingTheOrderThatWorks()
    {
        // Shutdown(SocketShutdown.Receive) leaves the sending side open (a send still works), but the refusal said "a
        // heartbeat on it could never be sent". A socket registered first keeps its heartbeat through that shutdown.
        using var scheduler = new HeartbeatScheduler();
        using var pair = LoopbackConnection.Open();
        pair.Client.Shutdown(SocketShutdown.Receive);

        var act = () => scheduler.RegisterSocket(pair.Client, Payload, Options("half"));

        var refusal = act.Should().Throw<ArgumentException>().Which;
        refusal.Message.Should().NotContain("could never be sent", "the socket can still send");
        if (OperatingSystem.IsLinux())
        {
            refusal.Message.Should().Match("The socket was shut down for receiving (SocketShutdown.Receive): it can still send*Fix: register the heartbeat before shutting the receiving side down*");
        }

        scheduler.RegistrationCount.Should().Be(0);
        pair.Client.Send(Payload).Should().Be(Payload.Length, "what the message says: the socket still sends");
    }

    [Fact]
    public void RegisterSocket_ListeningSocket_RefusedNamingTheFix()
    {
        using var scheduler = new HeartbeatScheduler();
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        listener.Listen(1);

        var act = () => scheduler.RegisterSocket(listener, Payload, Options("listener"));

        act.Should().Throw<ArgumentException>().WithMessage("*listening*accepted socket*");
    }

    [Fact]
    public void RegisterSocket_DisposedSocketOrClient_ObjectDisposed()
    {
        using var scheduler = new HeartbeatScheduler();
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Dispose();
        var client = new TcpClient();
        client.Dispose();

        // Named as the runtime names the socket, and as ConfigureKeepAlive does: a catch by ObjectName that works for a
        // Send on the disposed socket (ObjectName "System.Net.Sockets.Socket") missed the heartbeat's ("Socket").
        var runtimes = socket.Invoking(s => s.Send(Payload)).Should().Throw<ObjectDisposedException>().Which.ObjectName;
        ((Action)(() => scheduler.RegisterSocket(socket, Payload, Options("disposed")))).Should().Throw<ObjectDisposedException>().WithMessage("*disposed*Fix:*")
            .Which.ObjectName.Should().Be(runtimes).And.Be(socket.Invoking(s => s.GetKeepAlive()).Should().Throw<ObjectDisposedException>().Which.ObjectName);
        ((Action)(() => scheduler.RegisterSocket(client, Payload, Options("client")))).Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public void RegisterSocketAndKeepAlive_DisposedTcpClient_RefusedWithOneMessageNamingTheClientAsTheRuntimeDoes()
    {
        // .NET's own TcpClient names itself by its type's full name when disposed ("System.Net.Sockets.TcpClient"); RegisterSocket
        // and ConfigureKeepAlive/GetKeepAlive said "TcpClient", each with its own message, so a catch by ObjectName that works for
        // the client's own calls missed theirs.
        using var scheduler = new HeartbeatScheduler();
        var client = new TcpClient();
        client.Dispose();
        var runtimes = client.Invoking(c => c.GetStream()).Should().Throw<ObjectDisposedException>().Which.ObjectName;

        var refusals = new[]
        {
            ((Action)(() => scheduler.RegisterSocket(client, Payload, Options("client")))).Should().Throw<ObjectDisposedException>().Which,
            client.Invoking(c => c.ConfigureKeepAlive(new TcpKeepAliveOptions())).Should().Throw<ObjectDisposedException>().Which,
            client.Invoking(c => c.GetKeepAlive()).Should().Throw<ObjectDisposedException>().Which,
        };

        refusals.Should().AllSatisfy(e => e.ObjectName.Should().Be(runtimes, "the refused object is named as the runtime names it"));
        refusals.Select(static e => e.Message).Distinct().Should().ContainSingle("one rule refuses a disposed TcpClient, with one message")
            .Which.Should().Match("The TcpClient is disposed*Fix:*");
    }

    [Fact]
    public async Task RegisterSocket_ConnectedTcpClient_PeerReceivesHeartbeats()
    {
        using var pair = LoopbackConnection.Open();
        using var client = new TcpClient { Client = pair.Client };
        await using var scheduler = new HeartbeatScheduler();

        using var registration = scheduler.RegisterSocket(client, Payload, Options("tcpclient"));

        var buffer = new byte[Payload.Length];
        pair.Server.ReceiveTimeout = 5000;
        pair.Server.Receive(buffer).Should().Be(Payload.Length);
        buffer.Should().Equal(Payload);
    }

    private static HeartbeatOptions Options(string name) => new()
    {
        Mode = HeartbeatMode.FixedRate,
        Interval = TimeSpan.FromMilliseconds(100),
        Name = name,
    };
}
