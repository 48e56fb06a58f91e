using System.Net.Sockets;
using NATS.Client.Core;

namespace KeepAlive.Net.Nats;

/// <summary>
/// A connected NATS socket. It exposes its <see cref="Socket"/> (<see cref="INatsTlsUpgradeableSocketConnection"/>), so
/// NATS.Net upgrades it to TLS itself (tls:// or a server that requires TLS) on top of the socket that carries the profile.
/// </summary>
internal sealed class KeepAliveNatsSocketConnection(Socket socket) : INatsTlsUpgradeableSocketConnection
{
    private int _disposed;

    public Socket Socket { get; } = socket;

    public ValueTask<int> SendAsync(ReadOnlyMemory<byte> buffer) => Socket.SendAsync(buffer, SocketFlags.None, CancellationToken.None);

    public ValueTask<int> ReceiveAsync(Memory<byte> buffer) => Socket.ReceiveAsync(buffer, SocketFlags.None, CancellationToken.None);

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            try
            {
                Socket.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
                // Already reset or never connected: nothing to shut down.
            }
            catch (ObjectDisposedException)
            {
                // Already closed by NATS.Net's TLS stream, which owns the socket (a NetworkStream with ownsSocket) and is disposed first.
            }
            finally
            {
                Socket.Dispose();
            }
        }

        return default;
    }
}
