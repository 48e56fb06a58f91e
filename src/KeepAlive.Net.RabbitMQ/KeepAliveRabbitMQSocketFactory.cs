using System.Net.Sockets;
using System.Runtime.CompilerServices;
using KeepAlive.Net.Hosting;
using RabbitMQ.Client;

namespace KeepAlive.Net.RabbitMQ;

/// <summary>
/// The <see cref="ConnectionFactoryBase.SocketFactory"/> <c>UseKeepAlive</c> installs: <see cref="Create"/> runs your own (or
/// RabbitMQ.Client's default) and applies the profile's <c>Tcp</c> section to the socket it returns, before it connects. A
/// <see cref="ConnectionFactory"/> given it by copy (<c>SocketFactory = configured.SocketFactory</c>) is told by it, so
/// that it takes that profile as a copy does: another profile on it would mix two.
/// </summary>
internal sealed class KeepAliveRabbitMQSocketFactory(Func<AddressFamily, ITcpClient> yours, KeepAliveClientSettings settings)
{
    /// <summary>The sockets a keep-alive factory has configured, so that one reached twice (ours around a factory of yours wrapping an earlier one of ours) configures it once.</summary>
    private static readonly ConditionalWeakTable<Socket, KeepAliveClientSettings> Configured = [];

    /// <summary>Gets the profile this factory applies.</summary>
    public string ProfileName => settings.ProfileName;

    /// <summary>Gets the socket factory it wraps: yours, or RabbitMQ.Client's default.</summary>
    public Func<AddressFamily, ITcpClient> Yours => yours;

    /// <summary>The socket factory of ours that <paramref name="socketFactory"/> is, or <see langword="null"/>.</summary>
    /// <param name="socketFactory">A <see cref="ConnectionFactoryBase.SocketFactory"/>.</param>
    /// <returns>Ours, or <see langword="null"/> (yours, or one of yours wrapping ours).</returns>
    public static KeepAliveRabbitMQSocketFactory? Of(Func<AddressFamily, ITcpClient>? socketFactory) => socketFactory?.Target as KeepAliveRabbitMQSocketFactory;

    /// <summary>Creates the socket with the factory it wraps, and applies the profile to it before it connects.</summary>
    /// <param name="family">The address family RabbitMQ.Client asks for.</param>
    /// <returns>The client, its socket configured.</returns>
    public ITcpClient Create(AddressFamily family)
    {
        SocketFactoryWatch.OursCreatedTheSocket();
        var client = yours(family);
        try
        {
            if (client.Client is null)
            {
                throw new InvalidOperationException($"ConnectionFactory.SocketFactory returned an ITcpClient ({client.GetType().FullName}) whose Client is null, so KeepAlive profile '{settings.ProfileName}' has no socket to configure. Fix: return a client that holds its socket, e.g. new TcpClientAdapter(new Socket(family, SocketType.Stream, ProtocolType.Tcp)).");
            }

            if (Configured.TryGetValue(client.Client, out var first) && !string.Equals(first.ProfileName, settings.ProfileName, StringComparison.OrdinalIgnoreCase))
            {
                // A factory of yours calling the SocketFactory of one set up with another profile, which UseKeepAlive could not
                // see through (one given that SocketFactory itself is refused there): the socket would keep that profile's Tcp
                // section under this factory's heartbeat.
                throw new InvalidOperationException(
                    $"ConnectionFactory.SocketFactory: the socket factory of yours that KeepAlive profile '{settings.ProfileName}' wraps returned a socket already configured with KeepAlive profile '{first.ProfileName}' (it calls the SocketFactory of a ConnectionFactory set up with that profile), and one connection's sockets and heartbeat follow one profile: each socket would keep '{first.ProfileName}''s Tcp section under '{settings.ProfileName}''s RequestedHeartbeat. "
                    + $"Fix: call UseKeepAlive with '{first.ProfileName}' on this ConnectionFactory too, or have your SocketFactory create its own socket (new TcpClientAdapter(new Socket(family, SocketType.Stream, ProtocolType.Tcp))) rather than call the one set up with '{first.ProfileName}'.");
            }

            if (Configured.TryAdd(client.Client, settings))
            {
                // The socket's own family (a factory of yours may return an IPv6 dual-mode socket for InterNetwork), and no
                // server: RabbitMQ.Client connects the socket only after this.
                settings.ConfigureSocket(client.Client, $"(an {client.Client.AddressFamily} socket, configured before it connects: the server is not known yet)");
            }

            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }
}
