using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace KeepAlive.Net.AspNetCore.Tests;

/// <summary>
/// An upload that stalls on a real connection: 3 of its 1000 bytes, then nothing, so a retired connection's grace period
/// runs out under it. <see cref="Seen"/> is what the endpoint's read then threw (<see langword="null"/> if it ended).
/// </summary>
internal sealed class StalledUpload : IDisposable
{
    private readonly TaskCompletionSource<Exception?> _seen = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TcpClient _client = new();

    /// <summary>Maps <c>POST /upload</c> on <paramref name="app"/> (before it starts).</summary>
    public StalledUpload(WebApplication app) => app.MapPost("/upload", async (HttpContext context) =>
    {
        try
        {
            var buffer = new byte[100];
            while (await context.Request.Body.ReadAsync(buffer) > 0)
            {
            }

            _seen.TrySetResult(null);
        }
        catch (Exception ex)
        {
            _seen.TrySetResult(ex);
        }
    });

    public Task<Exception?> Seen => _seen.Task;

    /// <summary>Connects to the started <paramref name="app"/> and sends the start of the upload.</summary>
    public async Task StartAsync(WebApplication app)
    {
        var address = KestrelHosts.BaseAddress(app);
        await _client.ConnectAsync(address.Host, address.Port, TestContext.Current.CancellationToken);
        await _client.GetStream().WriteAsync("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\nabc"u8.ToArray(), TestContext.Current.CancellationToken);
    }

    public void Dispose() => _client.Dispose();
}
