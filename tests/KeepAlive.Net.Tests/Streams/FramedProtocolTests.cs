using System.Buffers.Binary;
using System.Net.Sockets;
using KeepAlive.Net.Tests.TestSupport;

namespace KeepAlive.Net.Tests.Streams;

/// <summary>
/// A length-prefixed protocol on a real loopback connection: [4-byte big-endian length][type][body], type 1 = data,
/// type 2 = heartbeat. A heartbeat that lands inside a message corrupts every frame after it.
/// </summary>
public sealed class FramedProtocolTests
{
    private const byte Data = 1;
    private const byte Heartbeat = 2;
    private static readonly byte[] HeartbeatFrame = [0, 0, 0, 1, Heartbeat];

    [Fact]
    public async Task WriteScopes_ConcurrentWritersAndFastHeartbeats_ReceiverParsesEveryFrameIntact()
    {
        const int Writers = 6;
        const int FramesPerWriter = 300;
        var ct = TestContext.Current.CancellationToken;
        using var connection = LoopbackConnection.Open();
        var received = new ReceivedBytes(connection.Server);
        await using var scheduler = new HeartbeatScheduler();
        var stream = new HeartbeatStream(new NetworkStream(connection.Client, ownsSocket: true));
        var written = 0;
        var registration = stream.RegisterHeartbeat(scheduler, new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = TimeSpan.FromMilliseconds(5) }, async (s, c) =>
        {
            await s.WriteAsync(HeartbeatFrame, c.CancellationToken);
            Interlocked.Increment(ref written); // still inside the write path
        });

        var writers = Enumerable.Range(0, Writers).Select(id => Task.Run(async () =>
        {
            for (var seq = 0; seq < FramesPerWriter; seq++)
            {
                var frame = DataFrame((byte)id, seq);
                if (seq % 3 == 0)
                {
                    await stream.WriteAsync(frame, ct); // one write is one message
                    continue;
                }

                await using var message = await stream.BeginMessageAsync(ct);
                await message.Stream.WriteAsync(frame.AsMemory(0, 5), ct); // header
                await Task.Yield();
                var half = 5 + ((frame.Length - 5) / 2);
                await message.Stream.WriteAsync(frame.AsMemory(5, half - 5), ct);
                await Task.Delay(seq % 10 == 1 ? 1 : 0, ct);
                message.Stream.Write(frame.AsSpan(half));
            }
        }, ct)).ToArray();
        await Task.WhenAll(writers);
        registration.Dispose();
        (await stream.BeginMessageAsync(ct)).Dispose(); // a heartbeat still writing has finished
        var sent = Volatile.Read(ref written);
        await stream.DisposeAsync();
        await received.Completion.WaitAsync(TimeSpan.FromSeconds(30), ct);

        var (frames, heartbeats) = Parse(received.Snapshot());
        heartbeats.Should().Be(sent, "every heartbeat sent arrived as its own frame");
        heartbeats.Should().BePositive("heartbeats every 5 ms must have competed with the writers");
        frames.Should().HaveCount(Writers * FramesPerWriter);
        for (var id = 0; id < Writers; id++)
        {
            frames.Where(f => f.Writer == id).Select(f => f.Sequence).Should().Equal(Enumerable.Range(0, FramesPerWriter));
        }
    }

    [Fact]
    public async Task RegisterSocket_HeartbeatDueBetweenTwoWritesOfOneMessage_LandsInsideTheFrame()
    {
        var ct = TestContext.Current.CancellationToken;
        using var connection = LoopbackConnection.Open();
        var received = new ReceivedBytes(connection.Server);
        await using var scheduler = new HeartbeatScheduler();
        using var registration = scheduler.RegisterSocket(connection.Client, HeartbeatFrame, new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = TimeSpan.FromMilliseconds(50) });
        var frame = DataFrame(7, 1);

        connection.Client.Send(frame.AsSpan(0, 5));
        SpinWait.SpinUntil(() => registration.GetStatistics().Sent >= 1, TimeSpan.FromSeconds(10)).Should().BeTrue();
        connection.Client.Send(frame.AsSpan(5));

        await received.WaitForAsync(b => b.Length >= frame.Length + HeartbeatFrame.Length, ct);
        received.Snapshot().AsSpan(5, HeartbeatFrame.Length).ToArray().Should().Equal(HeartbeatFrame, "the raw socket heartbeat does not know where the application's messages end");
    }

    [Fact]
    public async Task BeginMessageAsync_HeartbeatDueMidMessage_WaitsAndFollowsTheMessage()
    {
        var ct = TestContext.Current.CancellationToken;
        using var connection = LoopbackConnection.Open();
        var received = new ReceivedBytes(connection.Server);
        await using var scheduler = new HeartbeatScheduler();
        await using var stream = new HeartbeatStream(new NetworkStream(connection.Client, ownsSocket: false));
        var registration = stream.RegisterHeartbeat(scheduler, HeartbeatFrame, new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = TimeSpan.FromMilliseconds(50) });
        var frame = DataFrame(7, 1);

        await using (var message = await stream.BeginMessageAsync(ct))
        {
            await message.Stream.WriteAsync(frame.AsMemory(0, 5), ct);
            await Task.Delay(300, ct);
            registration.GetStatistics().Sent.Should().Be(0, "the due heartbeat waits for the message to end");
            await message.Stream.WriteAsync(frame.AsMemory(5), ct);
        }

        await received.WaitForAsync(b => b.Length >= frame.Length + HeartbeatFrame.Length, ct);
        var bytes = received.Snapshot();
        bytes.AsSpan(0, frame.Length).ToArray().Should().Equal(frame);
        bytes.AsSpan(frame.Length, HeartbeatFrame.Length).ToArray().Should().Equal(HeartbeatFrame);
    }

    private static byte[] DataFrame(byte writer, int sequence)
    {
        var bodyLength = 5 + ((sequence * 37) % 1500);
        var frame = new byte[5 + bodyLength];
        BinaryPrimitives.WriteInt32BigEndian(frame, bodyLength + 1);
        frame[4] = Data;
        frame[5] = writer;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(6), sequence);
        for (var i = 10; i < frame.Length; i++)
        {
            frame[i] = Pattern(writer, sequence, i);
        }

        return frame;
    }

    private static byte Pattern(byte writer, int sequence, int index) => (byte)((writer + sequence + index) % 251);

    private static (List<(int Writer, int Sequence)> Frames, int Heartbeats) Parse(byte[] bytes)
    {
        var frames = new List<(int, int)>();
        var heartbeats = 0;
        var offset = 0;
        while (offset < bytes.Length)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(offset));
            length.Should().BeInRange(1, 1600, $"a frame header at byte {offset} must hold a sane length");
            var type = bytes[offset + 4];
            if (type == Heartbeat)
            {
                length.Should().Be(1);
                heartbeats++;
            }
            else
            {
                type.Should().Be(Data, $"byte {offset + 4} must be a frame type");
                var writer = bytes[offset + 5];
                var sequence = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(offset + 6));
                for (var i = 10; i < length + 4; i++)
                {
                    if (bytes[offset + i] != Pattern(writer, sequence, i))
                    {
                        throw new Xunit.Sdk.XunitException($"frame {writer}/{sequence} corrupt at byte {i}");
                    }
                }

                frames.Add((writer, sequence));
            }

            offset += 4 + length;
        }

        offset.Should().Be(bytes.Length, "the stream ends on a frame boundary");
        return (frames, heartbeats);
    }
}
