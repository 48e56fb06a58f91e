namespace KeepAlive.Net.Tcp.Backends;

/// <summary>
/// Linux, macOS, FreeBSD and Windows 10 1709+: SO_KEEPALIVE plus three TCP-level options in seconds
/// through setsockopt, TCP_USER_TIMEOUT in milliseconds where it exists, all read back with getsockopt.
/// </summary>
internal sealed class SocketOptionKeepAliveBackend(NativeOptionNames names) : IKeepAliveBackend
{
    private const long MillisecondsPerSecond = 1000;

    public void Apply(ISocketOptionAccess socket, KeepAlivePlan plan)
    {
        socket.SetInt32(names.SolSocket, names.SoKeepAlive, plan.Enabled ? 1 : 0);
        if (plan.Idle.Apply)
        {
            socket.SetInt32(names.IpProtoTcp, names.KeepIdle, checked((int)(plan.Idle.Value / MillisecondsPerSecond)));
        }

        if (plan.Interval.Apply)
        {
            socket.SetInt32(names.IpProtoTcp, names.KeepInterval, checked((int)(plan.Interval.Value / MillisecondsPerSecond)));
        }

        if (plan.ProbeCount.Apply)
        {
            socket.SetInt32(names.IpProtoTcp, names.KeepCount, checked((int)plan.ProbeCount.Value));
        }

        // TCP_USER_TIMEOUT has no option name .NET tracks: written before Connect, .NET on Unix no longer tries a host's
        // next address when one fails. A value already in force (the kernel's 0 on a new socket) is therefore not written.
        if (plan.UserTimeout.Apply && names.UserTimeout is { } userTimeout
            && socket.GetInt32(names.IpProtoTcp, userTimeout) != plan.UserTimeout.Value)
        {
            socket.SetInt32(names.IpProtoTcp, userTimeout, checked((int)plan.UserTimeout.Value));
        }
    }

    public KeepAliveSettings Read(ISocketOptionAccess socket, KeepAliveCapabilities capabilities, KeepAlivePlan? applied) => new()
    {
        Platform = capabilities.Platform,
        Enabled = socket.GetInt32(names.SolSocket, names.SoKeepAlive) != 0,
        IdleTime = TimeSpan.FromSeconds(socket.GetInt32(names.IpProtoTcp, names.KeepIdle)),
        Interval = TimeSpan.FromSeconds(socket.GetInt32(names.IpProtoTcp, names.KeepInterval)),
        ProbeCount = socket.GetInt32(names.IpProtoTcp, names.KeepCount),
        UserTimeout = names.UserTimeout is { } userTimeout ? TimeSpan.FromMilliseconds(socket.GetInt32(names.IpProtoTcp, userTimeout)) : null,
        IsReadBackFromKernel = true,
    };
}
