using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace KeepAlive.Net.AspNetCore.Tests;

/// <summary>
/// Connection middleware that passes everything Kestrel writes through a pipe of its own and parses the HTTP/2 frames on
/// the way, so a test can assert what went on the wire (GOAWAY frames and their last stream id) per connection.
/// </summary>
internal sealed class Http2FrameSniffer
{
    public const byte GoAway = 7;

    public ConcurrentDictionary<string, ConcurrentQueue<Frame>> Frames { get; } = new();

    public ConnectionDelegate Middleware(ConnectionDelegate next) => async context =>
    {
        var frames = Frames.GetOrAdd(context.ConnectionId, _ => new ConcurrentQueue<Frame>());
        var original = context.Transport;
        var tee = new Pipe();
        var pump = PumpAsync(tee.Reader, original.Output, frames);
        context.Transport = new DuplexPipe(original.Input, tee.Writer);
        try
        {
            await next(context);
        }
        finally
        {
            await tee.Writer.CompleteAsync();
            await pump;
            context.Transport = original;
        }
    };

    private static async Task PumpAsync(PipeReader reader, PipeWriter output, ConcurrentQueue<Frame> frames)
    {
        var pending = new List<byte>();
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync();
                foreach (var segment in result.Buffer)
                {
                    pending.AddRange(segment.Span.ToArray());
                    await output.WriteAsync(segment);
                }

                reader.AdvanceTo(result.Buffer.End);
                Parse(pending, frames);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (IOException)
        {
            // The connection was aborted; what was parsed stays recorded.
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    private static void Parse(List<byte> pending, ConcurrentQueue<Frame> frames)
    {
        while (pending.Count >= 9)
        {
            var header = pending.GetRange(0, 9).ToArray();
            var length = (header[0] << 16) | (header[1] << 8) | header[2];
            if (pending.Count < 9 + length)
            {
                return;
            }

            var payload = pending.GetRange(9, length).ToArray();
            var lastStreamId = header[3] == GoAway ? (int)(BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7FFF_FFFF) : 0;
            frames.Enqueue(new Frame(header[3], Stopwatch.GetTimestamp(), lastStreamId));
            pending.RemoveRange(0, 9 + length);
        }
    }

    internal sealed record Frame(byte Type, long Timestamp, int LastStreamId);

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
