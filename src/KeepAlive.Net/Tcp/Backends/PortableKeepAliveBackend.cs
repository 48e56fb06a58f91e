using System.Net.Sockets;

namespace KeepAlive.Net.Tcp.Backends;

/// <summary>An operating system without a mapping of ours: SO_KEEPALIVE through .NET's portable option names, nothing else.</summary>
internal sealed class PortableKeepAliveBackend : IKeepAliveBackend
{
    public void Apply(ISocketOptionAccess socket, KeepAlivePlan plan) =>
        socket.SetPortableOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, plan.Enabled ? 1 : 0);

    public KeepAliveSettings Read(ISocketOptionAccess socket, KeepAliveCapabilities capabilities, KeepAlivePlan? applied) => new()
    {
        Platform = capabilities.Platform,
        Enabled = socket.GetPortableOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive) != 0,
        IsReadBackFromKernel = true,
    };
}
