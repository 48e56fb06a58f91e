using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using KeepAlive.Net.Tests.TestSupport;

namespace KeepAlive.Net.Tests.Wire;

/// <summary>
/// Keep-alive between two hosts in network namespaces, as root: the kernel gives up on a dead peer within
/// its bound, TCP_USER_TIMEOUT bounds data in flight where keep-alive cannot, and probes really cross the wire.
/// </summary>
[Collection(WireCollection.Name)]
public sealed class KeepAliveOnTheWireTests(ITestOutputHelper output)
{
    private static readonly TcpKeepAliveOptions FastProbes = new()
    {
        IdleTime = TimeSpan.FromSeconds(1),
        Interval = TimeSpan.FromSeconds(1),
        ProbeCount = 3,
    };

    private static readonly TimeSpan DetectionTime = TimeSpan.FromSeconds(4);

    [Fact]
    public void KernelDefaults_TunedByTheHostsSysctls_AreTheOnesASocketNobodyConfiguredHas()
    {
        // A host whose sysctls are tuned (net.ipv4.tcp_keepalive_time 600 is common on Kubernetes nodes) gives every socket
        // nobody configured 10m, not Linux's compiled-in 2h. KeepAliveCapabilities.Current said 2h, 75s and 9 all the same, so
        // GetDeadPeerDetectionTime with UnsetValues = KeepCurrent said 2h3m45s where the kernel drops the peer after 10m45s.
        using var lab = NetworkLab.Create();
        foreach (var (name, value) in new[] { ("tcp_keepalive_time", "600"), ("tcp_keepalive_intvl", "15"), ("tcp_keepalive_probes", "4") })
        {
            NetworkNamespace.Run("ip", "netns", "exec", lab.ClientNamespace, "sh", "-c", $"echo {value} > /proc/sys/net/ipv4/{name}").ExitCode.Should().Be(0);
        }

        var options = new TcpKeepAliveOptions { UnsetValues = TcpKeepAliveUnsetValues.KeepCurrent, ProbeCount = 3 };
        var (capabilities, untouched, configured) = NetworkNamespace.RunInside(lab.ClientNamespace, () =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            var untouched = socket.GetKeepAlive();
            return (KeepAliveCapabilities.Detect(), untouched, socket.ConfigureKeepAlive(options));
        });

