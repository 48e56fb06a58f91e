using System.IO.Pipelines;
using System.Net.Sockets;
using KeepAlive.Net.Tests.Heartbeats;
using KeepAlive.Net.Tests.TestSupport;

namespace KeepAlive.Net.Tests.Streams;

/// <summary>The System.IO.Pipelines wrapper: activity from flushes and new bytes, heartbeats only between messages.</summary>
public sealed class HeartbeatDuplexPipeTests
{
    private static readonly byte[] Ping = "PING"u8.ToArray();

    [Fact]
    public async Task Output_FlushEveryHalfInterval_IdleHeartbeatPostponedUntilFlushesStop()
    {
        using var manual = new ManualScheduler();
        var (pipe, wire, _) = InMemory();
        var registration = pipe.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Interval = ManualScheduler.Second });

        for (var i = 0; i < 8; i++)
        {
            manual.Step(TimeSpan.FromMilliseconds(500), ManualScheduler.Tick);
            await pipe.Output.WriteAsync("x"u8.ToArray(), TestContext.Current.CancellationToken);
        }

        registration.GetStatistics().Sent.Should().Be(0);
        manual.Step(TimeSpan.FromMilliseconds(1100), ManualScheduler.Tick);
        registration.GetStatistics().Sent.Should().Be(1);
        pipe.Output.Complete();
        (await ReadAllAsync(wire)).Should().Equal([.. "xxxxxxxx"u8.ToArray(), .. Ping]);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task Output_FlushOverAStreamFailedAfterPartOfTheMessageWentOut_NoHeartbeatFollowsThatPartAndThePeerIsDeclaredDeadOnce(bool dueDuringTheFlush, bool advance)
    {
        // A writer over a stream (PipeWriter.Create) whose flush of the application's message put part of it on the wire, then
        // failed (a write past WriteTimeout): the heartbeat that came due during it, and the next ones at every interval, were
        // written right after that part, so the peer read them as the rest of the message, and each counted as sent.
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var message = "LONG-MESSAGE"u8.ToArray();
        var connection = new CuttingWriteStream(
            message,
            TimingOutStream.TimedOut,
            whileWriting: () =>
            {
                if (dueDuringTheFlush)
                {
                    manual.Step(TimeSpan.FromMilliseconds(1100), ManualScheduler.Tick); // the heartbeat comes due and waits for the flush
                }
            });
        var pipe = new HeartbeatDuplexPipe(new StreamDuplexPipe(PipeReader.Create(new MemoryStream()), PipeWriter.Create(connection)));
        var registration = pipe.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = ManualScheduler.Second, Spread = TimeSpan.Zero });
        var deaths = new List<string>();
        registration.PeerDead += (_, e) => deaths.Add(e.Reason);

        if (advance)
        {
            message.CopyTo(pipe.Output.GetSpan(message.Length));
            pipe.Output.Advance(message.Length);
            await pipe.Output.Awaiting(o => o.FlushAsync(ct).AsTask()).Should().ThrowAsync<IOException>();
        }
        else
        {
            await pipe.Output.Awaiting(o => o.WriteAsync(message, ct).AsTask()).Should().ThrowAsync<IOException>();
        }

        manual.Step(TimeSpan.FromSeconds(5), ManualScheduler.Tick);

        connection.Written().Should().Equal(message[..(message.Length / 2)], "nothing may follow the part of the message: the peer would read it as the rest");
        deaths.Should().ContainSingle("the connection's framing is lost for good: the peer is declared dead once")
            .Which.Should().Contain("part of a message").And.Contain("timed out").And.Contain("Fix:");
        registration.GetStatistics().Sent.Should().Be(0);
        manual.Scheduler.RegistrationCount.Should().Be(0);
    }

    [Fact]
    public async Task Output_EmptyFlushesAndWritesAndWritesCancelledBeforeTheyStart_AreNotActivityAndDoNotPostponeTheIdleHeartbeat()
    {
        // A flush with nothing written (a framework flushing after every read loop, an empty WriteAsync) puts nothing on
        // the wire: the idle connection still needs its heartbeat. A flush that carries bytes still counts. A
        // WriteAsync whose token was cancelled before the call does not: the pipe writes nothing of it (it was counted as
        // bytes to flush, and the next flush, empty, marked activity: no idle heartbeat went out).
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var (pipe, wire, _) = InMemory();
        var registration = pipe.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Interval = ManualScheduler.Second, Spread = TimeSpan.Zero });

        for (var i = 0; i < 6; i++)
        {
            manual.Step(TimeSpan.FromMilliseconds(500), ManualScheduler.Tick);
            await pipe.Output.FlushAsync(ct);
            await pipe.Output.WriteAsync(ReadOnlyMemory<byte>.Empty, ct);
            await pipe.Output.Awaiting(o => o.WriteAsync("x"u8.ToArray(), new CancellationToken(canceled: true)).AsTask()).Should().ThrowAsync<OperationCanceledException>();
            pipe.Output.GetSpan(8);
            pipe.Output.Advance(0);
            await pipe.Output.FlushAsync(ct);
        }

        var idle = registration.GetStatistics().Sent;
        idle.Should().BeGreaterThanOrEqualTo(2, "3 s with nothing on the wire is idle, whatever empty flushes and cancelled writes were made");
        for (var i = 0; i < 6; i++)
        {
            manual.Step(TimeSpan.FromMilliseconds(500), ManualScheduler.Tick);
            "x"u8.CopyTo(pipe.Output.GetSpan(1));
            pipe.Output.Advance(1);
            await pipe.Output.FlushAsync(ct);
        }

        registration.GetStatistics().Sent.Should().Be(idle, "a flush that carries bytes is activity");
        pipe.Output.Complete();
        (await ReadAllAsync(wire)).Should().Equal([.. Enumerable.Repeat(Ping, (int)idle).SelectMany(static p => p), .. "xxxxxx"u8.ToArray()]);
    }

    [Fact]
    public async Task Input_NewBytesWithinTimeout_PeerAliveAndRereadingOldBytesDoesNotCount()
    {
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var (pipe, _, peer) = InMemory();
        using var registration = manual.Scheduler.Register(new HeartbeatOptions { Interval = ManualScheduler.Second, Timeout = TimeSpan.FromSeconds(2) }, _ => ValueTask.CompletedTask);
        pipe.TrackActivity(registration);
        var dead = 0;
        registration.PeerDead += (_, _) => dead++;

        for (var i = 0; i < 4; i++)
        {
            manual.Step(TimeSpan.FromMilliseconds(1500), ManualScheduler.Tick);
            await peer.WriteAsync("abc"u8.ToArray(), ct);
            var result = await pipe.Input.ReadAsync(ct);
            result.Buffer.Length.Should().Be(3 * (i + 1));
            pipe.Input.AdvanceTo(result.Buffer.Start); // nothing consumed
        }

        dead.Should().Be(0, "new bytes every 1.5 s keep a 2 s timeout from firing");
        for (var i = 0; i < 6; i++)
        {
            manual.Step(TimeSpan.FromMilliseconds(500), ManualScheduler.Tick);
            pipe.Input.TryRead(out var again).Should().BeTrue();
            again.Buffer.Length.Should().Be(12);
            pipe.Input.AdvanceTo(again.Buffer.Start);
        }

        dead.Should().Be(1, "reading the same unconsumed bytes again is not the peer speaking");
    }

    [Theory]
    [InlineData("twice")]
    [InlineData("before any read")]
    public async Task Input_AdvanceToMisused_ThrowsTheInnerReadersOwnException(string misuse)
    {
        // A misuse of PipeReader.AdvanceTo is the inner reader's to refuse: the application must see the exception it would
        // see without the wrapper. The wrapper sliced the previous read's buffer first and threw its own (an
        // ArgumentOutOfRangeException from ReadOnlySequence) before the inner reader was asked.
        var ct = TestContext.Current.CancellationToken;
        var bare = new Pipe();
        var (pipe, _, peer) = InMemory();
        var elsewhere = new Pipe();
        await elsewhere.Writer.WriteAsync("zzz"u8.ToArray(), ct);
        var foreign = (await elsewhere.Reader.ReadAsync(ct)).Buffer.End;

        var expected = await MisuseAsync(bare.Reader, bare.Writer);
        var actual = await MisuseAsync(pipe.Input, peer);

        expected.Should().NotBeNull("the inner reader refuses this misuse");
        actual.Should().NotBeNull().And.BeOfType(expected!.GetType());
        actual!.Message.Should().Be(expected.Message);

        async Task<Exception?> MisuseAsync(PipeReader reader, PipeWriter writer)
        {
            await writer.WriteAsync("abc"u8.ToArray(), ct);
            if (misuse == "before any read")
            {
                return Record.Exception(() => reader.AdvanceTo(foreign));
            }

            var read = await reader.ReadAsync(ct);
            reader.AdvanceTo(read.Buffer.End);
            return Record.Exception(() => reader.AdvanceTo(read.Buffer.End));
        }
    }

    [Fact]
    public async Task Output_HeartbeatDueMidMessageOnLoopback_FollowsTheFlushedMessage()
    {
        var ct = TestContext.Current.CancellationToken;
        using var connection = LoopbackConnection.Open();
        var received = new ReceivedBytes(connection.Server);
        var network = new NetworkStream(connection.Client, ownsSocket: false);
        var pipe = new HeartbeatDuplexPipe(new StreamDuplexPipe(PipeReader.Create(network), PipeWriter.Create(network)));
        await using var scheduler = new HeartbeatScheduler();
        using var registration = pipe.RegisterHeartbeat(scheduler, "|HB|"u8.ToArray(), new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = TimeSpan.FromMilliseconds(50) });

        "<head"u8.CopyTo(pipe.Output.GetSpan(5));
        pipe.Output.Advance(5);
        await Task.Delay(300, ct);
        registration.GetStatistics().Sent.Should().Be(0, "the due heartbeat waits for the message's flush");
        await pipe.Output.WriteAsync("body>"u8.ToArray(), ct);

        await received.WaitForAsync(b => b.Length >= 14, ct);
        System.Text.Encoding.ASCII.GetString(received.Snapshot()).Should().StartWith("<headbody>|HB|");
    }

    [Fact]
    public async Task Output_FedByStreamCopyToAsyncFromAnIdleSource_HeartbeatsStillGoOutWhileTheSourceIsSilent()
    {
        // A proxy: `await upstream.CopyToAsync(pipe.Output)` (StreamPipeExtensions.CopyToAsync) forwards what an upstream
        // connection sends. PipeWriter's CopyFromAsync takes GetMemory, then waits for the upstream to send into it: that
        // GetMemory began a message, so while the upstream was silent (the idle connection the heartbeat is for) the
        // write path was held and every heartbeat waited for a flush that never came.
        var ct = TestContext.Current.CancellationToken;
        using var downstream = LoopbackConnection.Open();
        using var upstream = LoopbackConnection.Open();
        var received = new ReceivedBytes(downstream.Server);
        var network = new NetworkStream(downstream.Client, ownsSocket: false);
        var pipe = new HeartbeatDuplexPipe(new StreamDuplexPipe(PipeReader.Create(network), PipeWriter.Create(network)));
        await using var scheduler = new HeartbeatScheduler();
        using var registration = pipe.RegisterHeartbeat(scheduler, "|HB|"u8.ToArray(), new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = TimeSpan.FromMilliseconds(100), Spread = TimeSpan.Zero });

        var copy = new NetworkStream(upstream.Server, ownsSocket: false).CopyToAsync(pipe.Output, ct);
        await ThreeSentOrTwentySecondsAsync(registration, ct);
        registration.GetStatistics().Sent.Should().BeGreaterThanOrEqualTo(3, "the upstream is silent, so the downstream connection is idle and its heartbeats are due every 100 ms");
        await received.WaitForAsync(b => b.Length >= 12, ct);

        upstream.Client.Send("<message>"u8);
        upstream.Client.Shutdown(SocketShutdown.Send);
        await copy.WaitAsync(TimeSpan.FromSeconds(15), ct);
        await received.WaitForAsync(b => System.Text.Encoding.ASCII.GetString(b).Contains("<message>", StringComparison.Ordinal), ct);
        System.Text.Encoding.ASCII.GetString(received.Snapshot()).Replace("|HB|", string.Empty, StringComparison.Ordinal).Should().Be("<message>", "the forwarded bytes go out whole, heartbeats only around them");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Output_OverATransportPipe_WriteCancelledByItsTokenBehindASlowPeer_TheMessageIsWholeAndHeartbeatsGoOn(bool writeAsync)
    {
        // The application's WriteAsync (or FlushAsync) on a transport's Pipe, ended by its send timeout while it waited for a
        // slow peer (SlowPeerTransport). The wrapper took that cancellation for a write cut midway: the heartbeat due
        // meanwhile, and every later one, failed "framing lost", PeerDead was raised (whose handler closes the connection)
        // and the registration ended.
        var ct = TestContext.Current.CancellationToken;
        using var transport = new SlowPeerTransport(ct);
        var pipe = new HeartbeatDuplexPipe(new StreamDuplexPipe(PipeReader.Create(transport.Network), transport.Pipe.Writer));
        await using var scheduler = new HeartbeatScheduler();
        using var registration = transport.Watch(pipe.RegisterHeartbeat(scheduler, SlowPeerTransport.Heartbeat, SlowPeerTransport.Beats(TimeSpan.FromMilliseconds(100))));
        if (!writeAsync)
        {
            System.Buffers.BuffersExtensions.Write(pipe.Output, SlowPeerTransport.Message);
        }

        await SlowPeerTransport.SendTimesOutAsync(token => writeAsync ? pipe.Output.WriteAsync(SlowPeerTransport.Message, token).AsTask() : pipe.Output.FlushAsync(token).AsTask(), ct);

        var received = new ReceivedBytes(transport.Server); // the peer reads again
        await transport.AssertHeartbeatsGoOnAsync(registration, received, ct);
        await pipe.Output.CompleteAsync();
        await transport.AssertMessageWholeThenOnlyHeartbeatsAsync(received, ct);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Output_OverATransportPipe_MessageBegunWithAdvanceThenACallCancelledBeforeItStarts_NoHeartbeatGoesInsideTheMessage(bool writeAsync)
    {
        // The application advances a message's header (GetSpan/Advance, not flushed), then its WriteAsync of the body (or its
        // FlushAsync) is called with a token already cancelled: the Pipe returns cancelled before it commits anything. The
        // write path was let go with the header still uncommitted in the pipe, and the heartbeat due then was written after
        // it and flushed with it: the peer read the header, a heartbeat, then the body (framing broken).
        var ct = TestContext.Current.CancellationToken;
        using var transport = new SlowPeerTransport(ct);
        var received = new ReceivedBytes(transport.Server); // the peer reads
        var pipe = new HeartbeatDuplexPipe(new StreamDuplexPipe(PipeReader.Create(transport.Network), transport.Pipe.Writer));
        await using var scheduler = new HeartbeatScheduler();
        using var registration = transport.Watch(pipe.RegisterHeartbeat(scheduler, SlowPeerTransport.Heartbeat, SlowPeerTransport.Beats(TimeSpan.FromMilliseconds(50))));
        const int Header = 5;
        SlowPeerTransport.Message.AsSpan(0, Header).CopyTo(pipe.Output.GetSpan(Header));
        pipe.Output.Advance(Header);
        var body = SlowPeerTransport.Message.AsMemory(Header);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await pipe.Output.Awaiting(o => writeAsync ? o.WriteAsync(body, cancelled.Token).AsTask() : o.FlushAsync(cancelled.Token).AsTask())
            .Should().ThrowAsync<OperationCanceledException>();
        await Task.Delay(500, ct); // heartbeats come due every 50 ms meanwhile

        await pipe.Output.WriteAsync(body, ct); // the application finishes its message
        await transport.AssertHeartbeatsGoOnAsync(registration, received, ct);
        await pipe.Output.CompleteAsync();
        await transport.AssertMessageWholeThenOnlyHeartbeatsAsync(received, ct);
    }

    [Fact]
    public async Task Heartbeat_OverAStreamWhoseWritesCompleteAsynchronously_SentNotFailedAsPeerNotReading()
    {
        // PipeWriter.Create over a stream whose WriteAsync completes later (an SslStream, many custom streams): its flush
        // is incomplete while the stream writes, with the peer reading fine. That is not a Pipe's back-pressure: every
        // heartbeat used to be cancelled mid-write and failed "the peer is not reading" (warning 2005 each interval, none sent).
        var ct = TestContext.Current.CancellationToken;
        var connection = new AsynchronousWriteStream();
        var pipe = new HeartbeatDuplexPipe(new StreamDuplexPipe(PipeReader.Create(new MemoryStream()), PipeWriter.Create(connection)));
        using var telemetry = new TestTelemetry();
        await using var scheduler = new HeartbeatScheduler(TimeProvider.System, telemetry, telemetry);
        using var registration = pipe.RegisterHeartbeat(scheduler, Ping, new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = TimeSpan.FromMilliseconds(20), Spread = TimeSpan.Zero });

        await ThreeSentOrTwentySecondsAsync(registration, ct);

        registration.GetStatistics().Should().Match<HeartbeatStatistics>(s => s.Sent >= 3 && s.Failed == 0, "each heartbeat's write completes, later, and the peer reads it: {0}", string.Join(" | ", telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendFailed).Select(static r => r.Exception?.ToString())));
        registration.Dispose();
        await pipe.Output.WriteAsync("x"u8.ToArray(), ct);
        var wire = connection.Written();
        wire.Should().EndWith("x"u8.ToArray());
        wire.Length.Should().Be((Ping.Length * (wire.Length / Ping.Length)) + 1, "whole heartbeats, none cut midway");
        wire.AsSpan(0, wire.Length - 1).ToArray().Chunk(Ping.Length).Should().AllSatisfy(chunk => chunk.Should().Equal(Ping));
    }

    [Fact]
    public async Task Heartbeat_OverATransportWriterThatSendsOnFlushAndCannotCountUnflushedBytes_SentNotCutAsPeerNotReading()
    {
        // A transport's own PipeWriter (not a Pipe, not PipeWriter.Create) that sends on FlushAsync, so its flush completes
        // later, and cannot say what it has not yet flushed (CanGetUnflushedBytes false, PipeWriter's default). Its incomplete
        // flush was taken for a peer that stopped reading: every heartbeat's flush was cancelled, cutting the send midway
        // (20 of 20 in 1 s at 50 ms, none sent, each "the peer is not reading"), while the peer read everything.
        var ct = TestContext.Current.CancellationToken;
        var transport = new SendOnFlushWriter();
        var pipe = new HeartbeatDuplexPipe(new StreamDuplexPipe(PipeReader.Create(new MemoryStream()), transport));
        using var telemetry = new TestTelemetry();
        await using var scheduler = new HeartbeatScheduler(TimeProvider.System, telemetry, telemetry);
        using var registration = pipe.RegisterHeartbeat(scheduler, Ping, new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = TimeSpan.FromMilliseconds(20), Spread = TimeSpan.Zero });

        await ThreeSentOrTwentySecondsAsync(registration, ct);

        registration.GetStatistics().Should().Match<HeartbeatStatistics>(s => s.Sent >= 3 && s.Failed == 0, "each heartbeat's send completes, later, and the peer reads it: {0}", string.Join(" | ", telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendFailed).Select(static r => r.Exception?.Message)));
        transport.Cut.Should().Be(0, "a send in progress is not withdrawn midway");
    }

    [Fact]
    public async Task Output_CompletedWhileAHeartbeatIsBeingWrittenToAStream_WaitsForItInsteadOfWritingItTwiceFromAFreedBuffer()
    {
        // PipeWriter.Create over a stream whose write is still sending the heartbeat (an SslStream, a full socket buffer)
        // when the application completes the output, in the documented order (registration disposed first). Complete did
        // not wait for the heartbeat: the inner writer wrote the heartbeat's bytes again and returned their buffer to the
        // pool, and the write in flight then sent whatever reused that buffer ("PINGXXXX" here: another user's bytes on
        // this connection).
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var (pipe, connection, release, registration) = await HeartbeatBeingWrittenToAStreamAsync(manual, ct);

        registration.Dispose();
        var complete = Task.Run(
            () =>
            {
                pipe.Output.Complete();
                "XXXX"u8.CopyTo(System.Buffers.ArrayPool<byte>.Shared.Rent(4096)); // whoever rents next on this thread
            },
            ct);
        await Task.Delay(200, ct);
        connection.IsDisposed.Should().BeFalse("the inner writer is completed only once the heartbeat being written has ended, as any other use of the output waits for it");
        release.SetResult();
        await complete.WaitAsync(TimeSpan.FromSeconds(10), ct);

        SpinWait.SpinUntil(() => connection.IsDisposed, TimeSpan.FromSeconds(10)).Should().BeTrue("completing the writer still disposes its stream");
        System.Text.Encoding.ASCII.GetString(connection.Written()).Should().Be("PING", "the heartbeat went out once, from its own bytes");
        SpinWait.SpinUntil(() => registration.GetStatistics().Sent == 1, TimeSpan.FromSeconds(10)).Should().BeTrue("the heartbeat that was being written was sent");
        registration.GetStatistics().Failed.Should().Be(0);
        manual.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendFailed).Should().BeEmpty();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Output_CompletedWhileAHeartbeatWriteWaitsForAPeerThatStoppedReading_ReturnsAtOnceAndCompletesTheWriterOnceTheWriteEnds(bool asynchronously)
    {
        // PipeWriter.Create over a connection whose peer stopped reading: the heartbeat's stream write waits for room, holding
        // the output (it cannot be withdrawn). The application closes the connection: Output.Complete waited for that write,
        // that is for a peer that may never read again; the thread that closes the connection hung there for ever (and the
        // stream it would dispose stayed open). PipeWriter.Complete, on a writer the application is not using, returns at once.
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var (pipe, connection, release, registration) = await HeartbeatBeingWrittenToAStreamAsync(manual, ct);

        var complete = Task.Run(async () => { if (asynchronously) { await pipe.Output.CompleteAsync(); } else { pipe.Output.Complete(); } }, ct);

        (await Task.WhenAny(complete, Task.Delay(TimeSpan.FromSeconds(5), ct))).Should().BeSameAs(complete, "completing the output must not wait for a peer that stopped reading");
        connection.IsDisposed.Should().BeFalse("the inner writer is completed (and disposes its stream) only once the heartbeat's write has ended");
        release.SetResult(); // the peer reads again (or the connection is closed under the write)
        SpinWait.SpinUntil(() => connection.IsDisposed, TimeSpan.FromSeconds(10)).Should().BeTrue("the inner writer is completed once the write has ended");
        System.Text.Encoding.ASCII.GetString(connection.Written()).Should().Be("PING", "the heartbeat went out once, whole");
        SpinWait.SpinUntil(() => registration.GetStatistics().Sent == 1, TimeSpan.FromSeconds(10)).Should().BeTrue();
        pipe.Invoking(p => p.Output.GetSpan()).Should().Throw<InvalidOperationException>("the output is completed");
    }

    [Theory]
    [InlineData("room")]
    [InlineData("cancelled")]
    [InlineData("failed")]
    public async Task Output_CompletedWithAnErrorWhileAHeartbeatWaitsOnATransportWriterThatCannotCountUnflushedBytes_TheErrorReachesTheInnerWriterOnceTheWriteEnds(string end)
    {
        // A transport's own writer that sends on FlushAsync (CanGetUnflushedBytes false) and whose peer stopped reading:
        // the heartbeat's flush waits for room, holding the output. The application completes the output with the error
        // that closes the connection: Complete returns at once, and once that flush ends (the peer makes room, the transport
        // cancels or fails it) the inner writer must be completed, with that error.
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var transport = new BackPressuredTransportWriter();
        var (pipe, registration) = await HeartbeatWaitingOnATransportAsync(manual, transport, ct);
        var error = new InvalidOperationException("the application's protocol error");

        var complete = Task.Run(() => pipe.Output.Complete(error), ct);

        (await Task.WhenAny(complete, Task.Delay(TimeSpan.FromSeconds(5), ct))).Should().BeSameAs(complete, "completing the output does not wait for a peer that stopped reading");
        transport.Completed.Task.IsCompleted.Should().BeFalse("the inner writer is completed once the heartbeat's flush has ended");
        switch (end)
        {
            case "room": transport.Room.SetResult(); break;
            case "cancelled": transport.CancelPendingFlush(); break;
            default: transport.Room.SetException(new IOException("connection reset")); break;
        }

        (await transport.Completed.Task.WaitAsync(TimeSpan.FromSeconds(10), ct)).Should().BeSameAs(error, "the completion reaches the inner writer, with the application's error");
        registration.Dispose();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Output_CompletedWhileAHeartbeatWaitsAndTheDelayedCompletionFails_TheFailureIsLoggedAndTheInnerWriterStillCompleted(bool heldBytesFail)
    {
        // Complete returns at once while the heartbeat's flush waits for the peer, and the inner writer is completed after
        // it, where nobody awaits. What failed there was dropped without a word: the inner writer's CompleteAsync throwing
        // (a transport that could not send its last bytes), or writing the bytes of the application's WriteAsync that its
        // CancelPendingFlush had ended behind the heartbeat (the transport failed meanwhile), which also skipped the inner
        // writer's completion altogether.
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var failure = new IOException(heldBytesFail ? "connection reset while writing the held bytes" : "the transport could not send its last bytes");
        var transport = new BackPressuredTransportWriter { CompleteFailure = heldBytesFail ? null : failure };
        var (pipe, _) = await HeartbeatWaitingOnATransportAsync(manual, transport, ct, "orders");
        if (heldBytesFail)
        {
            var write = pipe.Output.WriteAsync("x"u8.ToArray(), ct); // waits behind the heartbeat's flush
            pipe.Output.CancelPendingFlush();
            (await write.AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct)).IsCanceled.Should().BeTrue("its bytes are held for the next use of the output");
            transport.WriteFailure = failure;
        }

        var error = new InvalidOperationException("the application's protocol error");
        pipe.Output.Complete(error);
        transport.Room.SetResult(); // the heartbeat's flush ends: the completion handed to it runs now

        (await transport.Completed.Task.WaitAsync(TimeSpan.FromSeconds(10), ct)).Should().BeSameAs(error, "the inner writer is completed, with the application's error, whatever failed before");
        SpinWait.SpinUntil(() => manual.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatOutputCompletionFailed).Count > 0, TimeSpan.FromSeconds(10)).Should().BeTrue("nothing fails silently");
        var logged = manual.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatOutputCompletionFailed).Should().ContainSingle().Subject;
        logged.Exception.Should().BeSameAs(failure);
        logged.Level.Should().Be(Microsoft.Extensions.Logging.LogLevel.Warning);
        logged.Message.Should().Contain("'orders'").And.Contain("HeartbeatDuplexPipe");
    }

    [Fact]
    public async Task Output_CompletedFromAnotherThreadWhileAFlushWritesAHeartbeatAfterItsMessage_ReturnsAtOnceAndCompletesAfterThatFlush()
    {
        // Outside PipeWriter's single-writer rule: one thread's FlushAsync ends its message and writes the heartbeat that came
        // due meanwhile (blocking, over a stream whose peer stopped reading), and another thread completes the output. Complete
        // returns at once (the flush may wait for a peer that never reads again) and the inner writer is completed after that
        // flush (as documented in HEARTBEATS.md); the heartbeat is never cut nor written twice.
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var connection = new AsynchronousWriteStream(release.Task, freeWrites: 1);
        var pipe = new HeartbeatDuplexPipe(new StreamDuplexPipe(PipeReader.Create(new MemoryStream()), PipeWriter.Create(connection)));
        var registration = pipe.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Interval = ManualScheduler.Second, Spread = TimeSpan.Zero });
        "abc"u8.CopyTo(pipe.Output.GetSpan(3));
        pipe.Output.Advance(3);
        manual.Step(TimeSpan.FromMilliseconds(1100), ManualScheduler.Tick); // the heartbeat comes due and waits for the message
        var flush = Task.Run(async () => await pipe.Output.FlushAsync(ct), ct);
        await connection.WriteStarted.Task.WaitAsync(TimeSpan.FromSeconds(10), ct); // the message went out; the heartbeat's write waits for the peer

        var complete = Task.Run(() => pipe.Output.Complete(), ct);

        (await Task.WhenAny(complete, Task.Delay(TimeSpan.FromSeconds(5), ct))).Should().BeSameAs(complete, "Complete does not wait for another thread's flush");
        await Task.Delay(100, ct);
        connection.IsDisposed.Should().BeFalse("the inner writer is not completed under that flush, heartbeat included");
        release.SetResult(); // the peer reads again
        await flush.WaitAsync(TimeSpan.FromSeconds(10), ct);
        SpinWait.SpinUntil(() => connection.IsDisposed, TimeSpan.FromSeconds(10)).Should().BeTrue("the inner writer was completed after that flush");
        System.Text.Encoding.ASCII.GetString(connection.Written()).Should().Be("abcPING", "the message, then the heartbeat, whole and once");
        registration.GetStatistics().Should().BeEquivalentTo(new { Sent = 1L, Failed = 0L });
    }

    [Theory]
    [InlineData("WriteAsync", false)]
    [InlineData("WriteAsync", true)]
    [InlineData("FlushAsync", false)]
    [InlineData("FlushAsync", true)]
    public async Task Output_CompletedFromAnotherThreadWhileAFlushWaitsBehindAHeartbeatsWrite_NeitherWaitsForTheOtherAndTheFlushsBytesGoOutBeforeTheCompletion(string call, bool asynchronously)
    {
        // The application's FlushAsync or WriteAsync waits for the output behind a heartbeat whose flush a slow transport
        // holds, and another thread completes the output. Complete must return at once, the waiting flush must end when the
        // heartbeat's does (neither hangs), its bytes reach the wire after the heartbeat's, whole, and the inner writer is
        // completed once after both: the reader of the real pipe below sees the whole stream, then its end.
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var wire = new Pipe();
        var transport = new SlowFlushPipeWriter(wire.Writer);
        var pipe = new HeartbeatDuplexPipe(new StreamDuplexPipe(new Pipe().Reader, transport));
        var registration = pipe.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Interval = ManualScheduler.Second, Spread = TimeSpan.Zero });
        manual.Step(TimeSpan.FromMilliseconds(1100), ManualScheduler.Tick);
        await transport.FlushStarted.Task.WaitAsync(TimeSpan.FromSeconds(10), ct); // the heartbeat's flush is held by the transport
        var flush = call == "WriteAsync" ? pipe.Output.WriteAsync("data"u8.ToArray(), ct).AsTask() : pipe.Output.FlushAsync(ct).AsTask();
        await Task.Delay(100, ct);
        flush.IsCompleted.Should().BeFalse("the heartbeat's flush holds the output");

        var complete = Task.Run(async () => { if (asynchronously) { await pipe.Output.CompleteAsync(); } else { pipe.Output.Complete(); } }, ct);

        (await Task.WhenAny(complete, Task.Delay(TimeSpan.FromSeconds(5), ct))).Should().BeSameAs(complete, "completing the output does not wait for the heartbeat's flush");
        await complete;
        transport.Release.SetResult(); // the transport sends the heartbeat
        (await Task.WhenAny(flush, Task.Delay(TimeSpan.FromSeconds(10), ct))).Should().BeSameAs(flush, "the waiting flush ends once the heartbeat's has");
        (await flush).Should().Match<FlushResult>(r => !r.IsCanceled && !r.IsCompleted, "the flush went through");
        var written = await ReadAllAsync(wire.Reader).WaitAsync(TimeSpan.FromSeconds(10), ct); // ends only once the inner writer is completed
        System.Text.Encoding.ASCII.GetString(written).Should().Be(call == "WriteAsync" ? "PINGdata" : "PING", "the heartbeat, then the flush's bytes, each whole and once");
        transport.Completions.Should().Be(1, "the inner writer is completed once, after the waiting flush");
        SpinWait.SpinUntil(() => registration.GetStatistics().Sent == 1, TimeSpan.FromSeconds(10)).Should().BeTrue("the heartbeat that was being written was sent");
        registration.GetStatistics().Failed.Should().Be(0);
        manual.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatOutputCompletionFailed).Should().BeEmpty();
        pipe.Output.Invoking(o => o.GetSpan(1)).Should().Throw<InvalidOperationException>().WithMessage("*completed*");
    }

    [Fact]
    public async Task Output_CompletedFromAnotherThreadAsTheHeartbeatAWaitingWriteWaitsBehindEnds_TheWriteStillGoesOutWholeBeforeTheCompletion()
    {
        // As above, with the heartbeat's flush ending while Complete starts (at varying moments around it): Complete takes the
        // output in turn, behind the write that was already waiting for it (never ahead of it, which would complete the inner
        // writer under that write and refuse it), neither call hangs, and the inner writer is completed once.
        var ct = TestContext.Current.CancellationToken;
        for (var round = 0; round < 60; round++)
        {
            using var manual = new ManualScheduler();
            var wire = new Pipe();
            var transport = new SlowFlushPipeWriter(wire.Writer);
            var pipe = new HeartbeatDuplexPipe(new StreamDuplexPipe(new Pipe().Reader, transport));
            pipe.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Interval = ManualScheduler.Second, Spread = TimeSpan.Zero });
            manual.Step(TimeSpan.FromMilliseconds(1100), ManualScheduler.Tick);
            await transport.FlushStarted.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
            var write = pipe.Output.WriteAsync("data"u8.ToArray(), ct).AsTask();
            SpinWait.SpinUntil(() => write.IsCompleted, TimeSpan.FromMilliseconds(20)).Should().BeFalse("round {0}: the heartbeat's flush holds the output", round);

            using var go = new ManualResetEventSlim();
            var complete = Task.Factory.StartNew(() => { go.Wait(ct); pipe.Output.Complete(); }, ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            go.Set();
            Thread.SpinWait(round % 6 * 20_000);
            transport.Release.SetResult();

            await Task.WhenAny(Task.WhenAll(complete, write), Task.Delay(TimeSpan.FromSeconds(10), ct));
            complete.Status.Should().Be(TaskStatus.RanToCompletion, "round {0}: Complete returns ({1})", round, complete.Exception?.InnerException);
            write.Status.Should().Be(TaskStatus.RanToCompletion, "round {0}: the waiting write went through ({1})", round, write.Exception?.InnerException);
            var written = await ReadAllAsync(wire.Reader).WaitAsync(TimeSpan.FromSeconds(10), ct);
            System.Text.Encoding.ASCII.GetString(written).Should().Be("PINGdata", "round {0}: the write went out whole, after the heartbeat", round);
            transport.Completions.Should().Be(1, "round {0}: the inner writer is completed once", round);
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task Output_CompletedFromAnotherThreadWhileTheApplicationsWriteIsOnTheWire_ReturnsAtOnceAndCompletesTheInnerWriterAfterTheWrite(bool waitedBehindAHeartbeat, bool asynchronously)
    {
        // The application's WriteAsync has the output and its flush is held by a slow transport (having first waited behind a
        // heartbeat's write, or not), and another thread completes the output: the case a Complete racing the end of that
        // heartbeat's write meets. Completed under the write, the inner writer refused it ("Writing is not allowed after
        // writer was completed"). Complete must return at once, the write go out whole, and the inner writer be completed
        // once, after it.
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var wire = new Pipe();
        var transport = new SlowFlushPipeWriter(wire.Writer) { HoldLaterFlushes = true };
        var pipe = new HeartbeatDuplexPipe(new StreamDuplexPipe(new Pipe().Reader, transport));
        Task<FlushResult> write;
        TaskCompletionSource writeRelease;
        if (waitedBehindAHeartbeat)
        {
            pipe.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Interval = ManualScheduler.Second, Spread = TimeSpan.Zero });
            manual.Step(TimeSpan.FromMilliseconds(1100), ManualScheduler.Tick);
            await transport.FlushStarted.Task.WaitAsync(TimeSpan.FromSeconds(10), ct); // the heartbeat's flush holds the output
            write = pipe.Output.WriteAsync("data"u8.ToArray(), ct).AsTask();
            transport.Release.SetResult(); // the heartbeat goes out; the write takes the output
            await transport.LaterFlushStarted.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
            writeRelease = transport.LaterRelease;
        }
        else
        {
            write = pipe.Output.WriteAsync("data"u8.ToArray(), ct).AsTask();
            await transport.FlushStarted.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
            writeRelease = transport.Release;
        }

        var complete = Task.Run(async () => { if (asynchronously) { await pipe.Output.CompleteAsync(); } else { pipe.Output.Complete(); } }, ct);

        (await Task.WhenAny(complete, Task.Delay(TimeSpan.FromSeconds(5), ct))).Should().BeSameAs(complete, "completing the output does not wait for the application's write on the wire");
        await complete;
        transport.Completions.Should().Be(0, "the inner writer is not completed under the write");
        writeRelease.SetResult();
        (await write.WaitAsync(TimeSpan.FromSeconds(10), ct)).Should().Match<FlushResult>(r => !r.IsCanceled && !r.IsCompleted, "the write went through");
        var written = await ReadAllAsync(wire.Reader).WaitAsync(TimeSpan.FromSeconds(10), ct); // ends only once the inner writer is completed
        System.Text.Encoding.ASCII.GetString(written).Should().Be(waitedBehindAHeartbeat ? "PINGdata" : "data");
        transport.Completions.Should().Be(1, "the inner writer is completed once, after the write");
        manual.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatOutputCompletionFailed).Should().BeEmpty();
        pipe.Output.Invoking(o => o.GetSpan(1)).Should().Throw<InvalidOperationException>().WithMessage("*completed*");
    }

    [Fact]
    public async Task Output_CompletedFromAnotherThreadWhileTheWriterWritesMessages_EndsTheMessageOnceAndCompletesTheInnerWriterOnce()
    {
        // Complete from a second thread (outside PipeWriter's single-writer rule; the docs allow it, with its limits) read the
        // writer's "a message is in progress" flag once, without synchronisation: seeing none, it waited for the write path,
        // which the writing thread took just after and never let go (its next call was refused, completing had begun), so
        // Complete hung for ever; and both threads could end the same message (the path released twice). Many rounds at
        // varying moments: Complete returns, the writer is refused as a completed writer is, the inner writer is completed
        // once, and every message reaches it whole.
        var ct = TestContext.Current.CancellationToken;
        for (var round = 0; round < 200; round++)
        {
            var inner = new LockedRecordingWriter();
            var pipe = new HeartbeatDuplexPipe(new StreamDuplexPipe(new Pipe().Reader, inner));
            using var start = new Barrier(2);
            var flushed = 0L;
            var writer = Task.Run(
                async () =>
                {
                    start.SignalAndWait(ct);
                    try
                    {
                        for (var i = 0; i < 10_000; i++)
                        {
                            "abcd"u8.CopyTo(pipe.Output.GetSpan(4));
                            pipe.Output.Advance(4);
                            await pipe.Output.FlushAsync(ct);
                            Interlocked.Add(ref flushed, 4);
                        }
                    }
                    catch (InvalidOperationException refused) when (refused.Message.Contains("completed", StringComparison.Ordinal))
                    {
                        // refused as a completed writer refuses it
                    }
                },
                ct);
            var completer = Task.Run(
                () =>
                {
                    start.SignalAndWait(ct);
                    Thread.SpinWait(round * 97 % 5000);
                    pipe.Output.Complete();
                },
                ct);

            await Task.WhenAny(Task.WhenAll(writer, completer), Task.Delay(TimeSpan.FromSeconds(30), ct));
            new { Writer = writer.Status, Completer = completer.Status, Round = round, Failure = (writer.Exception ?? completer.Exception)?.InnerException?.ToString() }
                .Should().BeEquivalentTo(new { Writer = TaskStatus.RanToCompletion, Completer = TaskStatus.RanToCompletion }, options => options.ExcludingMissingMembers(), "neither thread waits for the other for ever");

            inner.Completions.Should().Be(1, "round {0}: the inner writer is completed once", round);
            var written = inner.Written();
            (written.Length % 4).Should().Be(0, "round {0}: every message reaches the inner writer whole", round);
            written.LongLength.Should().BeGreaterThanOrEqualTo(Volatile.Read(ref flushed), "round {0}: no flushed message is lost", round);
            pipe.Output.Invoking(o => o.GetSpan(1)).Should().Throw<InvalidOperationException>();
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Output_CompleteAndCompleteAsyncOnTwoThreadsAtOnce_CompletesTheInnerWriterOnce(bool asynchronousFirst)
    {
        // Complete on one thread holds the write path while it completes the inner writer; a CompleteAsync (or Complete) on
        // another thread meanwhile found "a message in progress", took it for the application's, and completed the inner
        // writer a second time under it (over PipeWriter.Create, a second dispose of the stream). The first completion is
        // held in the inner writer until the second call has either returned or reached the inner writer too.
        var ct = TestContext.Current.CancellationToken;
        using var gate = new ManualResetEventSlim();
        var inner = new LockedRecordingWriter { CompleteGate = gate };
        var pipe = new HeartbeatDuplexPipe(new StreamDuplexPipe(new Pipe().Reader, inner));
        Task Completing(bool asynchronous) => asynchronous ? Task.Run(async () => await pipe.Output.CompleteAsync(), ct) : Task.Run(() => pipe.Output.Complete(), ct);

        var first = Completing(asynchronousFirst);
        (await inner.CompleteCalled.WaitAsync(TimeSpan.FromSeconds(10), ct)).Should().BeTrue("the first completion reaches the inner writer");
        var second = Completing(!asynchronousFirst);
        var secondReachedTheInnerWriter = inner.CompleteCalled.WaitAsync(TimeSpan.FromSeconds(10), ct);
        await Task.WhenAny(second, secondReachedTheInnerWriter);
        gate.Set();

        await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(10), ct);
        inner.Completions.Should().Be(1, "the output is completed once, whichever call and thread comes first");
        pipe.Output.Invoking(o => o.GetSpan(1)).Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public async Task Output_CompleteAndCompleteAsyncWhileAHeartbeatWriteWaitsForThePeer_CompletesTheInnerWriterOnceAfterIt()
    {
        // Both calls return at once while the heartbeat's write waits for the peer, and each left a completion to run after
        // that write: the inner writer was completed twice.
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var transport = new BackPressuredTransportWriter();
        var (pipe, registration) = await HeartbeatWaitingOnATransportAsync(manual, transport, ct);

        pipe.Output.Complete();
        await pipe.Output.CompleteAsync();
        transport.Room.SetResult(); // the heartbeat's write ends: the completion runs now

        await transport.Completed.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        SpinWait.SpinUntil(() => transport.Completions > 1, TimeSpan.FromSeconds(1)).Should().BeFalse("the inner writer is completed once");
        transport.Completions.Should().Be(1);
        registration.Dispose();
    }

    [Fact]
    public async Task Output_WrittenAfterCompleteWhileAHeartbeatWriteWaitsForThePeer_RefusedAtOnceAsACompletedWriterIs()
    {
        // Complete returns while a heartbeat's stream write still waits for the peer, and completes the inner writer after
        // it. A write after Complete (an application bug) must be refused at once, as the completed inner writer refuses it:
        // it waited for the peer instead, blocking the thread in GetSpan, then could take the output before the completion.
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var (pipe, connection, release, _) = await HeartbeatBeingWrittenToAStreamAsync(manual, ct);
        pipe.Output.Complete();

        var write = Task.Run(() => pipe.Output.GetSpan(4).Length, ct);

        (await Task.WhenAny(write, Task.Delay(TimeSpan.FromSeconds(5), ct))).Should().BeSameAs(write, "a write after Complete does not wait for the peer");
        await write.Invoking(w => w).Should().ThrowAsync<InvalidOperationException>().WithMessage("*completed*");
        await pipe.Output.Invoking(o => o.WriteAsync(Ping, ct).AsTask()).Should().ThrowAsync<InvalidOperationException>().WithMessage("*completed*");
        release.SetResult();
        SpinWait.SpinUntil(() => connection.IsDisposed, TimeSpan.FromSeconds(10)).Should().BeTrue();
        System.Text.Encoding.ASCII.GetString(connection.Written()).Should().Be("PING", "nothing was written after the heartbeat");
    }

    [Fact]
    public async Task Output_CancelPendingFlushWhileAHeartbeatIsBeingWrittenToAStream_DoesNotCutTheHeartbeatAndCancelsTheApplicationsNextFlush()
    {
        // PipeWriter.Create over a stream whose write has sent part of the heartbeat and waits for room. The application
        // calls CancelPendingFlush with no flush of its own pending (to stop its write loop at its next flush): the
        // wrapper passed it to the inner writer at once, which cancelled the heartbeat's stream write midway; its bytes
        // stayed buffered and went out again whole with the next flush, so the peer read a cut heartbeat then a whole one.
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var (pipe, connection, release, registration) = await HeartbeatBeingWrittenToAStreamAsync(manual, ct, halfBeforeRelease: true);

        pipe.Output.CancelPendingFlush();
        await Task.Delay(100, ct);
        release.SetResult(); // the peer makes room
        SpinWait.SpinUntil(() => registration.GetStatistics().Sent + registration.GetStatistics().Failed > 0, TimeSpan.FromSeconds(10)).Should().BeTrue();

        (await pipe.Output.WriteAsync("x"u8.ToArray(), ct)).IsCanceled.Should().BeTrue("the application asked for its next flush to be cancelled");
        (await pipe.Output.FlushAsync(ct)).IsCanceled.Should().BeFalse();
        System.Text.Encoding.ASCII.GetString(connection.Written()).Should().Be("PINGx", "the heartbeat went out whole, once, before the application's bytes");
        registration.GetStatistics().Should().BeEquivalentTo(new { Sent = 1L, Failed = 0L });
    }

    [Fact]
    public async Task Output_CancelPendingFlushWhileAHeartbeatIsWrittenToAStreamAtTheEndOfAMessage_DoesNotCutTheHeartbeat()
    {
        // A heartbeat due during a message is written by the application's flush that ends it, with a blocking write; over
        // a stream (PipeWriter.Create) that write has sent part of the heartbeat and waits for room. The application calls
        // CancelPendingFlush (its flush has not returned): the cancel went to the inner writer at once and stopped the
        // heartbeat's stream write midway; its bytes stayed buffered and went out again whole with the next flush.
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var connection = new AsynchronousWriteStream(release.Task, halfBeforeRelease: true, freeWrites: 1);
        var pipe = new HeartbeatDuplexPipe(new StreamDuplexPipe(PipeReader.Create(new MemoryStream()), PipeWriter.Create(connection)));
        var registration = pipe.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Interval = ManualScheduler.Second, Spread = TimeSpan.Zero });
        "msg"u8.CopyTo(pipe.Output.GetSpan(3));
        pipe.Output.Advance(3);
        manual.Step(TimeSpan.FromMilliseconds(1100), ManualScheduler.Tick); // the heartbeat comes due and waits for the message
        var flush = Task.Run(async () => await pipe.Output.FlushAsync(ct), ct);
        SpinWait.SpinUntil(() => connection.Written().Length == 5, TimeSpan.FromSeconds(10)).Should().BeTrue("the message went out, then half the heartbeat");

        pipe.Output.CancelPendingFlush();
        await Task.Delay(100, ct);
        release.SetResult(); // the peer makes room
        await flush.WaitAsync(TimeSpan.FromSeconds(10), ct);

        (await pipe.Output.WriteAsync("x"u8.ToArray(), ct)).IsCanceled.Should().BeTrue("the cancel is held for the application's next flush");
        (await pipe.Output.FlushAsync(ct)).IsCanceled.Should().BeFalse();
        System.Text.Encoding.ASCII.GetString(connection.Written()).Should().Be("msgPINGx", "the heartbeat went out whole, once, between the application's bytes");
        registration.GetStatistics().Should().BeEquivalentTo(new { Sent = 1L, Failed = 0L });
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Output_CancelPendingFlushWhileTheApplicationsFlushWaitsBehindAHeartbeatsStreamWrite_ReturnsItCancelledAtOnceAndOnlyIt(bool writeAsync)
    {
        // The application's flush (FlushAsync, or WriteAsync: a flush too) waits for the output held by a heartbeat whose
        // stream write waits for the peer; the application calls CancelPendingFlush to stop that flush (PipeWriter's
        // contract: the pending flush returns cancelled). The cancel was held for the application's next flush, so the flush
        // in progress kept waiting for a peer that may never read again. It must return cancelled at once, the heartbeat
        // stay whole, the next flush not be cancelled, and a cancelled WriteAsync's bytes leave with it (a Pipe commits them).
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var (pipe, connection, release, registration) = await HeartbeatBeingWrittenToAStreamAsync(manual, ct, halfBeforeRelease: true);

        var flush = writeAsync ? pipe.Output.WriteAsync("x"u8.ToArray(), ct).AsTask() : pipe.Output.FlushAsync(ct).AsTask();
        await Task.Delay(100, ct);
        flush.IsCompleted.Should().BeFalse("the heartbeat's write holds the output");
        pipe.Output.CancelPendingFlush();

        (await Task.WhenAny(flush, Task.Delay(TimeSpan.FromSeconds(5), ct))).Should().BeSameAs(flush, "CancelPendingFlush ends the application's pending flush at once");
        (await flush).IsCanceled.Should().BeTrue();
        release.SetResult(); // the peer makes room
        SpinWait.SpinUntil(() => registration.GetStatistics().Sent + registration.GetStatistics().Failed > 0, TimeSpan.FromSeconds(10)).Should().BeTrue();

        (await pipe.Output.WriteAsync(writeAsync ? Array.Empty<byte>() : "x"u8.ToArray(), ct)).IsCanceled.Should().BeFalse("the cancel ended the flush it was meant for, once");
        System.Text.Encoding.ASCII.GetString(connection.Written()).Should().Be("PINGx", "the heartbeat went out whole, once, before the application's bytes");
        registration.GetStatistics().Should().BeEquivalentTo(new { Sent = 1L, Failed = 0L });
    }

    [Fact]
    public async Task Output_FlushWaitingBehindAHeartbeatsStreamWriteCancelledByItsToken_ThrowsWithTheCallersToken()
    {
        // As a Pipe's FlushAsync does: the exception carries the caller's token, not the wrapper's linked one, so a caller
        // can tell its own cancellation (e.CancellationToken == token) from a timeout or a shutdown.
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var (pipe, _, release, _) = await HeartbeatBeingWrittenToAStreamAsync(manual, ct, halfBeforeRelease: true);
        using var cancel = new CancellationTokenSource();

        var flush = pipe.Output.FlushAsync(cancel.Token).AsTask();
        await Task.Delay(50, ct);
        await cancel.CancelAsync();

        (await flush.Awaiting(static f => f).Should().ThrowAsync<OperationCanceledException>()).Which.CancellationToken.Should().Be(cancel.Token);
        release.SetResult();
    }

    [Fact]
    public async Task Output_CompletedByAPeerDeadHandlerOfAHeartbeatWrittenAtTheEndOfAMessage_DoesNotWaitForItself()
    {
        // A heartbeat due during a message is written by the thread that ends the message, which holds the output; when
        // that write finds the connection closed, PeerDead is raised right there, and the documented handler closes the
        // connection: completing the output from it must not wait for the path its own thread holds.
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var outgoing = new Pipe();
        var pipe = new HeartbeatDuplexPipe(new StreamDuplexPipe(new Pipe().Reader, outgoing.Writer));
        var registration = pipe.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Interval = ManualScheduler.Second, Spread = TimeSpan.Zero });
        var deaths = 0;
        registration.PeerDead += (_, _) =>
        {
            deaths++;
            pipe.Output.Complete();
        };
        "abc"u8.CopyTo(pipe.Output.GetSpan(3));
        pipe.Output.Advance(3);
        manual.Step(TimeSpan.FromMilliseconds(1100), ManualScheduler.Tick); // the heartbeat comes due and waits for the message
        await outgoing.Writer.CompleteAsync(); // the transport closes the connection: the pending heartbeat will fail for good

        var flush = Task.Run(async () => await pipe.Output.FlushAsync(ct), ct);
        (await Task.WhenAny(flush, Task.Delay(TimeSpan.FromSeconds(10), ct))).Should().BeSameAs(flush, "the handler's Complete must not wait for the thread it runs on");
        await flush;
        deaths.Should().Be(1);
        manual.Telemetry.LogsWithId(KeepAliveEventIds.PeerDead).Should().ContainSingle().Which.Message.Should().Contain("completed by its owner");
        manual.Scheduler.RegistrationCount.Should().Be(0);
    }

    [Fact]
    public void Constructor_BadArguments_Refused()
    {
        using var manual = new ManualScheduler();
        FluentActions.Invoking(() => new HeartbeatDuplexPipe(null!)).Should().Throw<ArgumentNullException>();
        var (pipe, _, _) = InMemory();
        pipe.Invoking(p => p.RegisterHeartbeat(manual.Scheduler, ReadOnlyMemory<byte>.Empty, new HeartbeatOptions())).Should().Throw<ArgumentException>().WithMessage("*empty*Fix:*");
        pipe.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Name = "one" });
        pipe.Invoking(p => p.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions())).Should().Throw<InvalidOperationException>().WithMessage("*'one'*");
        pipe.Registration!.Name.Should().Be("one");
    }

    [Fact]
    public async Task Heartbeat_TransportReaderCompleted_PeerDeadOnceAndRegistrationEnded()
    {
        using var manual = new ManualScheduler();
        var (pipe, wire, _) = InMemory();
        var registration = pipe.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = ManualScheduler.Second });
        var deaths = new List<PeerDeadEventArgs>();
        registration.PeerDead += (_, e) => deaths.Add(e);
        await wire.CompleteAsync();

        manual.Step(TimeSpan.FromSeconds(5), ManualScheduler.Tick);

        deaths.Should().ContainSingle("a closed pipe is a permanent failure").Which.Reason.Should().Contain("reader (the transport) has completed");
        registration.GetStatistics().Failed.Should().Be(1, "one attempt, not one every interval for ever");
        manual.Scheduler.RegistrationCount.Should().Be(0, "the registration ended");
        manual.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendFailed).Should().BeEmpty("2005 says the registration tries again, which a failure that ends it does not");
        manual.Telemetry.LogsWithId(KeepAliveEventIds.PeerDead).Should().ContainSingle("one line says it ended, with the exception").Which.Exception.Should().NotBeNull();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Heartbeat_OverAStreamWhoseWriteTimedOut_PeerDeadOnceAndRegistrationEnded(bool atTheEndOfAMessage)
    {
        // PipeWriter.Create over a NetworkStream whose write timed out (IOException over SocketException TimedOut: the kernel
        // aborted the connection, as an asynchronous write has no WriteTimeout): the connection is not usable, as
        // HeartbeatStream and the socket heartbeat take it; the heartbeat failed at every interval instead (warning 2005).
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var pipe = new HeartbeatDuplexPipe(new StreamDuplexPipe(PipeReader.Create(new MemoryStream()), PipeWriter.Create(new TimingOutStream(Ping))));
        var registration = pipe.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = ManualScheduler.Second, Spread = TimeSpan.Zero });
        var deaths = new List<string>();
        registration.PeerDead += (_, e) => deaths.Add(e.Reason);
        if (atTheEndOfAMessage)
        {
            "abc"u8.CopyTo(pipe.Output.GetSpan(3));
            pipe.Output.Advance(3);
            manual.Step(TimeSpan.FromMilliseconds(1100), ManualScheduler.Tick); // the heartbeat comes due and waits for the message
            await pipe.Output.FlushAsync(ct);
        }

        manual.Step(TimeSpan.FromSeconds(5), ManualScheduler.Tick);

        deaths.Should().ContainSingle("a write that timed out leaves the connection unusable").Which.Should().Contain("timed out");
        registration.GetStatistics().Failed.Should().Be(1, "one attempt, not one every interval for ever");
        manual.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendFailed).Should().BeEmpty();
        manual.Scheduler.RegistrationCount.Should().Be(0);
    }

    [Fact]
    public async Task Heartbeat_InnerWriterCompletedByItsOwner_PeerDeadOnceAndRegistrationEnded()
    {
        // The transport (or whoever owns the wrapped pipe) completes its writer directly, not through the wrapper.
        using var manual = new ManualScheduler();
        var outgoing = new Pipe();
        var pipe = new HeartbeatDuplexPipe(new StreamDuplexPipe(new Pipe().Reader, outgoing.Writer));
        var registration = pipe.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Interval = ManualScheduler.Second });
        var deaths = new List<PeerDeadEventArgs>();
        registration.PeerDead += (_, e) => deaths.Add(e);
        await outgoing.Writer.CompleteAsync();

        manual.Step(TimeSpan.FromSeconds(5), ManualScheduler.Tick);

        deaths.Should().ContainSingle("a completed writer is closed for good, not a failure to retry every interval").Which.Reason.Should().Contain("completed by its owner");
        registration.GetStatistics().Failed.Should().Be(1);
        manual.Scheduler.RegistrationCount.Should().Be(0);
        manual.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendFailed).Should().BeEmpty();
    }

    [Theory]
    [InlineData("GetSpan")]
    [InlineData("GetMemory")]
    [InlineData("Advance")]
    public async Task Heartbeat_ApplicationCallThrowsOnAWriterItsOwnerCompleted_PeerDeadInsteadOfAHeartbeatPendingForEver(string call)
    {
        // The transport completes its writer; the application's next GetSpan throws ("writing is not allowed after writer
        // was completed") and its write loop gives up. That GetSpan had taken the write path and never gave it back: the
        // heartbeat waited for a flush that never came (in flight for ever, no PeerDead, reported blocked). An Advance that
        // starts a message and that the inner writer refuses did the same.
        using var manual = new ManualScheduler();
        var outgoing = new Pipe();
        var pipe = new HeartbeatDuplexPipe(new StreamDuplexPipe(new Pipe().Reader, outgoing.Writer));
        var registration = pipe.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Interval = ManualScheduler.Second, Spread = TimeSpan.Zero });
        var deaths = 0;
        registration.PeerDead += (_, _) => deaths++;
        await outgoing.Writer.CompleteAsync();

        Action refused = call switch
        {
            "GetSpan" => () => pipe.Output.GetSpan(4),
            "GetMemory" => () => pipe.Output.GetMemory(4),
            _ => () => pipe.Output.Advance(4),
        };
        refused.Should().Throw<Exception>("the inner writer refuses it");
        manual.Step(TimeSpan.FromSeconds(5), ManualScheduler.Tick);

        deaths.Should().Be(1, "the heartbeat finds the output completed and ends the registration");
        registration.GetStatistics().Should().BeEquivalentTo(new { Failed = 1L, Blocked = 0L });
        manual.Scheduler.RegistrationCount.Should().Be(0);
    }

    [Fact]
    public void Heartbeat_ApplicationCompletedOutput_PeerDeadOnceAndRegistrationEnded()
    {
        using var manual = new ManualScheduler();
        var (pipe, _, _) = InMemory();
        var registration = pipe.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Interval = ManualScheduler.Second });
        var deaths = 0;
        registration.PeerDead += (_, _) => deaths++;
        pipe.Output.Complete();

        manual.Step(TimeSpan.FromSeconds(5), ManualScheduler.Tick);

        deaths.Should().Be(1);
        manual.Scheduler.RegistrationCount.Should().Be(0);
        manual.Telemetry.LogsWithId(KeepAliveEventIds.PeerDead).Should().ContainSingle().Which.Message.Should().Contain("completed the pipe's output");
    }

    [Fact]
    public void RegisterHeartbeat_AfterTheApplicationCompletedOutput_RefusedWithTheFixInsteadOfPeerDeadOneIntervalLater()
    {
        using var manual = new ManualScheduler();
        var (pipe, _, _) = InMemory();
        pipe.Output.Complete();

        var act = () => pipe.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Interval = ManualScheduler.Second });

        act.Should().Throw<InvalidOperationException>().WithMessage("*the application completed the pipe's output, so the connection is closed*Fix:*");
        manual.Scheduler.RegistrationCount.Should().Be(0);
    }

    [Fact]
    public void TrackActivity_EndedRegistration_RefusedWithTheFix()
    {
        using var manual = new ManualScheduler();
        var pipe = new HeartbeatDuplexPipe(new StreamDuplexPipe(new Pipe().Reader, new Pipe().Writer));
        var ended = manual.Scheduler.Register(new HeartbeatOptions { Name = "gone" }, _ => ValueTask.CompletedTask);
        ended.Dispose();

        pipe.Invoking(p => p.TrackActivity(ended)).Should().Throw<ObjectDisposedException>().WithMessage("*'gone' has ended*this HeartbeatDuplexPipe*Fix:*");
    }

    [Fact]
    public async Task GetMemory_HeartbeatMeetsBackPressureFromAPeerThatStoppedReading_ApplicationDoesNotWaitForThePeer()
    {
        using var manual = new ManualScheduler();
        var (pipe, outgoing, registration) = SmallPipeWithHeartbeat(manual);

        // The peer stops reading: a 100-byte message fills the pipe past its pause threshold; the application gives up waiting.
        new byte[100].CopyTo(pipe.Output.GetSpan(100));
        pipe.Output.Advance(100);
        var stuck = pipe.Output.FlushAsync(TestContext.Current.CancellationToken);
        stuck.IsCompleted.Should().BeFalse("the pipe is over its pause threshold");
        pipe.Output.CancelPendingFlush();
        (await stuck).IsCanceled.Should().BeTrue();

        manual.Step(TimeSpan.FromMilliseconds(1100), ManualScheduler.Tick); // the heartbeat comes due and meets the same back-pressure

        var next = Task.Run(() => pipe.Output.GetMemory(8).Length, TestContext.Current.CancellationToken);
        (await Task.WhenAny(next, Task.Delay(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken))).Should().BeSameAs(next,
            "the heartbeat queued its bytes and let the output go: the next message must not wait for a peer that stopped reading");
        (await next).Should().BeGreaterThanOrEqualTo(8);
        registration.GetStatistics().Should().Match<HeartbeatStatistics>(s => s.Sent == 0 && s.Failed == 1, "its bytes are queued behind the message, not sent: the peer is not reading");
        var read = await outgoing.Reader.ReadAsync(TestContext.Current.CancellationToken);
        read.Buffer.Length.Should().Be(100 + Ping.Length);
    }

    [Fact]
    public async Task GetSpan_WhileAHeartbeatWriteWaitsForAPeerThatStoppedReading_WaitsForItAndSaysSoPastTheBlockedThreshold()
    {
        // Over a writer whose flush cannot be withdrawn (a transport's own, or PipeWriter.Create over a stream), the heartbeat's
        // flush holds the output while the peer does not read, and the application's GetSpan that starts the next message
        // blocks its thread until that flush ends, for as long as the peer reads nothing. That wait was said nowhere.
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var transport = new BackPressuredTransportWriter();
        var (pipe, _) = await HeartbeatWaitingOnATransportAsync(manual, transport, ct, "orders", blockedCallbackThreshold: TimeSpan.FromMilliseconds(200));

        var span = Task.Run(() => pipe.Output.GetSpan(4).Length, ct);

        SpinWait.SpinUntil(() => manual.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatOutputWaiting).Count > 0, TimeSpan.FromSeconds(10)).Should().BeTrue(
            "the application's wait behind the heartbeat's write is reported once it passes the registration's BlockedCallbackThreshold");
        span.IsCompleted.Should().BeFalse("GetSpan waits for the heartbeat's flush, which cannot be withdrawn");
        var logged = manual.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatOutputWaiting).Should().ContainSingle().Subject;
        logged.Level.Should().Be(Microsoft.Extensions.Logging.LogLevel.Warning);
        logged.Message.Should().Contain("GetSpan").And.Contain("'orders'").And.Contain("has waited 200ms (its BlockedCallbackThreshold)");
        logged.ShouldWriteDurations("200ms");
        logged.ShouldKeepFields(("WaitedMs", "200"));
        transport.Room.SetResult(); // the peer reads again
        (await span.WaitAsync(TimeSpan.FromSeconds(10), ct)).Should().BeGreaterThanOrEqualTo(4);
        manual.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatOutputWaiting).Should().ContainSingle("one report per wait");
    }

    [Theory]
    [InlineData("FlushAsync")]
    [InlineData("WriteAsync")]
    public async Task FlushAsync_WhileAHeartbeatWriteWaitsForAPeerThatStoppedReading_WaitsForItAndSaysSoPastTheBlockedThreshold(string call)
    {
        // The asynchronous twin of GetSpan's wait: the application's FlushAsync or WriteAsync that starts a message behind a
        // heartbeat's flush that cannot be withdrawn waits (without a thread) as long as the peer reads nothing. Only the
        // blocking calls' wait was reported (2013); this one was said nowhere.
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var transport = new BackPressuredTransportWriter();
        var (pipe, _) = await HeartbeatWaitingOnATransportAsync(manual, transport, ct, "orders", blockedCallbackThreshold: TimeSpan.FromMilliseconds(200));

        var flush = call == "FlushAsync" ? pipe.Output.FlushAsync(ct).AsTask() : pipe.Output.WriteAsync("abc"u8.ToArray(), ct).AsTask();

        SpinWait.SpinUntil(() => manual.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatOutputWaiting).Count > 0, TimeSpan.FromSeconds(10)).Should().BeTrue(
            "the application's wait behind the heartbeat's write is reported once it passes the registration's BlockedCallbackThreshold, asynchronous or not");
        flush.IsCompleted.Should().BeFalse($"{call} waits for the heartbeat's flush, which cannot be withdrawn");
        var logged = manual.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatOutputWaiting).Should().ContainSingle().Subject;
        logged.Level.Should().Be(Microsoft.Extensions.Logging.LogLevel.Warning);
        logged.Message.Should().Contain(call).And.Contain("'orders'").And.Contain("has waited 200ms (its BlockedCallbackThreshold)");
        logged.ShouldWriteDurations("200ms");
        logged.ShouldKeepFields(("WaitedMs", "200"));
        transport.Room.SetResult(); // the peer reads again
        (await flush.WaitAsync(TimeSpan.FromSeconds(10), ct)).IsCanceled.Should().BeFalse();
        manual.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatOutputWaiting).Should().ContainSingle("one report per wait");
    }

    [Fact]
    public async Task Heartbeat_PeerStopsReadingForSeveralIntervals_OneHeartbeatQueuedEachFailureReportedAndSentAgainOnceThePeerReads()
    {
        using var manual = new ManualScheduler();
        var (pipe, outgoing, registration) = SmallPipeWithHeartbeat(manual);
        var stuck = pipe.Output.WriteAsync(new byte[100], TestContext.Current.CancellationToken);
        pipe.Output.CancelPendingFlush();
        (await stuck).IsCanceled.Should().BeTrue("the peer stopped reading: the pipe is over its pause threshold");

        manual.Step(TimeSpan.FromMilliseconds(4100), ManualScheduler.Tick); // four heartbeats come due while the peer reads nothing

        var stats = registration.GetStatistics();
        stats.Sent.Should().Be(0, "no heartbeat reached the peer");
        stats.Failed.Should().Be(4, "each due heartbeat is reported: the connection is at risk while the peer does not read");
        manual.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendFailed).Should().HaveCount(4).And.OnlyContain(l => l.Exception!.Message.Contains("not reading"));
        outgoing.Reader.TryRead(out var read).Should().BeTrue();
        read.Buffer.Length.Should().Be(100 + Ping.Length, "one heartbeat waits behind the message; more would only pile up past the pause threshold");

        outgoing.Reader.AdvanceTo(read.Buffer.End); // the peer reads again
        manual.Step(ManualScheduler.Second, ManualScheduler.Tick);

        registration.GetStatistics().Sent.Should().Be(1, "the pipe has room again");
        outgoing.Reader.TryRead(out read).Should().BeTrue();
        System.Buffers.BuffersExtensions.ToArray(read.Buffer).Should().Equal(Ping);
    }

    [Fact]
    public async Task Output_CancelPendingFlushBetweenFlushes_TheApplicationsNextFlushIsCanceledEvenWhenAHeartbeatFlushesFirst()
    {
        // PipeWriter.CancelPendingFlush with no flush pending cancels the next one (a write loop stopped that way: "if
        // (result.IsCanceled) break"). A heartbeat that flushed in between took that cancel for itself: the application's
        // next flush completed normally, and its write loop never stopped.
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var (pipe, wire, _) = InMemory();
        var registration = pipe.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Interval = ManualScheduler.Second, Spread = TimeSpan.Zero });
        await pipe.Output.WriteAsync("abc"u8.ToArray(), ct);

        pipe.Output.CancelPendingFlush();
        manual.Step(TimeSpan.FromMilliseconds(1100), ManualScheduler.Tick); // the heartbeat comes due and flushes

        (await pipe.Output.WriteAsync("x"u8.ToArray(), ct)).IsCanceled.Should().BeTrue("the application asked for its next flush to be cancelled");
        registration.GetStatistics().Should().BeEquivalentTo(new { Sent = 1L, Failed = 0L }, "the heartbeat's bytes were committed to the pipe");
        pipe.Output.Complete();
        (await ReadAllAsync(wire)).Should().Equal([.. "abc"u8.ToArray(), .. Ping, .. "x"u8.ToArray()]);
    }

    [Fact]
    public async Task Output_OverAStream_CancelPendingFlushBetweenFlushes_TheHeartbeatItCancelsIsNotCountedSentAndLeavesWithTheNextFlush()
    {
        // PipeWriter.Create over a stream: a flush cancelled before it starts writes nothing (its bytes stay buffered),
        // unlike a Pipe's, which commits them. The heartbeat that took the application's cancel was counted as sent while
        // its bytes were still in the writer's buffer, so the statistics said the connection was kept alive when it was not.
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var wire = new MemoryStream();
        var pipe = new HeartbeatDuplexPipe(new StreamDuplexPipe(PipeReader.Create(new MemoryStream()), PipeWriter.Create(wire, new StreamPipeWriterOptions(leaveOpen: true))));
        var registration = pipe.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Interval = ManualScheduler.Second, Spread = TimeSpan.Zero });
        await pipe.Output.WriteAsync("abc"u8.ToArray(), ct);

        pipe.Output.CancelPendingFlush();
        manual.Step(TimeSpan.FromMilliseconds(1100), ManualScheduler.Tick); // the heartbeat comes due and takes the cancel

        wire.ToArray().Should().Equal("abc"u8.ToArray(), "the cancelled flush wrote nothing");
        registration.GetStatistics().Should().BeEquivalentTo(new { Sent = 0L, Failed = 1L }, "its bytes did not leave");
        manual.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendFailed).Should().ContainSingle().Which.Exception!.Message.Should().Contain("CancelPendingFlush");
        (await pipe.Output.FlushAsync(ct)).IsCanceled.Should().BeTrue("the application asked for its next flush to be cancelled");
        (await pipe.Output.FlushAsync(ct)).IsCanceled.Should().BeFalse();
        wire.ToArray().Should().Equal([.. "abc"u8.ToArray(), .. Ping], "the heartbeat's bytes leave with the next flush");
    }

    [Fact]
    public async Task Output_OverATransportWriterThatCannotCountUnflushedBytes_CancelPendingFlushBetweenFlushes_TheHeartbeatItCancelsIsNotCountedSent()
    {
        // CancelPendingFlush with no flush pending cancels the next one, which was the heartbeat's. A transport's writer that
        // cannot count its unflushed bytes says nothing of what a cancelled flush sent (this one drops them): the heartbeat
        // was counted as sent, so the statistics said the connection was kept alive when nothing reached the peer.
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var transport = new SendOnFlushWriter();
        var pipe = new HeartbeatDuplexPipe(new StreamDuplexPipe(PipeReader.Create(new MemoryStream()), transport));
        var registration = pipe.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Interval = ManualScheduler.Second, Spread = TimeSpan.Zero });

        pipe.Output.CancelPendingFlush();
        manual.Step(TimeSpan.FromMilliseconds(1100), ManualScheduler.Tick); // the heartbeat comes due and takes the cancel

        transport.Cut.Should().Be(1, "the heartbeat's flush was the cancelled one");
        registration.GetStatistics().Should().BeEquivalentTo(new { Sent = 0L, Failed = 1L }, "nothing says its bytes left");
        manual.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendFailed).Should().ContainSingle().Which.Exception!.Message.Should().Contain("CancelPendingFlush");
        (await pipe.Output.FlushAsync(ct)).IsCanceled.Should().BeTrue("the application asked for its next flush to be cancelled");
    }

    // Waits until the registration has sent 3 heartbeats and failed none, at most 20 s.
    private static async Task ThreeSentOrTwentySecondsAsync(HeartbeatRegistration registration, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while ((registration.GetStatistics().Sent < 3 || registration.GetStatistics().Failed > 0) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, ct);
        }
    }

    // PipeWriter.Create over a stream whose write of the heartbeat, started (with `halfBeforeRelease`, half of it sent), ends when `release` is set.
    private static async Task<(HeartbeatDuplexPipe Pipe, AsynchronousWriteStream Connection, TaskCompletionSource Release, HeartbeatRegistration Registration)> HeartbeatBeingWrittenToAStreamAsync(ManualScheduler manual, CancellationToken ct, bool halfBeforeRelease = false)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var connection = new AsynchronousWriteStream(release.Task, halfBeforeRelease);
        var pipe = new HeartbeatDuplexPipe(new StreamDuplexPipe(PipeReader.Create(new MemoryStream()), PipeWriter.Create(connection)));
        var registration = pipe.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Interval = ManualScheduler.Second, Spread = TimeSpan.Zero });
        manual.Step(TimeSpan.FromMilliseconds(1100), ManualScheduler.Tick);
        await connection.WriteStarted.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        return (pipe, connection, release, registration);
    }

    // A heartbeat every second over `transport`, whose flush of the first one has started (and waits for the transport's Room).
    private static async Task<(HeartbeatDuplexPipe Pipe, HeartbeatRegistration Registration)> HeartbeatWaitingOnATransportAsync(ManualScheduler manual, BackPressuredTransportWriter transport, CancellationToken ct, string name = "", TimeSpan? blockedCallbackThreshold = null)
    {
        var pipe = new HeartbeatDuplexPipe(new StreamDuplexPipe(new Pipe().Reader, transport));
        var options = new HeartbeatOptions { Name = name, Interval = ManualScheduler.Second, Spread = TimeSpan.Zero };
        options.BlockedCallbackThreshold = blockedCallbackThreshold ?? options.BlockedCallbackThreshold;
        var registration = pipe.RegisterHeartbeat(manual.Scheduler, Ping, options);
        manual.Step(TimeSpan.FromMilliseconds(1100), ManualScheduler.Tick);
        await transport.FlushStarted.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        return (pipe, registration);
    }

    // A heartbeat every second on a pipe whose peer side pauses the writer past 64 unread bytes.
    private static (HeartbeatDuplexPipe Pipe, Pipe Outgoing, HeartbeatRegistration Registration) SmallPipeWithHeartbeat(ManualScheduler manual)
    {
        var outgoing = new Pipe(new PipeOptions(pauseWriterThreshold: 64, resumeWriterThreshold: 32, useSynchronizationContext: false));
        var pipe = new HeartbeatDuplexPipe(new StreamDuplexPipe(new Pipe().Reader, outgoing.Writer));
        return (pipe, outgoing, pipe.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = ManualScheduler.Second }));
    }

    private static (HeartbeatDuplexPipe Pipe, PipeReader Wire, PipeWriter Peer) InMemory()
    {
        var outgoing = new Pipe();
        var incoming = new Pipe();
        return (new HeartbeatDuplexPipe(new StreamDuplexPipe(incoming.Reader, outgoing.Writer)), outgoing.Reader, incoming.Writer);
    }

    private static async Task<byte[]> ReadAllAsync(PipeReader reader)
    {
        using var all = new MemoryStream();
        await reader.CopyToAsync(all, TestContext.Current.CancellationToken);
        return all.ToArray();
    }

    private sealed record StreamDuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;

    /// <summary>A writer that records what is advanced and flushed, and counts its completions; each call under a lock, so two threads may call it.</summary>
    private sealed class LockedRecordingWriter : PipeWriter
    {
        private readonly System.Buffers.ArrayBufferWriter<byte> _buffer = new();
        private readonly Lock _lock = new();
        private bool _completed;
        private int _completions;

        public int Completions => Volatile.Read(ref _completions);

        /// <summary>Gets a count released each time Complete is called, before it waits for <see cref="CompleteGate"/>.</summary>
        public SemaphoreSlim CompleteCalled { get; } = new(0);

        /// <summary>Gets what each Complete waits for before it completes the writer (none: it completes at once).</summary>
        public ManualResetEventSlim? CompleteGate { get; init; }

        public byte[] Written()
        {
            lock (_lock)
            {
                return _buffer.WrittenSpan.ToArray();
            }
        }

        public override void Advance(int bytes)
        {
            lock (_lock)
            {
                ThrowIfCompleted();
                _buffer.Advance(bytes);
            }
        }

        public override Memory<byte> GetMemory(int sizeHint = 0)
        {
            lock (_lock)
            {
                ThrowIfCompleted();
                return _buffer.GetMemory(Math.Max(sizeHint, 64));
            }
        }

        public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

        public override void CancelPendingFlush()
        {
        }

        public override void Complete(Exception? exception = null)
        {
            CompleteCalled.Release();
            CompleteGate?.Wait();
            lock (_lock)
            {
                _completed = true;
                _completions++;
            }
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            lock (_lock)
            {
                ThrowIfCompleted();
                return new(new FlushResult(isCanceled: false, isCompleted: false));
            }
        }

        private void ThrowIfCompleted()
        {
            if (_completed)
            {
                throw new InvalidOperationException("Writing is not allowed after writer was completed.");
            }
        }
    }

    /// <summary>
    /// A slow transport over a real <see cref="Pipe"/>: every flush waits for <see cref="Release"/> before it flushes the pipe.
    /// Like a transport's own writer, it cannot count its unflushed bytes. Counts its completions.
    /// </summary>
    private sealed class SlowFlushPipeWriter(PipeWriter pipe) : PipeWriter
    {
        private int _completions;
        private int _flushes;

        public TaskCompletionSource FlushStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Gets whether every flush after the first also waits, for <see cref="LaterRelease"/>.</summary>
        public bool HoldLaterFlushes { get; init; }

        public TaskCompletionSource LaterFlushStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource LaterRelease { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Completions => Volatile.Read(ref _completions);

        public override void Advance(int bytes) => pipe.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => pipe.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => pipe.GetSpan(sizeHint);

        public override void CancelPendingFlush() => pipe.CancelPendingFlush();

        public override void Complete(Exception? exception = null)
        {
            Interlocked.Increment(ref _completions);
            pipe.Complete(exception);
        }

        public override async ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            if (Interlocked.Increment(ref _flushes) > 1 && HoldLaterFlushes)
            {
                LaterFlushStarted.TrySetResult();
                await LaterRelease.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            FlushStarted.TrySetResult();
            await Release.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return await pipe.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A transport's writer that sends what was written on FlushAsync, taking a few milliseconds; a cancel cuts the send midway
    /// (counted in <see cref="Cut"/>). Like PipeWriter's default, it cannot count its unflushed bytes.
    /// </summary>
    private sealed class SendOnFlushWriter : PipeWriter
    {
        private readonly System.Buffers.ArrayBufferWriter<byte> _buffer = new();
        private volatile TaskCompletionSource _cancel = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _cut;

        public int Cut => Volatile.Read(ref _cut);

        public override void Advance(int bytes) => _buffer.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => _buffer.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => _buffer.GetSpan(sizeHint);

        public override void CancelPendingFlush() => _cancel.TrySetResult();

        public override void Complete(Exception? exception = null)
        {
        }

        public override async ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            var cancel = _cancel;
            var sent = Task.Delay(2, cancellationToken);
            if (await Task.WhenAny(sent, cancel.Task).ConfigureAwait(false) == cancel.Task)
            {
                _cancel = new(TaskCreationOptions.RunContinuationsAsynchronously);
                Interlocked.Increment(ref _cut);
                _buffer.Clear();
                return new FlushResult(isCanceled: true, isCompleted: false);
            }

            _buffer.Clear();
            return new FlushResult(isCanceled: false, isCompleted: false);
        }
    }

    /// <summary>
    /// A transport's writer that sends on FlushAsync and cannot count its unflushed bytes (PipeWriter's default), over a peer
    /// that stopped reading: each flush waits for <see cref="Room"/> (a CancelPendingFlush returns it cancelled). Records
    /// its completion; with <see cref="CompleteFailure"/> set, CompleteAsync throws it after recording.
    /// </summary>
    private sealed class BackPressuredTransportWriter : PipeWriter
    {
        private readonly System.Buffers.ArrayBufferWriter<byte> _buffer = new();
        private volatile TaskCompletionSource _cancel = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _completions;

        public TaskCompletionSource Room { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource FlushStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<Exception?> Completed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Exception? CompleteFailure { get; init; }

        /// <summary>Gets or sets what GetMemory and GetSpan throw (a transport whose connection failed).</summary>
        public Exception? WriteFailure { get; set; }

        public override void Advance(int bytes) => _buffer.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => WriteFailure is { } failure ? throw failure : _buffer.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => WriteFailure is { } failure ? throw failure : _buffer.GetSpan(sizeHint);

        public override void CancelPendingFlush() => _cancel.TrySetResult();

        public int Completions => Volatile.Read(ref _completions);

        public override void Complete(Exception? exception = null)
        {
            Interlocked.Increment(ref _completions);
            Completed.TrySetResult(exception);
            if (CompleteFailure is { } failure)
            {
                throw failure;
            }
        }

        public override async ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            var cancel = _cancel;
            FlushStarted.TrySetResult();
            if (await Task.WhenAny(Room.Task, cancel.Task).WaitAsync(cancellationToken).ConfigureAwait(false) == cancel.Task)
            {
                _cancel = new(TaskCreationOptions.RunContinuationsAsynchronously);
                return new FlushResult(isCanceled: true, isCompleted: false);
            }

            await Room.Task.ConfigureAwait(false); // a failed send throws here
            _buffer.Clear();
            return new FlushResult(isCanceled: false, isCompleted: false);
        }
    }
}
