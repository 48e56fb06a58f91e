using System.Net;
using System.Net.Sockets;
using KeepAlive.Net.Tests.TestSupport;

namespace KeepAlive.Net.Tests.Tcp;

/// <summary>Every bad input is rejected before any system call, and the connection keeps working.</summary>
public sealed class ConfigureKeepAliveRejectionTests
{
    public ConfigureKeepAliveRejectionTests() => TestEnvironment.RequireLinux();

    public static TheoryData<string, Action<TcpKeepAliveOptions>, string[]> BadOptions => new()
    {
        { "zero idle", o => o.IdleTime = TimeSpan.Zero, ["IdleTime 0s is below the floor of 1s", "whole seconds", "Fix: set it to at least \"1s\""] },
        { "negative idle", o => o.IdleTime = TimeSpan.FromSeconds(-5), ["IdleTime -5s is below the floor of 1s", "Fix"] },
        { "sub-second idle (the kernel would probe later than asked)", o => o.IdleTime = TimeSpan.FromMilliseconds(200), ["IdleTime 200ms is below the floor of 1s", "Fix"] },
        { "zero interval", o => o.Interval = TimeSpan.Zero, ["Interval 0s is below the floor of 1s", "Fix"] },
        { "negative interval", o => o.Interval = TimeSpan.FromMilliseconds(-1), ["Interval -1ms is below the floor of 1s", "Fix"] },
        { "probe count zero", o => o.ProbeCount = 0, ["ProbeCount 0 is below the floor of 1", "EINVAL", "Fix: set it to at least 1"] },
        { "probe count negative", o => o.ProbeCount = -3, ["ProbeCount -3 is below the floor of 1", "Fix"] },
        { "idle over the ceiling (the tool once took --idle 3h)", o => o.IdleTime = TimeSpan.FromHours(3), ["IdleTime 3h is above the ceiling of 2h", "middleboxes forget idle flows within minutes", "Fix: set it to at most \"2h\""] },
        { "idle over Linux limit", o => o.IdleTime = TimeSpan.FromSeconds(32768), ["IdleTime 9h6m8s is above the ceiling of 2h", "Fix"] },
        { "interval over the ceiling", o => o.Interval = TimeSpan.FromSeconds(40000), ["Interval 11h6m40s is above the ceiling of 1h", "Fix"] },
        { "probe count over Linux limit", o => o.ProbeCount = 128, ["ProbeCount 128 is above the ceiling of 127", "TCP_KEEPCNT", "Fix"] },
        { "negative user timeout", o => o.UserTimeout = TimeSpan.FromSeconds(-1), ["UserTimeout -1s is below the floor of 1s", "(or \"0s\", which keeps the operating system's default)", "Fix"] },
        { "sub-second user timeout", o => o.UserTimeout = TimeSpan.FromMilliseconds(0.5), ["UserTimeout 500us is below the floor of 1s", "first lost segment", "Fix"] },
        { "UnsetValues not one of the enum's values (a cast number would silently mean UseDefaults)", o => o.UnsetValues = (TcpKeepAliveUnsetValues)42, ["UnsetValues is 42, which is not a TcpKeepAliveUnsetValues", "Fix: use UseDefaults or KeepCurrent"] },
        { "user timeout over the ceiling", o => o.UserTimeout = TimeSpan.FromMilliseconds(int.MaxValue + 1L), ["UserTimeout 24d20h31m23s648ms is above the ceiling of 1h", "Fix"] },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void ConfigureKeepAlive_BadOption_ThrowsBeforeAnySyscallAndConnectionStillWorks(string scenario, Action<TcpKeepAliveOptions> spoil, string[] messageParts)
    {
        using var pair = LoopbackConnection.Open();
        var before = pair.Client.ConfigureKeepAlive(new TcpKeepAliveOptions { IdleTime = TimeSpan.FromSeconds(33) });
        var options = new TcpKeepAliveOptions();
        spoil(options);

        var act = () => pair.Client.ConfigureKeepAlive(options);

        var error = act.Should().ThrowExactly<ArgumentOutOfRangeException>(scenario).Which;
        error.ParamName.Should().Be("options");
        foreach (var part in messageParts)
        {
            error.Message.Should().Contain(part, scenario);
        }

        error.Message.Should().Contain("nothing was applied");
        pair.Client.GetKeepAlive().Should().BeEquivalentTo(before, o => o.Excluding(s => s.Options), "nothing reached the kernel");
        pair.AssertCarriesDataBothWays();
    }

    [Fact]
    public void ConfigureKeepAlive_SeveralBadValues_ReportsEveryOne()
    {
        using var pair = LoopbackConnection.Open();
        var options = new TcpKeepAliveOptions { IdleTime = TimeSpan.Zero, ProbeCount = 500 };

        var act = () => pair.Client.ConfigureKeepAlive(options);

        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*IdleTime 0s is below*ProbeCount 500 is above*");
        pair.AssertCarriesDataBothWays();
    }

    [Fact]
    public void ConfigureKeepAlive_DisabledWithOutOfRangeValues_IsAccepted()
    {
        using var pair = LoopbackConnection.Open();

        var settings = pair.Client.ConfigureKeepAlive(new TcpKeepAliveOptions { Enabled = false, IdleTime = TimeSpan.Zero });

        settings.Enabled.Should().BeFalse("values that are not applied are not validated");
    }

    [Fact]
    public void ConfigureKeepAlive_UdpSocket_ThrowsArgumentExceptionNamingTheSocketType()
    {
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

        var act = () => udp.ConfigureKeepAlive(new TcpKeepAliveOptions());

        act.Should().ThrowExactly<ArgumentException>().WithParameterName("socket").WithMessage("*Dgram/Udp*Fix: send application heartbeats*");
        ((int)udp.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)!).Should().Be(0);
    }

