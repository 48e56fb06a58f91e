namespace KeepAlive.Net.Tcp.Backends;

/// <summary>
/// One platform's numbers for the keep-alive socket options, from its own headers:
/// Linux &lt;netinet/tcp.h&gt;, Apple and FreeBSD &lt;netinet/tcp.h&gt;, Windows ws2ipdef.h and mstcpip.h.
/// </summary>
internal sealed record NativeOptionNames(
    int SolSocket,
    int SoKeepAlive,
    int IpProtoTcp,
    int KeepIdle,
    int KeepInterval,
    int KeepCount,
    int? UserTimeout)
{
    /// <summary>SOL_SOCKET 1, SO_KEEPALIVE 9, TCP_KEEPIDLE 4, TCP_KEEPINTVL 5, TCP_KEEPCNT 6, TCP_USER_TIMEOUT 18.</summary>
    public static readonly NativeOptionNames Linux = new(1, 9, 6, 4, 5, 6, 18);

    /// <summary>SOL_SOCKET 0xffff, SO_KEEPALIVE 8, TCP_KEEPALIVE 0x10 (the idle time), TCP_KEEPINTVL 0x101, TCP_KEEPCNT 0x102.</summary>
    public static readonly NativeOptionNames MacOS = new(0xffff, 0x8, 6, 0x10, 0x101, 0x102, null);

    /// <summary>SOL_SOCKET 0xffff, SO_KEEPALIVE 8, TCP_KEEPIDLE 256, TCP_KEEPINTVL 512, TCP_KEEPCNT 1024.</summary>
    public static readonly NativeOptionNames FreeBsd = new(0xffff, 0x8, 6, 256, 512, 1024, null);

    /// <summary>SOL_SOCKET 0xffff, SO_KEEPALIVE 8, TCP_KEEPIDLE 3, TCP_KEEPINTVL 17, TCP_KEEPCNT 16.</summary>
    public static readonly NativeOptionNames Windows = new(0xffff, 0x8, 6, 3, 17, 16, null);

    /// <summary>Gets the numbers of a platform, or <see langword="null"/> for one without a mapping of ours.</summary>
    /// <param name="platform">The platform.</param>
    /// <returns>Its numbers (Windows before 1709 has Windows's SO_KEEPALIVE), or <see langword="null"/>.</returns>
    public static NativeOptionNames? For(KeepAlivePlatform platform) => platform switch
    {
        KeepAlivePlatform.Linux => Linux,
        KeepAlivePlatform.MacOS => MacOS,
        KeepAlivePlatform.FreeBsd => FreeBsd,
        KeepAlivePlatform.Windows or KeepAlivePlatform.WindowsLegacy => Windows,
        _ => null,
    };

    /// <summary>Linux TCP_INFO (&lt;netinet/tcp.h&gt;): struct tcp_info, its first byte the connection's state.</summary>
    public const int LinuxTcpInfo = 11;

    /// <summary>Linux TCP_CLOSE (include/net/tcp_states.h): the state of a TCP socket never connected (or fully closed).</summary>
    public const byte LinuxTcpStateClose = 7;

    /// <summary>Linux TCP_ESTABLISHED: open both ways (also after a shutdown of the receiving side only, which sends nothing).</summary>
    public const byte LinuxTcpStateEstablished = 1;

    /// <summary>Linux TCP_CLOSE_WAIT: the peer closed its side; this side can still send.</summary>
    public const byte LinuxTcpStateCloseWait = 8;

    /// <summary>Linux TCP_SYN_SENT: a connect in progress, not answered yet.</summary>
    public const byte LinuxTcpStateSynSent = 2;

    /// <summary>Linux TCP_SYN_RECV: a connection being set up, not established yet.</summary>
    public const byte LinuxTcpStateSynReceived = 3;

    /// <summary>SIO_KEEPALIVE_VALS = _WSAIOW(IOC_VENDOR, 4) = IOC_IN | IOC_VENDOR | 4.</summary>
    public const int SioKeepAliveVals = unchecked((int)0x98000004);
}