        untouched.Should().BeEquivalentTo(new { IdleTime = TimeSpan.FromSeconds(600), Interval = TimeSpan.FromSeconds(15), ProbeCount = 4 }, "the namespace's sysctls are in force");
        capabilities.Should().BeEquivalentTo(new { DefaultIdleTime = untouched.IdleTime, DefaultInterval = untouched.Interval, DefaultProbeCount = untouched.ProbeCount },
            "the defaults are what a socket nobody configured has");
        options.GetDeadPeerDetectionTime(capabilities).Should().Be(configured.DeadPeerDetectionTime!.Value).And.Be(TimeSpan.FromSeconds(645));
    }

    [Fact]
    public async Task DeadPeer_IdleConnection_ReceiveTimesOutWithinIdlePlusProbes()
    {
        var (settings, failure, elapsed) = await CutIdlePeerAsync(FastProbes);
        settings.DeadPeerDetectionTime.Should().Be(DetectionTime);

        failure.Should().Be(SocketError.TimedOut);
        elapsed.Should().BeGreaterThan(DetectionTime - TimeSpan.FromMilliseconds(300), "the kernel must send all probes first");
        elapsed.Should().BeLessThan(DetectionTime + TimeSpan.FromSeconds(6), "idle + interval x count plus a generous margin");
    }

    [Fact]
    public async Task DeadPeer_IdleWithUserTimeoutAboveProbes_KernelWaitsForUserTimeoutAndReportSaysSo()
    {
        var userTimeout = TimeSpan.FromSeconds(10);
        var options = new TcpKeepAliveOptions { IdleTime = TimeSpan.FromSeconds(1), Interval = TimeSpan.FromSeconds(1), ProbeCount = 2, UserTimeout = userTimeout };

        var (settings, failure, elapsed) = await CutIdlePeerAsync(options);

        settings.DeadPeerDetectionTime.Should().Be(userTimeout, "Linux does not count probes when TCP_USER_TIMEOUT is set");
        settings.GetReport(KeepAliveOption.ProbeCount)!.Status.Should().Be(KeepAliveOptionStatus.Overridden);
        failure.Should().Be(SocketError.TimedOut);
        elapsed.Should().BeGreaterThan(userTimeout - TimeSpan.FromMilliseconds(300), "2 probes (3 s) do not end the connection: the user timeout does");
        elapsed.Should().BeLessThan(userTimeout + TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task DeadPeer_DataInFlight_UserTimeoutBoundsItAndKeepAliveAloneDoesNot()
    {
        using var lab = NetworkLab.Create();
        using var listener = lab.Listen();
        using var bounded = lab.CreateSocket(lab.ClientNamespace);
        using var unbounded = lab.CreateSocket(lab.ClientNamespace);
        var userTimeout = TimeSpan.FromSeconds(3);
        bounded.ConfigureKeepAlive(new TcpKeepAliveOptions { IdleTime = FastProbes.IdleTime, Interval = FastProbes.Interval, ProbeCount = 3, UserTimeout = userTimeout })
            .UserTimeout.Should().Be(userTimeout);
        unbounded.ConfigureKeepAlive(new TcpKeepAliveOptions { IdleTime = FastProbes.IdleTime, Interval = FastProbes.Interval, ProbeCount = 3, UserTimeout = TcpKeepAliveOptions.OsDefaultUserTimeout })
            .UserTimeout.Should().Be(TimeSpan.Zero);
        using var boundedServer = await ConnectAsync(bounded, listener);
        using var unboundedServer = await ConnectAsync(unbounded, listener);
        await ExchangeAsync(bounded, boundedServer);
        await ExchangeAsync(unbounded, unboundedServer);

        lab.CutServerLink();
        var sent = Stopwatch.StartNew();
        (await bounded.SendAsync(new byte[100], SocketFlags.None)).Should().Be(100, "the kernel queues the data and retransmits it");
        (await unbounded.SendAsync(new byte[100], SocketFlags.None)).Should().Be(100);
        var boundedReceive = bounded.ReceiveAsync(new byte[16], SocketFlags.None);
        var unboundedReceive = unbounded.ReceiveAsync(new byte[16], SocketFlags.None);

        var failure = await CatchSocketErrorAsync(boundedReceive, TimeSpan.FromSeconds(30));
        var boundedElapsed = sent.Elapsed;
        output.WriteLine($"with TCP_USER_TIMEOUT 3 s: {failure} after {boundedElapsed.TotalSeconds:F2} s");
        failure.Should().Be(SocketError.TimedOut);
        boundedElapsed.Should().BeGreaterThan(userTimeout - TimeSpan.FromMilliseconds(300));
        boundedElapsed.Should().BeLessThan(userTimeout + TimeSpan.FromSeconds(5));

        var wellAfter = (DetectionTime * 2.5) - sent.Elapsed;
        if (wellAfter > TimeSpan.Zero)
        {
            await Task.Delay(wellAfter);
        }

        var info = TcpInfo.Read(unbounded);
        output.WriteLine($"keep-alive alone, {sent.Elapsed.TotalSeconds:F1} s after the send: state {info.State}, unacked {info.Unacked}, retransmits {info.Retransmits}");
        unboundedReceive.IsCompleted.Should().BeFalse("keep-alive does nothing while data is in flight, so nothing ends this connection yet");
        info.State.Should().Be(TcpInfo.Established);
        info.Unacked.Should().BePositive("the data is still unacknowledged and being retransmitted");
    }

    [Fact]
    public async Task LinkUp_IdleConnection_ServerSeesProbesAtTheConfiguredCadenceAndConnectionSurvives()
    {
        using var lab = NetworkLab.Create();
        TestEnvironment.Require(File.Exists("/usr/bin/tcpdump") || File.Exists("/usr/sbin/tcpdump"), "tcpdump is missing: apt-get install tcpdump");
        using var listener = lab.Listen();
        using var capture = lab.StartInNamespace(lab.ServerNamespace, "tcpdump", "-i", "s0", "-nn", "-tt", "-x", "-l", "-U", "tcp port " + NetworkLab.ServerPort);
        var captured = capture.StandardOutput.ReadToEndAsync();
        await WaitForListeningAsync(capture);
        using var client = lab.CreateSocket(lab.ClientNamespace);
        client.ConfigureKeepAlive(FastProbes);
        using var server = await ConnectAsync(client, listener);
        await ExchangeAsync(client, server);

        var idle = FastProbes.IdleTime * 5.5;
        await Task.Delay(idle);
        await ExchangeAsync(client, server);
        await Task.Delay(200);
        using (var stop = Process.Start("kill", ["-INT", capture.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await stop.WaitForExitAsync();
        }

        await capture.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var segments = TcpSegment.ParseTcpdump(await captured);
        var probes = KeepAliveProbes(segments).ToList();
        output.WriteLine($"{segments.Count} segments captured on the server's link, {probes.Count} keep-alive probes at {string.Join(", ", probes.Select(p => p.Time.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)))}");

        probes.Should().HaveCountGreaterThanOrEqualTo(4, "an idle connection of 5.5 s with a 1 s idle time gets a probe about every second");
        probes.Should().HaveCountLessThanOrEqualTo(7);
        var gaps = probes.Zip(probes.Skip(1), (a, b) => b.Time - a.Time).ToList();
        gaps.Should().OnlyContain(gap => gap > 0.8 && gap < 2.0, "answered probes repeat every IdleTime");
        probes.Should().OnlyContain(p => p.PayloadLength <= 1);
    }

    /// <summary>
    /// Client segments whose sequence number is one below what the server has acknowledged (SEG.SEQ = SND.NXT - 1)
    /// with at most one byte: the signature of a keep-alive probe.
    /// </summary>
    private static IEnumerable<TcpSegment> KeepAliveProbes(List<TcpSegment> segments)
    {
        uint? serverAck = null;
        foreach (var segment in segments)
        {
            if (segment.SourcePort == NetworkLab.ServerPort)
            {
                serverAck = segment.Acknowledgment;
            }
            else if (serverAck is { } ack && segment.Sequence == unchecked(ack - 1) && segment.PayloadLength <= 1)
            {
                yield return segment;
            }
        }
    }

    private static async Task WaitForListeningAsync(Process capture)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            var line = await capture.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
            if (line is null || line.Contains("listening on", StringComparison.Ordinal))
            {
                return;
            }
        }
    }

    /// <summary>Configures a client, lets the connection go idle, cuts the server's link and times the kernel's verdict.</summary>
    private async Task<(KeepAliveSettings Settings, SocketError? Failure, TimeSpan Elapsed)> CutIdlePeerAsync(TcpKeepAliveOptions options)
    {
        using var lab = NetworkLab.Create();
        using var listener = lab.Listen();
        using var client = lab.CreateSocket(lab.ClientNamespace);
        var settings = client.ConfigureKeepAlive(options);
        using var server = await ConnectAsync(client, listener);
        await ExchangeAsync(client, server);
        var lastActivity = Stopwatch.StartNew();

        var pending = client.ReceiveAsync(new byte[16], SocketFlags.None);
        lab.CutServerLink();
        var failure = await CatchSocketErrorAsync(pending, TimeSpan.FromSeconds(40));
        var elapsed = lastActivity.Elapsed;
        output.WriteLine($"receive failed with {failure} after {elapsed.TotalSeconds:F2} s; the report says a dead idle peer is found after {settings.DeadPeerDetectionTime?.TotalSeconds} s");
        return (settings, failure, elapsed);
    }

    private static async Task<Socket> ConnectAsync(Socket client, Socket listener)
    {
        var accept = listener.AcceptAsync();
        await client.ConnectAsync(new IPEndPoint(NetworkLab.ServerAddress, NetworkLab.ServerPort)).WaitAsync(TimeSpan.FromSeconds(10));
        return await accept.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static async Task ExchangeAsync(Socket client, Socket server)
    {
        var buffer = new byte[4];
        await client.SendAsync("ping"u8.ToArray(), SocketFlags.None);
        (await server.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(10))).Should().Be(4);
        await server.SendAsync("pong"u8.ToArray(), SocketFlags.None);
        (await client.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(10))).Should().Be(4);
    }

    private static async Task<SocketError?> CatchSocketErrorAsync(Task<int> receive, TimeSpan limit)
    {
        try
        {
            var received = await receive.WaitAsync(limit);
            Assert.Fail($"the receive completed with {received} bytes instead of failing");
            return null;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode;
        }
    }
}
