using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using KeepAlive.Net.Tests.TestSupport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace KeepAlive.Net.Tests.Tcp;

/// <summary>Every option set on a real loopback socket and read back from the kernel by an independent path.</summary>
public sealed class ConfigureKeepAliveLoopbackTests
{
    private const int IpProtoTcp = 6;
    private const int TcpUserTimeout = 18;

    public ConfigureKeepAliveLoopbackTests() => TestEnvironment.RequireLinux();

    [Fact]
    public void ConfigureKeepAlive_AllOptions_KernelReportsEveryValue()
    {
        using var pair = LoopbackConnection.Open();
        var options = new TcpKeepAliveOptions
        {
            IdleTime = TimeSpan.FromSeconds(17),
            Interval = TimeSpan.FromSeconds(4),
            ProbeCount = 6,
            UserTimeout = TimeSpan.FromMilliseconds(12345),
        };

        var settings = pair.Client.ConfigureKeepAlive(options);

        settings.Should().BeEquivalentTo(new
        {
            Platform = KeepAlivePlatform.Linux,
            Enabled = true,
            IdleTime = TimeSpan.FromSeconds(17),
            Interval = TimeSpan.FromSeconds(4),
            ProbeCount = 6,
            UserTimeout = TimeSpan.FromMilliseconds(12345),
            IsReadBackFromKernel = true,
        });
        settings.Options.Where(o => o.Option != KeepAliveOption.ProbeCount).Should().OnlyContain(o => o.Status == KeepAliveOptionStatus.Applied);
        settings.GetReport(KeepAliveOption.ProbeCount)!.Status.Should().Be(KeepAliveOptionStatus.Overridden, "a 12.345 s user timeout ends an idle connection at the first probe after it (21 s), not after 6 probes (41 s)");
        settings.DeadPeerDetectionTime.Should().Be(TimeSpan.FromSeconds(21));

        // Read through .NET's own option mapping and raw getsockopt, not through our backend.
        ((int)pair.Client.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)!).Should().NotBe(0);
        pair.Client.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime).Should().Be(17);
        pair.Client.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval).Should().Be(4);
        pair.Client.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount).Should().Be(6);
        RawUserTimeoutMs(pair.Client).Should().Be(12345);
        pair.AssertCarriesDataBothWays();
    }

    [Fact]
    public void GetKeepAlive_UntouchedSocket_ReportsKernelDefaults()
    {
        using var pair = LoopbackConnection.Open();

        var settings = pair.Client.GetKeepAlive();

        settings.Enabled.Should().BeFalse("sockets start with SO_KEEPALIVE off");
        settings.IdleTime.Should().Be(TimeSpan.FromSeconds(ReadSysctl("tcp_keepalive_time")));
        settings.Interval.Should().Be(TimeSpan.FromSeconds(ReadSysctl("tcp_keepalive_intvl")));
        settings.ProbeCount.Should().Be(ReadSysctl("tcp_keepalive_probes"));
        settings.UserTimeout.Should().Be(TimeSpan.Zero, "TCP_USER_TIMEOUT 0 is the kernel default");
        settings.IsReadBackFromKernel.Should().BeTrue();
        settings.Options.Should().OnlyContain(o => o.Status == KeepAliveOptionStatus.NotChanged && o.Requested == null);
    }

    [Fact]
    public void ConfigureKeepAlive_Defaults_BeatTheShortestMiddleboxAndDeriveUserTimeout()
    {
        using var pair = LoopbackConnection.Open();

        var settings = pair.Client.ConfigureKeepAlive(new TcpKeepAliveOptions());

        settings.IdleTime.Should().Be(TimeSpan.FromSeconds(30)).And.BeLessThan(TimeSpan.FromSeconds(60), "AWS ALB forgets idle flows after 60 s");
        settings.Interval.Should().Be(TimeSpan.FromSeconds(10));
        settings.ProbeCount.Should().Be(3);
        settings.DeadPeerDetectionTime.Should().Be(TimeSpan.FromSeconds(60));
        settings.UserTimeout.Should().Be(TimeSpan.FromSeconds(55), "derived as idle + interval x count (60 s) minus half an interval");
        settings.GetReport(KeepAliveOption.UserTimeout)!.Status.Should().Be(KeepAliveOptionStatus.Derived);
        RawUserTimeoutMs(pair.Client).Should().Be(55_000);
    }

    [Fact]
    public void ConfigureKeepAlive_ZeroUserTimeout_KeepsOsDefault()
    {
        using var pair = LoopbackConnection.Open();
        pair.Client.ConfigureKeepAlive(new TcpKeepAliveOptions { UserTimeout = TimeSpan.FromSeconds(9) });

        var settings = pair.Client.ConfigureKeepAlive(new TcpKeepAliveOptions { UserTimeout = TcpKeepAliveOptions.OsDefaultUserTimeout });

        settings.UserTimeout.Should().Be(TimeSpan.Zero);
        settings.GetReport(KeepAliveOption.UserTimeout)!.Status.Should().Be(KeepAliveOptionStatus.OsDefault);
        RawUserTimeoutMs(pair.Client).Should().Be(0);
    }

    [Theory]
    [InlineData(7200, 3600, 127)] // derived would be 462600 s: 128 h of retransmissions to a dead peer
    [InlineData(1200, 300, 9)]    // derived would be 3750 s, just above the 1 h ceiling
    public void ConfigureKeepAlive_DerivedUserTimeoutAboveItsCeiling_KeepsOsDefaultInstead(int idleSeconds, int intervalSeconds, int probes)
    {
        // A TCP_USER_TIMEOUT replaces the kernel's retransmission limit (about 15 min): one derived above UserTimeout's
        // declared ceiling kept data in flight to a dead peer around longer than no user timeout at all.
        using var pair = LoopbackConnection.Open();
        pair.Client.ConfigureKeepAlive(new TcpKeepAliveOptions()); // a derived 55 s from before must not stay either
        var options = new TcpKeepAliveOptions { IdleTime = TimeSpan.FromSeconds(idleSeconds), Interval = TimeSpan.FromSeconds(intervalSeconds), ProbeCount = probes };

        var settings = pair.Client.ConfigureKeepAlive(options);

        RawUserTimeoutMs(pair.Client).Should().Be(0);
        settings.UserTimeout.Should().Be(TimeSpan.Zero);
        var report = settings.GetReport(KeepAliveOption.UserTimeout)!;
        report.Status.Should().Be(KeepAliveOptionStatus.OsDefault);
        report.Reason.Should().Contain("above UserTimeout's ceiling of 1h").And.Contain("retransmission limit");
        settings.DeadPeerDetectionTime.Should().Be(TimeSpan.FromSeconds(idleSeconds + (intervalSeconds * probes)), "the probe count decides, as asked");
        settings.GetReport(KeepAliveOption.ProbeCount)!.Status.Should().Be(KeepAliveOptionStatus.Applied);
    }

    [Fact]
    public void ConfigureKeepAlive_DerivedUserTimeoutAtItsCeiling_IsStillDerived()
    {
        using var pair = LoopbackConnection.Open();

        // 1200 + 240 x 10 = 3600 s, minus half an interval: 3480 s, under the 1 h ceiling.
        var settings = pair.Client.ConfigureKeepAlive(new TcpKeepAliveOptions { IdleTime = TimeSpan.FromSeconds(1200), Interval = TimeSpan.FromSeconds(240), ProbeCount = 10 });

        settings.GetReport(KeepAliveOption.UserTimeout)!.Status.Should().Be(KeepAliveOptionStatus.Derived);
        RawUserTimeoutMs(pair.Client).Should().Be(3_480_000);
    }

    [Theory]
    [InlineData(1500, 1000)]
    [InlineData(2999, 2000)]
    public void ConfigureKeepAlive_FractionOfASecond_RoundsDownAndSaysSo(int requestedMs, int expectedMs)
    {
        using var pair = LoopbackConnection.Open();
        var logger = new FakeLogger();

        var settings = pair.Client.ConfigureKeepAlive(
            new TcpKeepAliveOptions { IdleTime = TimeSpan.FromMilliseconds(requestedMs), Interval = TimeSpan.FromMilliseconds(requestedMs) }, logger);

        settings.IdleTime.Should().Be(TimeSpan.FromMilliseconds(expectedMs));
        settings.Interval.Should().Be(TimeSpan.FromMilliseconds(expectedMs));
        var report = settings.GetReport(KeepAliveOption.IdleTime)!;
        report.Status.Should().Be(KeepAliveOptionStatus.Rounded);
        report.Requested.Should().Be(requestedMs);
        report.Effective.Should().Be(expectedMs);
        report.Reason.Should().NotBeNullOrWhiteSpace();
        settings.HasAdjustments.Should().BeTrue();
        pair.Client.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime).Should().Be(expectedMs / 1000);

        var warnings = logger.Collector.GetSnapshot().Where(r => r.Level == LogLevel.Warning).ToList();
        warnings.Should().HaveCount(2, "one warning per rounded option (idle and interval)");
        warnings.Should().OnlyContain(r => r.Id.Id == KeepAliveEventIds.KeepAliveOptionRounded);
        warnings[0].Message.Should().Contain("IdleTime").And.Contain(KeepAliveDuration.Format(TimeSpan.FromMilliseconds(requestedMs)));
    }

    [Theory]
    [InlineData(30_900, 5500, 4, null)]
    [InlineData(30_000, 5500, 4, 40_000)]
    public void GetDeadPeerDetectionTime_FractionOfASecond_IsWhatTheKernelReports(int idleMs, int intervalMs, int probes, int? userTimeoutMs)
    {
        using var pair = LoopbackConnection.Open();
        var options = new TcpKeepAliveOptions
        {
            IdleTime = TimeSpan.FromMilliseconds(idleMs),
            Interval = TimeSpan.FromMilliseconds(intervalMs),
            ProbeCount = probes,
            UserTimeout = userTimeoutMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null,
        };

        var settings = pair.Client.ConfigureKeepAlive(options);

        options.GetDeadPeerDetectionTime().Should().Be(settings.DeadPeerDetectionTime!.Value, "the options promise what the kernel, given whole seconds, does");
    }

    [Fact]
    public void ConfigureKeepAlive_WholeSeconds_LogsNoWarning()
    {
        using var pair = LoopbackConnection.Open();
        var logger = new FakeLogger();

        pair.Client.ConfigureKeepAlive(new TcpKeepAliveOptions(), logger);

        logger.Collector.GetSnapshot().Should().NotContain(r => r.Level >= LogLevel.Warning);
        logger.Collector.GetSnapshot().Should().Contain(r => r.Id.Id == KeepAliveEventIds.KeepAliveConfigured);
    }

    [Fact]
    public void ConfigureKeepAlive_Disabled_TurnsKeepAliveOffAndReadsBackOff()
    {
        using var pair = LoopbackConnection.Open();
        pair.Client.ConfigureKeepAlive(new TcpKeepAliveOptions()).Enabled.Should().BeTrue();

        var settings = pair.Client.ConfigureKeepAlive(new TcpKeepAliveOptions { Enabled = false });

        settings.Enabled.Should().BeFalse();
        settings.DeadPeerDetectionTime.Should().BeNull();
        ((int)pair.Client.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)!).Should().Be(0);
        settings.GetReport(KeepAliveOption.IdleTime)!.Status.Should().Be(KeepAliveOptionStatus.NotChanged);
        pair.AssertCarriesDataBothWays();
    }

    [Fact]
    public void ConfigureKeepAlive_DisabledWithAnIdleTime_ReportsTheRequestAsNotAppliedAndWritesNothing()
    {
        // { Enabled = false, IdleTime = 30s } reported IdleTime "requested n/a, NotChanged": the 30s asked for appeared nowhere.
        using var pair = LoopbackConnection.Open();
        var idleBefore = (int)pair.Client.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime)!;

        var settings = pair.Client.ConfigureKeepAlive(new TcpKeepAliveOptions { Enabled = false, IdleTime = TimeSpan.FromSeconds(30) });

        ((int)pair.Client.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime)!).Should().Be(idleBefore, "nothing but SO_KEEPALIVE is written while disabled");
        ((int)pair.Client.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)!).Should().Be(0);
        var idle = settings.GetReport(KeepAliveOption.IdleTime)!;
        idle.Status.Should().Be(KeepAliveOptionStatus.NotChanged);
        idle.RequestedTime.Should().Be(TimeSpan.FromSeconds(30));
        idle.Effective.Should().Be(idleBefore * 1000L, "the effective value is the kernel's, untouched");
        idle.ToString().Should().Contain("requested 30s").And.Contain("keep-alive is disabled").And.Contain("Fix: enable keep-alive, or remove IdleTime");
        settings.GetReport(KeepAliveOption.Interval)!.Requested.Should().BeNull("Interval was not set, so nothing was asked for");
        settings.GetReport(KeepAliveOption.ProbeCount)!.Requested.Should().BeNull();
        settings.HasAdjustments.Should().BeFalse();
    }

    [Fact]
    public void ConfigureKeepAlive_DisabledWithNothingSet_RequestsNothing()
    {
        using var pair = LoopbackConnection.Open();

        var settings = pair.Client.ConfigureKeepAlive(new TcpKeepAliveOptions { Enabled = false });

        foreach (var option in new[] { KeepAliveOption.IdleTime, KeepAliveOption.Interval, KeepAliveOption.ProbeCount })
        {
            var report = settings.GetReport(option)!;
            report.Status.Should().Be(KeepAliveOptionStatus.NotChanged);
            report.FormatRequested().Should().Be("n/a", $"{option} was not set");
        }
    }

    [Fact]
    public void ConfigureKeepAlive_DisabledWithAUserTimeout_WritesTheUserTimeoutAndReportsIt()
    {
        // TCP_USER_TIMEOUT bounds unacknowledged data whether or not keep-alive probes run: { Enabled = false,
        // UserTimeout = 30s } switched SO_KEEPALIVE off, wrote no user timeout and reported it NotChanged.
        using var pair = LoopbackConnection.Open();

        var settings = pair.Client.ConfigureKeepAlive(new TcpKeepAliveOptions { Enabled = false, UserTimeout = TimeSpan.FromSeconds(30) });

        ((int)pair.Client.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)!).Should().Be(0);
        RawUserTimeoutMs(pair.Client).Should().Be(30_000, "the kernel holds the user timeout asked for");
        settings.Enabled.Should().BeFalse();
        settings.UserTimeout.Should().Be(TimeSpan.FromSeconds(30));
        settings.GetReport(KeepAliveOption.UserTimeout)!.Status.Should().Be(KeepAliveOptionStatus.Applied);
        settings.GetReport(KeepAliveOption.IdleTime)!.Status.Should().Be(KeepAliveOptionStatus.NotChanged, "only the user timeout is written besides SO_KEEPALIVE");
        pair.AssertCarriesDataBothWays();
    }

    [Fact]
    public void ConfigureKeepAlive_DisabledWithAUserTimeoutOutOfRange_RefusedBeforeAnySyscall()
    {
        using var pair = LoopbackConnection.Open();

        var act = () => pair.Client.ConfigureKeepAlive(new TcpKeepAliveOptions { Enabled = false, UserTimeout = TimeSpan.FromMilliseconds(100) });

        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*UserTimeout*Fix:*");
        ((int)pair.Client.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)!).Should().Be(0, "nothing was applied");
        RawUserTimeoutMs(pair.Client).Should().Be(0);
    }

    [Fact]
    public void ConfigureKeepAlive_CalledTwice_IsIdempotent()
    {
        using var pair = LoopbackConnection.Open();
        var options = new TcpKeepAliveOptions { IdleTime = TimeSpan.FromSeconds(20), Interval = TimeSpan.FromSeconds(3), ProbeCount = 5 };

        var first = pair.Client.ConfigureKeepAlive(options);
        var second = pair.Client.ConfigureKeepAlive(options);

        second.Should().BeEquivalentTo(first);
        pair.Client.GetKeepAlive().Should().BeEquivalentTo(first, o => o.Excluding(s => s.Options));
    }

    [Fact]
    public void ConfigureKeepAlive_Listener_AcceptedSocketsInheritTheSettings()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        var options = new TcpKeepAliveOptions { IdleTime = TimeSpan.FromSeconds(21), Interval = TimeSpan.FromSeconds(7), ProbeCount = 4, UserTimeout = TimeSpan.FromSeconds(40) };
        listener.ConfigureKeepAlive(options).IdleTime.Should().Be(TimeSpan.FromSeconds(21));
        listener.Start();
        try
        {
            using var client = new TcpClient();
            client.Connect((IPEndPoint)listener.LocalEndpoint);
            using var accepted = listener.AcceptSocket();

            var inherited = accepted.GetKeepAlive();

            inherited.Should().BeEquivalentTo(new
            {
                Enabled = true,
                IdleTime = TimeSpan.FromSeconds(21),
                Interval = TimeSpan.FromSeconds(7),
                ProbeCount = 4,
                UserTimeout = TimeSpan.FromSeconds(40),
            });
            client.GetKeepAlive().Enabled.Should().BeFalse("the connecting side was never configured");
            KeepAliveCapabilities.Current.AcceptedSocketsInheritListenerSettings.Should().BeTrue();
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public void ConfigureKeepAlive_TcpClient_ConfiguresItsSocket()
    {
        using var pair = LoopbackConnection.Open();
        using var client = new TcpClient { Client = pair.Client };

        var settings = client.ConfigureKeepAlive(new TcpKeepAliveOptions { ProbeCount = 8 });

        settings.ProbeCount.Should().Be(8);
        client.GetKeepAlive().ProbeCount.Should().Be(8);
        pair.Client.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount).Should().Be(8);
    }

    [Fact]
    public void ConfigureKeepAlive_UnconnectedSocket_AppliesBeforeConnect()
    {
        using var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);

        var settings = socket.ConfigureKeepAlive(new TcpKeepAliveOptions { IdleTime = TimeSpan.FromSeconds(45) });

        settings.IdleTime.Should().Be(TimeSpan.FromSeconds(45));
        socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime).Should().Be(45);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ConfigureKeepAlive_BeforeAMultiAddressConnect_DotNetStillTriesTheNextAddress(bool configure)
    {
        // .NET on Unix opens a fresh socket after a failed connect to one of several addresses, copying the options it
        // tracked; a raw option or a look at Socket.SafeHandle made it give up: "Connection refused" from ::1 although
        // 127.0.0.1 listens. HttpClient's ConnectCallback (UseTcpKeepAlive) configures before ConnectAsync(DnsEndPoint).
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        if (configure)
        {
            client.ConfigureKeepAlive(new TcpKeepAliveOptions { IdleTime = TimeSpan.FromSeconds(33), ProbeCount = 7, UserTimeout = TcpKeepAliveOptions.OsDefaultUserTimeout });
        }
        else
        {
            client.GetKeepAlive();
        }

        await client.ConnectAsync([IPAddress.IPv6Loopback, IPAddress.Loopback], ((IPEndPoint)listener.LocalEndPoint!).Port, TestContext.Current.CancellationToken);

        client.Connected.Should().BeTrue();
        var settings = client.GetKeepAlive();
        settings.Enabled.Should().Be(configure, "the options move to the socket .NET opened for the second address");
        settings.IdleTime.Should().Be(configure ? TimeSpan.FromSeconds(33) : TimeSpan.FromSeconds(ReadSysctl("tcp_keepalive_time")));
        settings.ProbeCount.Should().Be(configure ? 7 : ReadSysctl("tcp_keepalive_probes"));
    }

    [Fact]
    public void ToString_ConfiguredSocket_NamesEveryEffectiveValue()
    {
        using var pair = LoopbackConnection.Open();

        var text = pair.Client.ConfigureKeepAlive(new TcpKeepAliveOptions()).ToString();

        text.Should().Be("Linux: keep-alive on, idle 30s, interval 10s, probes 3, user timeout 55s, dead idle peer found after 1m (read back from the kernel)");
    }

    private static int RawUserTimeoutMs(Socket socket)
    {
        Span<byte> value = stackalloc byte[4];
        socket.GetRawSocketOption(IpProtoTcp, TcpUserTimeout, value).Should().Be(4);
        return BinaryPrimitives.ReadInt32LittleEndian(value);
    }

    private static int ReadSysctl(string name) =>
        int.Parse(File.ReadAllText($"/proc/sys/net/ipv4/{name}").Trim(), CultureInfo.InvariantCulture);
}
