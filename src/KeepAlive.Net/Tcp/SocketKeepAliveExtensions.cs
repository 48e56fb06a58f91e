using System.Net.Sockets;
using KeepAlive.Net.Tcp;
using KeepAlive.Net.Tcp.Backends;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net;

/// <summary>
/// Configures and reads TCP keep-alive on sockets the application already has: one call sets
/// SO_KEEPALIVE, idle time, interval, probe count and TCP_USER_TIMEOUT with the platform's own
/// options, then reads the effective values back from the kernel.
/// </summary>
public static class SocketKeepAliveExtensions
{
    /// <summary>Applies keep-alive options to a TCP socket and returns what the kernel reports afterwards.</summary>
    /// <remarks>
    /// Before a connect to a host with several addresses: SO_KEEPALIVE, idle time, interval and probe count go through
    /// .NET's own option names, which .NET copies to the fresh socket it opens on Linux and macOS when one address fails,
    /// so it still tries the next. TCP_USER_TIMEOUT (Linux) has no such name: a value other than the socket's current one,
    /// derived or explicit, makes that connect fail at the first refused address; configure after connecting, or set
    /// <see cref="TcpKeepAliveOptions.UserTimeout"/> to <see cref="TcpKeepAliveOptions.OsDefaultUserTimeout"/>.
    /// </remarks>
    /// <param name="socket">A TCP socket, connected or not, or a listener whose accepted sockets should inherit the settings.</param>
    /// <param name="options">The options; validated before any system call.</param>
    /// <returns>The effective settings, with a report of every rounded, derived, fixed or unsupported option.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="socket"/> or <paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    /// <exception cref="ArgumentException">The socket is not a TCP socket (UDP, Unix-domain).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value is outside the platform's limits; nothing was applied.</exception>
    /// <exception cref="SocketException">The kernel rejected an option.</exception>
    public static KeepAliveSettings ConfigureKeepAlive(this Socket socket, TcpKeepAliveOptions options) =>
        ConfigureKeepAlive(socket, options, logger: null);

    /// <summary>Applies keep-alive options to a TCP socket, logging one warning per rounded, fixed or unsupported option.</summary>
    /// <param name="socket">A TCP socket, connected or not, or a listener.</param>
    /// <param name="options">The options; validated before any system call.</param>
    /// <param name="logger">Receives the warnings, or <see langword="null"/>.</param>
    /// <returns>The effective settings, read back from the kernel.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="socket"/> or <paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    /// <exception cref="ArgumentException">The socket is not a TCP socket (UDP, Unix-domain).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value is outside the platform's limits; nothing was applied.</exception>
    /// <exception cref="SocketException">The kernel rejected an option.</exception>
    public static KeepAliveSettings ConfigureKeepAlive(this Socket socket, TcpKeepAliveOptions options, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        SocketGuard.EnsureTcp(socket);
        return KeepAliveConfigurator.Configure(new SocketOptionAccess(socket), KeepAliveCapabilities.Current, options, logger);
    }

    /// <summary>Reads the keep-alive settings in force on any TCP socket, including the kernel's defaults on one never configured.</summary>
    /// <param name="socket">A TCP socket.</param>
    /// <returns>The effective settings.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="socket"/> is <see langword="null"/>.</exception>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    /// <exception cref="ArgumentException">The socket is not a TCP socket.</exception>
    public static KeepAliveSettings GetKeepAlive(this Socket socket)
    {
        SocketGuard.EnsureTcp(socket);
        return KeepAliveConfigurator.Read(new SocketOptionAccess(socket), KeepAliveCapabilities.Current);
    }

    /// <summary>Applies keep-alive options to a <see cref="TcpClient"/>'s socket.</summary>
    /// <param name="client">The client.</param>
    /// <param name="options">The options.</param>
    /// <returns>The effective settings, read back from the kernel.</returns>
    public static KeepAliveSettings ConfigureKeepAlive(this TcpClient client, TcpKeepAliveOptions options) =>
        ConfigureKeepAlive(client, options, logger: null);

    /// <summary>Applies keep-alive options to a <see cref="TcpClient"/>'s socket, logging adjustments.</summary>
    /// <param name="client">The client.</param>
    /// <param name="options">The options.</param>
    /// <param name="logger">Receives the warnings, or <see langword="null"/>.</param>
    /// <returns>The effective settings, read back from the kernel.</returns>
    public static KeepAliveSettings ConfigureKeepAlive(this TcpClient client, TcpKeepAliveOptions options, ILogger? logger) =>
        ConfigureKeepAlive(SocketGuard.SocketOf(client), options, logger);

    /// <summary>Reads the keep-alive settings of a <see cref="TcpClient"/>'s socket.</summary>
    /// <param name="client">The client.</param>
    /// <returns>The effective settings.</returns>
    public static KeepAliveSettings GetKeepAlive(this TcpClient client) => GetKeepAlive(SocketGuard.SocketOf(client));

    /// <summary>
    /// Applies keep-alive options to a <see cref="TcpListener"/>'s socket. On Linux, FreeBSD and Windows, sockets it
    /// accepts inherit them; on macOS they do not inherit the idle time, so configure each accepted socket instead
    /// (<see cref="KeepAliveCapabilities.AcceptedSocketsInheritListenerSettings"/>).
    /// </summary>
    /// <param name="listener">The listener, started or not.</param>
    /// <param name="options">The options.</param>
    /// <returns>The effective settings of the listening socket, read back from the kernel.</returns>
    public static KeepAliveSettings ConfigureKeepAlive(this TcpListener listener, TcpKeepAliveOptions options) =>
        ConfigureKeepAlive(listener, options, logger: null);

    /// <summary>Applies keep-alive options to a <see cref="TcpListener"/>'s socket, logging adjustments.</summary>
    /// <param name="listener">The listener, started or not.</param>
    /// <param name="options">The options.</param>
    /// <param name="logger">Receives the warnings, or <see langword="null"/>.</param>
    /// <returns>The effective settings of the listening socket, read back from the kernel.</returns>
    public static KeepAliveSettings ConfigureKeepAlive(this TcpListener listener, TcpKeepAliveOptions options, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(listener);
        return ConfigureKeepAlive(listener.Server, options, logger);
    }

    /// <summary>Reads the keep-alive settings of a <see cref="TcpListener"/>'s socket.</summary>
    /// <param name="listener">The listener.</param>
    /// <returns>The effective settings.</returns>
    public static KeepAliveSettings GetKeepAlive(this TcpListener listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        return GetKeepAlive(listener.Server);
    }
}