    [Theory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public void ConfigureKeepAlive_StreamSocketWithProtocolUnspecified_IsTcpAndIsConfigured(AddressFamily family)
    {
        // new Socket(family, SocketType.Stream, ProtocolType.IP) is TCP (protocol 0 picks the stream protocol), but .NET
        // reports ProtocolType.IP: it was refused as "Stream/IP", with advice meant for UDP. Its accepted sockets too.
        var loopback = family == AddressFamily.InterNetwork ? IPAddress.Loopback : IPAddress.IPv6Loopback;
        using var listener = new Socket(family, SocketType.Stream, ProtocolType.IP);
        listener.Bind(new IPEndPoint(loopback, 0));
        listener.Listen(1);
        using var client = new Socket(family, SocketType.Stream, ProtocolType.Unspecified);
        client.Connect(listener.LocalEndPoint!);
        using var accepted = listener.Accept();

        var settings = client.ConfigureKeepAlive(new TcpKeepAliveOptions { IdleTime = TimeSpan.FromSeconds(21) });
        var inherited = listener.ConfigureKeepAlive(new TcpKeepAliveOptions { IdleTime = TimeSpan.FromSeconds(22) });

        settings.IdleTime.Should().Be(TimeSpan.FromSeconds(21));
        inherited.IdleTime.Should().Be(TimeSpan.FromSeconds(22));
        client.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime).Should().Be(21);
        accepted.GetKeepAlive().Enabled.Should().BeFalse("the accepted socket was never configured, and reading it is allowed");
    }

    [Fact]
    public void GetKeepAlive_UdpSocket_Throws()
    {
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

        var act = () => udp.GetKeepAlive();

        act.Should().ThrowExactly<ArgumentException>().WithParameterName("socket");
    }

    [Fact]
    public void ConfigureKeepAlive_UnixDomainStreamSocket_ThrowsArgumentException()
    {
        using var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);

        var act = () => unix.ConfigureKeepAlive(new TcpKeepAliveOptions());

        act.Should().ThrowExactly<ArgumentException>().WithParameterName("socket").WithMessage("*Unix-domain*Fix: use a heartbeat*");
    }

    [Fact]
    public void ConfigureKeepAlive_DisposedSocket_ThrowsObjectDisposedException()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Dispose();

        var act = () => socket.ConfigureKeepAlive(new TcpKeepAliveOptions());

        act.Should().Throw<ObjectDisposedException>().WithMessage("The socket is disposed*Fix: configure keep-alive while the socket is open*");
        socket.Invoking(s => s.GetKeepAlive()).Should().Throw<ObjectDisposedException>().WithMessage("The socket is disposed*");
    }

    [Fact]
    public void ConfigureKeepAlive_DisposedTcpClient_ThrowsObjectDisposedException()
    {
        var client = new TcpClient(AddressFamily.InterNetwork);
        client.Dispose();

        var act = () => client.ConfigureKeepAlive(new TcpKeepAliveOptions());

        act.Should().Throw<ObjectDisposedException>().WithMessage("The TcpClient is disposed*Fix: use the TcpClient while it is open: configure keep-alive*");
        client.Invoking(c => c.GetKeepAlive()).Should().Throw<ObjectDisposedException>().WithMessage("The TcpClient is disposed*Fix:*");
    }

    [Fact]
    public void ConfigureKeepAlive_NullArguments_ThrowArgumentNullException()
    {
        using var pair = LoopbackConnection.Open();

        ((Action)(() => ((Socket)null!).ConfigureKeepAlive(new TcpKeepAliveOptions()))).Should().Throw<ArgumentNullException>().WithParameterName("socket");
        ((Action)(() => pair.Client.ConfigureKeepAlive(null!))).Should().Throw<ArgumentNullException>().WithParameterName("options");
        ((Action)(() => ((TcpClient)null!).ConfigureKeepAlive(new TcpKeepAliveOptions()))).Should().Throw<ArgumentNullException>().WithParameterName("client");
        ((Action)(() => ((TcpListener)null!).ConfigureKeepAlive(new TcpKeepAliveOptions()))).Should().Throw<ArgumentNullException>().WithParameterName("listener");
        ((Action)(() => ((Socket)null!).GetKeepAlive())).Should().Throw<ArgumentNullException>().WithParameterName("socket");
        pair.AssertCarriesDataBothWays();
    }
}
