using System.Net.Sockets;

namespace KeepAlive.Net.Tests.Streams;

/// <summary>Collects everything a socket receives on a background task, until the peer closes.</summary>
internal sealed class ReceivedBytes
{
    private readonly List<byte> _bytes = [];

    public ReceivedBytes(Socket socket) => Completion = Task.Run(async () =>
    {
        var buffer = new byte[4096];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
        {
            lock (_bytes)
            {
                _bytes.AddRange(buffer.AsSpan(0, read));
            }
        }
    });

    /// <summary>Gets a task that completes when the peer closed its side.</summary>
    public Task Completion { get; }

    public byte[] Snapshot()
    {
        lock (_bytes)
        {
            return [.. _bytes];
        }
    }

    public async Task WaitForAsync(Func<byte[], bool> condition, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        while (!condition(Snapshot()))
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
