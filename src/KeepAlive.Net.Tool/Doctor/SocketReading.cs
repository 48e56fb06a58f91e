using System.Net;
using KeepAlive.Net.Tool.Check;

namespace KeepAlive.Net.Tool.Doctor;

/// <summary>What <c>doctor</c> could read about one TCP socket of the process.</summary>
internal sealed record SocketReading
{
    /// <summary>The file descriptor number in the inspected process.</summary>
    public required int Fd { get; init; }

    public required long Inode { get; init; }

    public IPEndPoint? Local { get; init; }

    public IPEndPoint? Remote { get; init; }

    /// <summary>The TCP state: from TCP_INFO when the socket could be duplicated, else from /proc/PID/net/tcp.</summary>
    public required string State { get; init; }

    /// <summary>SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT and TCP_USER_TIMEOUT read from the kernel, or <see langword="null"/> when they could not be read.</summary>
    public KeepAliveSettings? Settings { get; init; }

    /// <summary>TCP_INFO (idle times, probes out), or <see langword="null"/> when it could not be read.</summary>
    public TcpInfoSnapshot? Info { get; init; }

    /// <summary>The line of /proc/PID/net/tcp{,6}, read without privilege, when the socket is in the process's namespace.</summary>
    public ProcNetTcp? Proc { get; init; }

    /// <summary>Why the options could not be read, or <see langword="null"/> when they were.</summary>
    public string? Unreadable { get; init; }
}
