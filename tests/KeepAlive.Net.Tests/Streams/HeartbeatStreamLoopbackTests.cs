using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using KeepAlive.Net.Tests.Heartbeats;
using KeepAlive.Net.Tests.TestSupport;

namespace KeepAlive.Net.Tests.Streams;

/// <summary>The wrapper on a real loopback TCP connection with the real scheduler: activity follows real traffic.</summary>
public sealed class HeartbeatStreamLoopbackTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1); // generous: the test's own 50 ms loop may stall on a loaded machine
    private static readonly byte[] NextMessage = "NEXT"u8.ToArray();
    private static readonly byte[] LargeHeartbeat = Enumerable.Repeat((byte)'H', 1 << 20).ToArray(); // more than the socket and the peer's window take

    [Fact]
    public async Task WriteAsync_TrafficEvery50ms_IdleHeartbeatSentOnlyAfterTrafficStops()
    {
        var ct = TestContext.Current.CancellationToken;
        using var connection = LoopbackConnection.Open();
        await using var stream = new HeartbeatStream(new NetworkStream(connection.Client, ownsSocket: false));
        await using var scheduler = new HeartbeatScheduler();
        var registration = stream.RegisterHeartbeat(scheduler, "H"u8.ToArray(), new HeartbeatOptions { Interval = Interval });
        var received = new ReceivedBytes(connection.Server);

        var registered = Stopwatch.GetTimestamp();
        var trafficEnd = registered + (2 * Stopwatch.Frequency);
        long lastWrite;
        var writes = 0;
        var idleGaps = 0; // the loop's own stalls: on a loaded machine a 50 ms delay once took over a second (CI, 22:50)
        var before = registered;
        do
        {
            await stream.WriteAsync("d"u8.ToArray(), ct);
            lastWrite = Stopwatch.GetTimestamp(); // just after the write marked activity
            if (Stopwatch.GetElapsedTime(before, lastWrite) >= Interval - TimeSpan.FromMilliseconds(50))
            {
                idleGaps++; // idle for about an interval (less the writes' own time): a heartbeat there is due, not a defect
            }

            before = lastWrite;
            writes++;
            await Task.Delay(50, ct);
        }
        while (Stopwatch.GetTimestamp() < trafficEnd);

        // Every write, however few a loaded machine let the loop make in 2 s (a fixed 20 waited 15 s for writes never made).
        await received.WaitForAsync(b => b.Count(x => x == 'd') >= writes, ct);
        // A heartbeat after the last write is the one the rest of the test waits for; one between writes is judged here.
        var traffic = received.Snapshot();
        var duringTraffic = traffic.Take(Array.LastIndexOf(traffic, (byte)'d')).Count(static b => b == 'H');
        duringTraffic.Should().BeLessThanOrEqualTo(idleGaps, "writes every 50 ms keep a 1 s idle heartbeat from being due: one may go only where the loop itself left the connection idle for an interval ({0} such gaps of {1} writes)", idleGaps, writes);

        await received.WaitForAsync(b => Array.LastIndexOf(b, (byte)'H') > Array.LastIndexOf(b, (byte)'d'), ct);
        Stopwatch.GetElapsedTime(lastWrite).Should().BeGreaterThanOrEqualTo(Interval - TimeSpan.FromMilliseconds(5), "the first heartbeat after the traffic waits a whole idle interval after the last write");
        SpinWait.SpinUntil(() => registration.GetStatistics().Sent >= duringTraffic + 1, TimeSpan.FromSeconds(5)).Should().BeTrue("the send that put H on the wire is accounted when it completes");
    }

    [Fact]
    public async Task Write_PeerStoppedReadingWhileAHeartbeatHoldsTheWritePath_WriteTimeoutStillEndsTheWrite()
    {
        // The peer stops reading and the socket's send buffer is full: the next writer waits for room. When that writer is
        // the heartbeat, its write holds the write path until the peer reads again, and a synchronous Write through the
        // wrapper waited for the path for ever, although WriteTimeout (which the wrapper forwards) was set: without the
        // wrapper the same Write fails with an IOException once WriteTimeout has passed.
        var ct = TestContext.Current.CancellationToken;
        using var connection = LoopbackConnection.Open();
        connection.Client.SendBufferSize = 4096;
        connection.Server.ReceiveBufferSize = 4096;
        FillSendBuffer(connection.Client);
        await using var stream = new HeartbeatStream(new NetworkStream(connection.Client, ownsSocket: false));
        using var telemetry = new TestTelemetry();
        await using var scheduler = new HeartbeatScheduler(null, telemetry, telemetry);
        stream.RegisterHeartbeat(scheduler, "PING"u8.ToArray(), FiftyMillisecondBeats());
        SpinWait.SpinUntil(() => telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendBlocked).Count > 0, TimeSpan.FromSeconds(10)).Should().BeTrue("the heartbeat waits for room the peer never makes");

        stream.CanTimeout.Should().BeTrue();
        stream.WriteTimeout = 500;
        var started = Stopwatch.GetTimestamp();
        var write = Task.Run(() => stream.Write("x"u8), ct);

        (await Task.WhenAny(write, Task.Delay(TimeSpan.FromSeconds(20), ct))).Should().BeSameAs(write, "WriteTimeout bounds a synchronous write, whoever holds the write path");
        var message = (await FluentActions.Awaiting(() => write).Should().ThrowAsync<IOException>()).Which.Message;
        message.Should().Match("*WriteTimeout (500ms)*heartbeat*");
        DurationText.NotReadBack(message).Should().BeEmpty("the message writes durations as configuration reads them: {0}", message);
        Stopwatch.GetElapsedTime(started).Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(490));
    }

    [Fact]
    public async Task RegistrationStopped_WhileAHeartbeatWaitsForRoom_TheHeartbeatIsNotCutMidwayBeforeTheNextMessage()
    {
        // The peer reads slowly and the heartbeat's send waits for room with part of it already in the socket. Stopping the
        // registration (the stream stays in use) cancelled that write midway: 175,589 of the heartbeat's 1,048,576 bytes
        // went out, then the application's next message, so the peer read a cut frame. A started stream write is not withdrawn
        // (as a socket heartbeat's send is not): it ends when the peer makes room, and only then does the next writer go.
        // Disposing the stream under such a write still counts the heartbeat as neither sent nor failed.
        var ct = TestContext.Current.CancellationToken;
        using var telemetry = new TestTelemetry();
        await using var scheduler = new HeartbeatScheduler(null, telemetry, telemetry);
        var heartbeat = LargeHeartbeat;
        foreach (var disposeStream in new[] { false, true })
        {
            using var connection = LoopbackConnection.Open();
            connection.Client.SendBufferSize = 4096;
            var stream = new HeartbeatStream(new NetworkStream(connection.Client, ownsSocket: true));
            var registration = stream.RegisterHeartbeat(scheduler, heartbeat, FiftyMillisecondBeats($"stream disposed {disposeStream}"));
            SpinWait.SpinUntil(() => registration.GetStatistics().Blocked > 0, TimeSpan.FromSeconds(10)).Should().BeTrue("the heartbeat waits for room the peer does not make yet");

            if (disposeStream)
            {
                await stream.DisposeAsync(); // closes the socket: the write waiting for room fails
                await Task.Delay(500, ct);
                registration.GetStatistics().Should().BeEquivalentTo(new { Sent = 0L, Failed = 0L }, "a heartbeat whose stream was disposed under it is neither sent nor failed");
                continue;
            }

            registration.Dispose();
            var received = new ReceivedBytes(connection.Server);
            await stream.WriteAsync("END"u8.ToArray(), ct);
            await received.WaitForAsync(b => b.Length >= 3 && b.AsSpan()[^3..].SequenceEqual("END"u8), ct);
            received.Snapshot().Should().Equal([.. heartbeat, .. "END"u8.ToArray()], "the heartbeat that had started went out whole, then the message");
            await stream.DisposeAsync();
        }

        telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendFailed).Should().BeEmpty();
    }

    [Fact]
    public async Task RegistrationStopped_WhileTheFlushAfterAHeartbeatCallbackWaitsForRoom_TheHeartbeatIsNotCutMidwayBeforeTheNextMessage()
    {
        // A heartbeat callback writes into a BufferedStream (the heartbeat fits its buffer), and the wrapper's flush after the
        // callback sends it. That flush took the heartbeat's cancellation token: stopping the registration while it waited for
        // room from a slow peer stopped it midway, part of the heartbeat on the wire and the whole of it still buffered, and
        // the application's next message followed (a cut heartbeat, the heartbeat again, then the message). As for a payload
        // heartbeat, a started write is not withdrawn: it ends when the peer makes room, before the next writer.
        var ct = TestContext.Current.CancellationToken;
        using var connection = LoopbackConnection.Open();
        connection.Client.SendBufferSize = 4096;
        await using var scheduler = new HeartbeatScheduler();
        await using var stream = new HeartbeatStream(new BufferedStream(new NetworkStream(connection.Client, ownsSocket: true), LargeHeartbeat.Length + 1));
        var registration = stream.RegisterHeartbeat(
            scheduler,
            FiftyMillisecondBeats(),
            (heartbeatStream, context) => heartbeatStream.WriteAsync(LargeHeartbeat, context.CancellationToken));
        SpinWait.SpinUntil(() => registration.GetStatistics().Blocked > 0, TimeSpan.FromSeconds(10)).Should().BeTrue("the heartbeat's flush waits for room the peer does not make yet");

        registration.Dispose();
        var received = new ReceivedBytes(connection.Server);
        await stream.WriteAsync("END"u8.ToArray(), ct);
        await stream.FlushAsync(ct);
        await received.WaitForAsync(b => b.Length >= 3 && b.AsSpan()[^3..].SequenceEqual("END"u8), ct);

        var wire = received.Snapshot();
        wire.Length.Should().Be(LargeHeartbeat.Length + 3, "the heartbeat that had started went out whole, once, then the message");
        wire.Should().Equal([.. LargeHeartbeat, .. "END"u8.ToArray()]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task OverATransportPipeAsStream_WriteCancelledByItsTokenBehindASlowPeer_TheMessageIsWholeAndHeartbeatsGoOn(bool writeAsync)
    {
        // The application's WriteAsync (or FlushAsync) through a HeartbeatStream over a transport's Pipe seen as a stream
        // (PipeWriter.AsStream()), ended by its send timeout while it waited for a slow peer (SlowPeerTransport). The wrapper
        // took that cancellation for a write cut midway: the next heartbeat, and every later one, failed "framing lost",
        // PeerDead was raised (whose handler closes the connection) and the registration ended.
        var ct = TestContext.Current.CancellationToken;
        using var transport = new SlowPeerTransport(ct);
        if (!writeAsync)
        {
            System.Buffers.BuffersExtensions.Write(transport.Pipe.Writer, SlowPeerTransport.Message); // not flushed yet: the application's FlushAsync sends it
        }

        var stream = new HeartbeatStream(transport.Pipe.Writer.AsStream());
        await using var scheduler = new HeartbeatScheduler();
        var registration = transport.Watch(stream.RegisterHeartbeat(scheduler, SlowPeerTransport.Heartbeat, SlowPeerTransport.Beats(TimeSpan.FromSeconds(1))));
        var peer = Task.Run(async () => // reads only after the send timeout: a heartbeat due at the message's end waits for it
        {
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
            return new ReceivedBytes(transport.Server);
        }, ct);

        await SlowPeerTransport.SendTimesOutAsync(token => writeAsync ? stream.WriteAsync(SlowPeerTransport.Message, token).AsTask() : stream.FlushAsync(token), ct);

        var received = await peer;
        await transport.AssertHeartbeatsGoOnAsync(registration, received, ct);
        await stream.DisposeAsync(); // completes the pipe's writer
        await transport.AssertMessageWholeThenOnlyHeartbeatsAsync(received, ct);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task OverATransportPipeAsStream_HeartbeatDueWhileAWriteWaitsForASlowPeer_NeitherThatWriteNorTheNextNorDisposeWaitsForThePeer(bool disposeBeforeThePeerReads, bool callback)
    {
        // The application's WriteAsync through a HeartbeatStream over a transport's Pipe seen as a stream waited for a peer
        // that did not read (SlowPeerTransport), and heartbeats came due meanwhile. Its token ended the pipe's wait, but the
        // thread ending the message then wrote the pending heartbeat with a blocking write to the pipe, which waited for the
        // same reader without a bound: the cancelled WriteAsync did not return, holding the write path, until the peer read.
        var ct = TestContext.Current.CancellationToken;
        var bound = TimeSpan.FromSeconds(10); // generous: a loaded 2-core machine; without the fix these wait for the peer, which reads only after them
        using var transport = new SlowPeerTransport(ct);
        var stream = new HeartbeatStream(transport.Pipe.Writer.AsStream());
        await using var scheduler = new HeartbeatScheduler();
        var beats = SlowPeerTransport.Beats(TimeSpan.FromMilliseconds(100));
        var registration = transport.Watch(callback
            ? stream.RegisterHeartbeat(scheduler, beats, (heartbeatStream, context) => heartbeatStream.WriteAsync(SlowPeerTransport.Heartbeat, context.CancellationToken))
            : stream.RegisterHeartbeat(scheduler, SlowPeerTransport.Heartbeat, beats));
        var peerReads = new TaskCompletionSource();
        var peer = Task.Run(async () =>
        {
            await peerReads.Task.WaitAsync(ct);
            return new ReceivedBytes(transport.Server);
        }, ct);
        try
        {
            var cancelled = SlowPeerTransport.SendTimesOutAsync(token => stream.WriteAsync(SlowPeerTransport.Message, token).AsTask(), ct);
            (await Task.WhenAny(cancelled, Task.Delay(bound, ct))).Should().BeSameAs(cancelled, "the write's token ends its wait for the peer, and a heartbeat due meanwhile does not wait for the peer either");
            await cancelled;

            using var nextTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            nextTimeout.CancelAfter(TimeSpan.FromMilliseconds(500));
            var next = stream.WriteAsync(NextMessage, nextTimeout.Token).AsTask();
            (await Task.WhenAny(next, Task.Delay(bound, ct))).Should().BeSameAs(next, "the next write ends with its own token");
            try
            {
                await next;
            }
            catch (OperationCanceledException byItsToken) when (byItsToken.CancellationToken == nextTimeout.Token)
            {
                // Ended by its own token: the peer still does not read.
            }

            if (disposeBeforeThePeerReads)
            {
                var dispose = stream.DisposeAsync().AsTask();
                (await Task.WhenAny(dispose, Task.Delay(bound, ct))).Should().BeSameAs(dispose, "disposing does not wait for the peer");
                await dispose;
            }
        }
        finally
        {
            peerReads.TrySetResult();
        }

        var received = await peer;
        if (!disposeBeforeThePeerReads)
        {
            await transport.AssertHeartbeatsGoOnAsync(registration, received, ct);
            await stream.DisposeAsync(); // completes the pipe's writer
        }

        await transport.AssertMessageWholeThenOnlyHeartbeatsAsync(received, ct, NextMessage);
    }

    [Fact]
    public async Task OverATransportPipeAsStream_DisposeLeavingItOpenWhileTheSchedulersHeartbeatWaitsForASlowPeer_ReturnsAndTheHeartbeatLeavesWholeOnceThePeerReads()
    {
        // A HeartbeatStream (leaveOpen) over a transport's Pipe seen as a stream, behind a peer that does not read
        // (SlowPeerTransport): the scheduler's heartbeat (more than the socket and the pipe's pause threshold take) waited for
        // the pipe's reader, and DisposeAsync waited for that write for the inner stream's WriteTimeout, which a pipe's stream
        // does not have: it waited until the peer read.
        var ct = TestContext.Current.CancellationToken;
        var bound = TimeSpan.FromSeconds(10); // generous: a loaded 2-core machine; without the fix it waits for the peer, which reads only after it
        using var transport = new SlowPeerTransport(ct);
        var stream = new HeartbeatStream(transport.Pipe.Writer.AsStream(), leaveOpen: true);
        await using var scheduler = new HeartbeatScheduler();
        var registration = transport.Watch(stream.RegisterHeartbeat(scheduler, LargeHeartbeat, SlowPeerTransport.Beats(TimeSpan.FromMilliseconds(100))));
        ReceivedBytes received;
        long sent;
        try
        {
            await Task.Delay(1000, ct); // heartbeats come due every 100 ms: the first waits for the pipe's reader, holding the others back
            sent = registration.GetStatistics().Sent;
            sent.Should().Be(0, "the scheduler's first heartbeat still waits for the peer");

            var dispose = stream.DisposeAsync().AsTask();
            (await Task.WhenAny(dispose, Task.Delay(bound, ct))).Should().BeSameAs(dispose, "disposing does not wait for the peer: a pipe's stream has no WriteTimeout");
            await dispose;
        }
        finally
        {
            received = new ReceivedBytes(transport.Server); // the peer reads again
        }

        await transport.Pipe.Writer.CompleteAsync(); // the application, which kept the pipe, closes it
        var wire = await transport.WireAsync(received, ct);
        wire.Length.Should().Be(LargeHeartbeat.Length, "the heartbeat that waited leaves whole once the peer reads, and no other was written after the disposal");
        wire.Should().OnlyContain(b => b == LargeHeartbeat[0]);
    }

    [Fact]
    public async Task DisposeLeavingTheInnerStreamOpen_WhileAHeartbeatWaitsForRoom_ReturnsOnceTheHeartbeatIsWritten()
    {
        // leaveOpen hands the connection back (to upgrade it to TLS, say): DisposeAsync returned at once while the heartbeat
        // still wrote to it, so the caller's next write collided with it (an SslStream throws "another write is pending").
        var ct = TestContext.Current.CancellationToken;
        await using var scheduler = new HeartbeatScheduler();
        var heartbeat = LargeHeartbeat;
        using var connection = LoopbackConnection.Open();
        connection.Client.SendBufferSize = 4096;
        await using var inner = new NetworkStream(connection.Client, ownsSocket: false);
        var stream = new HeartbeatStream(inner, leaveOpen: true);
        var registration = stream.RegisterHeartbeat(scheduler, heartbeat, FiftyMillisecondBeats());
        SpinWait.SpinUntil(() => registration.GetStatistics().Blocked > 0, TimeSpan.FromSeconds(10)).Should().BeTrue("the heartbeat waits for room the peer does not make yet");

        var disposal = stream.DisposeAsync().AsTask();
        await Task.Delay(500, ct);
        disposal.IsCompleted.Should().BeFalse("the heartbeat still writes to the stream handed back");

        var received = new ReceivedBytes(connection.Server);
        await disposal.WaitAsync(TimeSpan.FromSeconds(10), ct);
        await inner.WriteAsync("END"u8.ToArray(), ct);
        await received.WaitForAsync(b => b.Length >= 3 && b.AsSpan()[^3..].SequenceEqual("END"u8), ct);
        received.Snapshot().Should().Equal([.. heartbeat, .. "END"u8.ToArray()], "the heartbeat went out whole before the stream was handed back");
    }

    [Fact]
    public void DisposeLeavingTheInnerStreamOpen_HeartbeatStillWritingAfterWriteTimeout_ThrowsIOExceptionWithTheFix()
    {
        using var scheduler = new HeartbeatScheduler();
        var heartbeat = LargeHeartbeat;
        using var connection = LoopbackConnection.Open(); // the peer never reads
        connection.Client.SendBufferSize = 4096;
        using var inner = new NetworkStream(connection.Client, ownsSocket: false) { WriteTimeout = 300 };
        var stream = new HeartbeatStream(inner, leaveOpen: true);
        var registration = stream.RegisterHeartbeat(scheduler, heartbeat, FiftyMillisecondBeats());
        SpinWait.SpinUntil(() => registration.GetStatistics().Blocked > 0, TimeSpan.FromSeconds(10)).Should().BeTrue();

        var dispose = () => stream.Dispose();

        var message = dispose.Should().Throw<IOException>().WithMessage("*heartbeat*still*WriteTimeout of 300ms*Fix*").Which.Message;
        DurationText.NotReadBack(message).Should().BeEmpty("the message writes durations as configuration reads them: {0}", message);
    }

    [Fact]
    public async Task DisposeLeavingTheInnerStreamOpen_SocketAlreadyClosed_ReturnsWithoutThrowing()
    {
        // The PeerDead handler closes the socket (as docs/HEARTBEATS.md shows), then the HeartbeatStream made with leaveOpen
        // is disposed: Dispose read the NetworkStream's WriteTimeout (a socket option) to bound its wait for a heartbeat
        // still writing, even with none in flight, and threw ObjectDisposedException from Dispose/DisposeAsync.
        using var scheduler = new HeartbeatScheduler();
        using var connection = LoopbackConnection.Open();
        var inner = new NetworkStream(connection.Client, ownsSocket: true);
        var stream = new HeartbeatStream(inner, leaveOpen: true);
        var asynchronous = new HeartbeatStream(inner, leaveOpen: true);
        var registration = stream.RegisterHeartbeat(scheduler, "H"u8.ToArray(), new HeartbeatOptions { Interval = TimeSpan.FromSeconds(1) });

        connection.Client.Close(); // the socket under both wrappers, as a PeerDead handler closes it

        stream.Invoking(static s => s.Dispose()).Should().NotThrow("disposing never fails for a connection that is already closed");
        await asynchronous.Awaiting(static s => s.DisposeAsync().AsTask()).Should().NotThrowAsync();
        registration.IsLive.Should().BeFalse("disposing the stream stopped its heartbeat");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Write_SocketClosedWhileAHeartbeatHoldsTheWritePath_FailsAsTheNetworkStreamsOwnWriteDoesNotWithTheSocketsObjectDisposedException(bool asynchronously)
    {
        // The PeerDead handler (or the application) closes the socket while a heartbeat writer holds the write path. A blocking
        // Write then read the NetworkStream's WriteTimeout (a socket option) to bound its wait for the path, and threw the
        // Socket's ObjectDisposedException (ObjectName "System.Net.Sockets.Socket") at once, where WriteAsync waited for the path
        // and failed as the NetworkStream's own write does (IOException): the documented "as a write to that stream would".
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        using var connection = LoopbackConnection.Open();
        var inner = new NetworkStream(connection.Client, ownsSocket: false);
        await using var stream = new HeartbeatStream(inner);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        stream.RegisterHeartbeat(manual.Scheduler, new HeartbeatOptions { Interval = ManualScheduler.Second, Spread = TimeSpan.Zero }, async (writer, context) =>
        {
            holding.TrySetResult();
            await release.Task; // holds the write path, as a heartbeat waiting for room does
            await writer.WriteAsync("PING"u8.ToArray(), context.CancellationToken);
        });
        manual.Step(TimeSpan.FromMilliseconds(1100), ManualScheduler.Tick);
        await holding.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        connection.Client.Close();
        var direct = FluentActions.Invoking(() => inner.Write("x"u8)).Should().Throw<Exception>().Which.GetType();

        var write = asynchronously ? stream.WriteAsync("x"u8.ToArray(), ct).AsTask() : Task.Run(() => stream.Write("x"u8), ct);
        await Task.Delay(200, ct);
        release.SetResult(); // the heartbeat's write fails on the closed socket and lets the path go

        var thrown = (await write.Awaiting(w => w.WaitAsync(TimeSpan.FromSeconds(10), ct)).Should().ThrowAsync<Exception>()).Which;
        thrown.Should().BeOfType(direct, "the write fails as the NetworkStream's own write on the closed socket does");
        thrown.Should().NotBeOfType<ObjectDisposedException>("the HeartbeatStream is not disposed, and the socket is not the object the caller writes to");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Write_PeerResetWhileTheMessageWaitsForRoom_ThePeerIsDeclaredDeadOnceForThatResetAndNoHeartbeatIsWritten(bool asynchronously)
    {
        // The in-memory tests of a message cut midway (HeartbeatStreamLogicTests) on a real connection: the peer stops reading,
        // the application's message fills the socket's buffers and waits for room with part of it on the wire, a heartbeat
        // comes due behind it, and the peer resets the connection (linger 0, then close: RST). The write fails with the
        // kernel's error; no heartbeat may be written after the part of the message, the peer is declared dead once, for
        // that error, and the registration ends.
        var ct = TestContext.Current.CancellationToken;
        using var control = LoopbackConnection.Open();
        var direct = await WriteUntilThePeerResetsAsync(control, new NetworkStream(control.Client, ownsSocket: false), asynchronously, static () => Task.CompletedTask, ct);
        var kernels = direct.InnerException.Should().BeOfType<SocketException>().Subject.SocketErrorCode; // Linux 6: TimedOut blocking, ConnectionReset asynchronously

        using var connection = LoopbackConnection.Open();
        await using var stream = new HeartbeatStream(new NetworkStream(connection.Client, ownsSocket: false));
        using var telemetry = new TestTelemetry();
        await using var scheduler = new HeartbeatScheduler(null, telemetry, telemetry);
        var interval = TimeSpan.FromMilliseconds(100);
        var heartbeatWrites = 0;
        var deaths = new ConcurrentQueue<string>();
        HeartbeatRegistration? registration = null;
        var failure = await WriteUntilThePeerResetsAsync(connection, stream, asynchronously, async () =>
        {
            // Registered once part of the message is on the wire: every heartbeat written from here on would follow that part.
            registration = stream.RegisterHeartbeat(scheduler, new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = interval, Spread = TimeSpan.Zero }, (writer, context) =>
            {
                Interlocked.Increment(ref heartbeatWrites);
                return writer.WriteAsync("PING"u8.ToArray(), context.CancellationToken);
            });
            registration.PeerDead += (_, e) => deaths.Enqueue(e.Reason);
            await Task.Delay(3 * interval, ct); // a heartbeat comes due and waits behind the message
        }, ct);

        failure.InnerException.Should().BeOfType<SocketException>().Which.SocketErrorCode.Should().Be(kernels, "the write fails as the NetworkStream's own does when its peer resets");
        SpinWait.SpinUntil(() => !deaths.IsEmpty, TimeSpan.FromSeconds(20)).Should().BeTrue("the next heartbeat finds the message cut");
        await Task.Delay(5 * interval, ct); // the intervals at which a heartbeat, or a second PeerDead, would follow

        deaths.Should().ContainSingle("the connection is lost for good: the peer is declared dead once")
            .Which.Should().Contain(failure.Message, "the reason names the write's failure, the peer's reset ({0})", kernels);
        Volatile.Read(ref heartbeatWrites).Should().Be(0, "no heartbeat is written after the part of the message");
        registration!.GetStatistics().Sent.Should().Be(0);
        registration.IsLive.Should().BeFalse("PeerDead ends the registration");
        scheduler.RegistrationCount.Should().Be(0);
        telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendFailed).Should().BeEmpty("no heartbeat is retried on a connection that is lost");
    }

    // Writes through stream a message more than loopback's buffers hold to a peer that never reads; once part of it reached
    // the peer (the rest waits for room), runs whileWaitingForRoom, resets the connection from the peer (linger 0, then close:
    // RST), and returns how the write failed.
    private static async Task<IOException> WriteUntilThePeerResetsAsync(LoopbackConnection connection, Stream stream, bool asynchronously, Func<Task> whileWaitingForRoom, CancellationToken ct)
    {
        var message = new byte[64 * 1024 * 1024];
        var write = asynchronously ? stream.WriteAsync(message, ct).AsTask() : Task.Run(() => stream.Write(message), ct);
        SpinWait.SpinUntil(() => connection.Server.Available > 0, TimeSpan.FromSeconds(20)).Should().BeTrue("part of the message reaches the peer");
        await whileWaitingForRoom();
        write.IsCompleted.Should().BeFalse("the rest of the message waits for room the peer never makes");

        connection.Server.LingerState = new LingerOption(true, 0);
        connection.Server.Close();
        return (await write.Awaiting(w => w.WaitAsync(TimeSpan.FromSeconds(20), ct)).Should().ThrowAsync<IOException>("the application sees its own write fail")).Which;
    }

    [Fact]
    public void RegisterHeartbeat_NetworkStreamWhoseSocketIsClosed_RefusedUpFrontAsRegisterSocketRefusesADisposedSocket()
    {
        // The socket under a NetworkStream is closed (the stream itself is not disposed, so CanWrite stays true): the
        // registration was accepted and its first heartbeat ended it with PeerDead, where RegisterSocket refuses the same
        // socket at once with ObjectDisposedException and the fix.
        using var manual = new ManualScheduler();
        using var connection = LoopbackConnection.Open();
        using var inner = new NetworkStream(connection.Client, ownsSocket: false);
        using var stream = new HeartbeatStream(inner);
        connection.Client.Close();
        inner.CanWrite.Should().BeTrue("the NetworkStream does not know its socket was closed");

        stream.Invoking(s => s.RegisterHeartbeat(manual.Scheduler, "PING"u8.ToArray(), new HeartbeatOptions { Interval = ManualScheduler.Second }))
            .Should().Throw<ObjectDisposedException>().WithMessage("The socket is disposed*Fix: register the heartbeat right after connecting*");
        stream.Invoking(s => s.RegisterHeartbeat(manual.Scheduler, new HeartbeatOptions(), (w, c) => w.WriteAsync("PING"u8.ToArray(), c.CancellationToken)))
            .Should().Throw<ObjectDisposedException>().WithMessage("The socket is disposed*Fix:*");
        manual.Scheduler.RegistrationCount.Should().Be(0);
        stream.Registration.Should().BeNull();
        manual.Scheduler.Invoking(s => s.RegisterSocket(connection.Client, "PING"u8.ToArray(), new HeartbeatOptions()))
            .Should().Throw<ObjectDisposedException>().WithMessage("The socket is disposed*", "the same rule refuses the socket itself");
    }

    [Fact]
    public void RegisterHeartbeat_NetworkStreamWhoseSocketWasShutDown_RefusedUpFrontAsRegisterSocketRefusesThatSocket()
    {
        // Socket.Shutdown(Send) under a NetworkStream (which still says CanWrite): the registration was accepted and its first
        // heartbeat failed on the shut-down socket, where RegisterSocket refuses the same socket at once, saying so, with the fix.
        using var manual = new ManualScheduler();
        using var connection = LoopbackConnection.Open();
        using var stream = new HeartbeatStream(new NetworkStream(connection.Client, ownsSocket: false));
        connection.Client.Shutdown(SocketShutdown.Send);
        stream.CanWrite.Should().BeTrue("the NetworkStream does not know its socket was shut down");
        var direct = manual.Scheduler.Invoking(s => s.RegisterSocket(connection.Client, "PING"u8.ToArray(), new HeartbeatOptions()))
            .Should().Throw<ArgumentException>().WithMessage("*shut down*Fix:*").Which.Message;

        stream.Invoking(s => s.RegisterHeartbeat(manual.Scheduler, "PING"u8.ToArray(), new HeartbeatOptions { Interval = ManualScheduler.Second }))
            .Should().Throw<ArgumentException>().Which.Message.Should().Be(direct, "one rule refuses the socket, under a stream or not");
        manual.Scheduler.RegistrationCount.Should().Be(0);
        stream.Registration.Should().BeNull();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RegisterHeartbeat_SslStreamWhoseSocketIsClosedOrShutDown_RefusedAsOverTheNetworkStreamItself(bool closed)
    {
        // The socket under an authenticated SslStream is closed (a PeerDead handler closed it) or shut down: the SslStream and
        // its NetworkStream still say CanWrite, so the registration was accepted and its first heartbeat ended it with PeerDead,
        // where a HeartbeatStream straight over that NetworkStream refuses it at once, saying why, with the fix.
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        using var tls = await TlsLoopbackConnection.OpenAsync(ct);
        using var overTls = new HeartbeatStream(tls.Client, leaveOpen: true);
        using var overTcp = new HeartbeatStream(new NetworkStream(tls.Connection.Client, ownsSocket: false));
        using (var open = new HeartbeatStream(tls.Client, leaveOpen: true))
        {
            open.RegisterHeartbeat(manual.Scheduler, "PING"u8.ToArray(), new HeartbeatOptions()).IsLive.Should().BeTrue("the session's socket is still open");
        }

        if (closed)
        {
            tls.Connection.Client.Close();
        }
        else
        {
            tls.Connection.Client.Shutdown(SocketShutdown.Send);
        }

        tls.Client.CanWrite.Should().BeTrue("neither the SslStream nor its NetworkStream knows what happened to the socket");
        var direct = overTcp.Invoking(s => s.RegisterHeartbeat(manual.Scheduler, "PING"u8.ToArray(), new HeartbeatOptions()))
            .Should().Throw<Exception>().Which;
        direct.Should().BeOfType(closed ? typeof(ObjectDisposedException) : typeof(ArgumentException));

        foreach (var register in new Func<HeartbeatStream, HeartbeatRegistration>[]
        {
            s => s.RegisterHeartbeat(manual.Scheduler, "PING"u8.ToArray(), new HeartbeatOptions { Interval = ManualScheduler.Second }),
            s => s.RegisterHeartbeat(manual.Scheduler, new HeartbeatOptions(), (w, c) => w.WriteAsync("PING"u8.ToArray(), c.CancellationToken)),
        })
        {
            var refused = overTls.Invoking(register).Should().Throw<Exception>().Which;
            refused.Should().BeOfType(direct.GetType(), "one rule refuses the socket, under an SslStream or not");
            refused.Message.Should().Be(direct.Message).And.Contain("Fix:");
        }

        manual.Scheduler.RegistrationCount.Should().Be(0);
        overTls.Registration.Should().BeNull();
    }

    [Fact]
    public async Task BeginMessage_OverANetworkStream_TheScopesStreamForwardsTheConnectionsWriteTimeout()
    {
        // The scope's stream writes straight to the NetworkStream, so its writes do time out after the connection's
        // WriteTimeout; it said CanTimeout false and threw "Timeouts are not supported on this stream" for WriteTimeout, so
        // code that sets or honours a stream's timeout when CanTimeout (a frame writer given message.Stream) skipped it.
        using var connection = LoopbackConnection.Open();
        await using var stream = new HeartbeatStream(new NetworkStream(connection.Client, ownsSocket: false));
        stream.WriteTimeout = 700;
        await using var message = await stream.BeginMessageAsync(TestContext.Current.CancellationToken);
        var view = message.Stream;

        view.CanTimeout.Should().BeTrue("its writes go to a NetworkStream, which times out");
        view.WriteTimeout.Should().Be(700);
        view.WriteTimeout = 900;
        stream.WriteTimeout.Should().Be(900, "the scope's stream is a view of the connection");
        view.Invoking(v => v.ReadTimeout).Should().Throw<NotSupportedException>().WithMessage("*only writes*Fix:*");
    }

    [Fact]
    public async Task BeginWrite_WhileABeginReadWaitsForThePeer_GoesOutAtOnceAsOnTheNetworkStreamItself()
    {
        // Code written against the APM pattern (BeginRead/BeginWrite) reads and writes a NetworkStream or an SslStream at
        // once. Stream's own BeginRead/BeginWrite, which HeartbeatStream inherited, serialize reads and writes on one
        // semaphore: a BeginRead waiting for a silent peer blocked the thread calling BeginWrite until the peer spoke.
        var ct = TestContext.Current.CancellationToken;
        using var connection = LoopbackConnection.Open();
        await using var stream = new HeartbeatStream(new NetworkStream(connection.Client, ownsSocket: false));
        await using var scheduler = new HeartbeatScheduler();
        stream.RegisterHeartbeat(scheduler, "H"u8.ToArray(), new HeartbeatOptions { Interval = TimeSpan.FromMinutes(1) });
        var readBuffer = new byte[16];
        var read = stream.BeginRead(readBuffer, 0, readBuffer.Length, null, null); // the peer says nothing yet
        var payload = "data"u8.ToArray();

        var write = Task.Run(() => stream.EndWrite(stream.BeginWrite(payload, 0, payload.Length, null, null)), ct);

        (await Task.WhenAny(write, Task.Delay(TimeSpan.FromSeconds(10), ct))).Should().BeSameAs(write, "a write does not wait for a read of the peer's next bytes");
        await write;
        var received = new byte[payload.Length];
        connection.Server.ReceiveTimeout = 10_000;
        for (var n = 0; n < received.Length;)
        {
            var got = connection.Server.Receive(received.AsSpan(n));
            got.Should().BePositive("the write went out");
            n += got;
        }

        received.Should().Equal(payload);
        read.IsCompleted.Should().BeFalse("the peer has not spoken yet");
        connection.Server.Send("pong"u8);
        var count = await Task.Run(() => stream.EndRead(read), ct).WaitAsync(TimeSpan.FromSeconds(10), ct);
        readBuffer.AsSpan(0, count).ToArray().Should().Equal("pong"u8.ToArray()[..count]);
    }

    // Writes to the socket until the peer's receive window and the socket's send buffer are full.
    // A heartbeat every 50 ms, reported blocked once its send has waited 100 ms.
    private static HeartbeatOptions FiftyMillisecondBeats(string? name = null) =>
        new() { Name = name, Mode = HeartbeatMode.FixedRate, Interval = TimeSpan.FromMilliseconds(50), BlockedCallbackThreshold = TimeSpan.FromMilliseconds(100), Spread = TimeSpan.Zero };

    private static void FillSendBuffer(Socket socket)
    {
        socket.Blocking = false;
        var chunk = new byte[4096];
        try
        {
            while (true)
            {
                socket.Send(chunk);
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
        {
        }
        finally
        {
            socket.Blocking = true;
        }
    }

    [Fact]
    public async Task ReadAsync_PeerSendsEvery50ms_LivenessTimeoutFiresOnlyAfterPeerStops()
    {
        var ct = TestContext.Current.CancellationToken;
        using var connection = LoopbackConnection.Open();
        await using var stream = new HeartbeatStream(new NetworkStream(connection.Client, ownsSocket: false));
        await using var scheduler = new HeartbeatScheduler();
        var timeout = TimeSpan.FromMilliseconds(1500);
        var registration = stream.RegisterHeartbeat(scheduler, "H"u8.ToArray(), new HeartbeatOptions { Interval = TimeSpan.FromMilliseconds(500), Timeout = timeout });
        var dead = new TaskCompletionSource<PeerDeadEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        registration.PeerDead += (_, e) => dead.TrySetResult(e);
        var reader = Task.Run(async () =>
        {
            var buffer = new byte[64];
            while (await stream.ReadAsync(buffer, ct) > 0)
            {
            }
        }, ct);

        var peerEnd = Stopwatch.GetTimestamp() + (2 * Stopwatch.Frequency);
        long stopped;
        do
        {
            connection.Server.Send("p"u8);
            stopped = Stopwatch.GetTimestamp(); // the peer's last word: it is read (and marked) after this
            await Task.Delay(50, ct);
        }
        while (Stopwatch.GetTimestamp() < peerEnd);

        dead.Task.IsCompleted.Should().BeFalse("the peer spoke every 50 ms, well within the 1.5 s timeout");
        var args = await dead.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Stopwatch.GetElapsedTime(stopped).Should().BeGreaterThanOrEqualTo(timeout - TimeSpan.FromMilliseconds(5));
        args.SilentFor.Should().BeGreaterThanOrEqualTo(timeout);
        connection.Server.Shutdown(SocketShutdown.Send);
        await reader.WaitAsync(TimeSpan.FromSeconds(10), ct);
    }
}
