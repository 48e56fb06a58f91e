using System.Buffers;
using KeepAlive.Net.Tests.Heartbeats;

namespace KeepAlive.Net.Tests.Streams;

/// <summary>The wrapper's activity rules on a fake clock (a scheduler without threads, a MemoryStream as the connection).</summary>
public sealed class HeartbeatStreamLogicTests
{
    private static readonly byte[] Ping = "PING"u8.ToArray();

    [Fact]
    public void Write_MoreOftenThanInterval_IdleHeartbeatPostponedUntilWritesStop()
    {
        using var manual = new ManualScheduler();
        var connection = new MemoryStream();
        using var stream = new HeartbeatStream(connection);
        var registration = stream.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Interval = ManualScheduler.Second });

        for (var i = 0; i < 10; i++)
        {
            manual.Step(TimeSpan.FromMilliseconds(500), ManualScheduler.Tick);
            stream.Write("x"u8);
        }

        registration.GetStatistics().Sent.Should().Be(0, "a write every half interval means the connection is never idle");
        connection.ToArray().Should().Equal("xxxxxxxxxx"u8.ToArray());

        manual.Step(TimeSpan.FromMilliseconds(1100), ManualScheduler.Tick);
        registration.GetStatistics().Sent.Should().Be(1);
        connection.ToArray().Should().EndWith(Ping);
    }

    [Fact]
    public async Task WriteAsync_CancelledWhileWaitingForTheWritePath_ThrowsWithTheCallersToken()
    {
        // A caller tells its own cancellation from a timeout or a shutdown by the exception's token (as Stream.WriteAsync
        // reports it): the wait for the write path is linked to the stream's closing, and the exception carried that linked
        // token instead, so `catch (OperationCanceledException e) when (e.CancellationToken == token)` missed it.
        var ct = TestContext.Current.CancellationToken;
        await using var stream = new HeartbeatStream(new MemoryStream());
        await using var message = await stream.BeginMessageAsync(ct); // holds the write path
        using var cancel = new CancellationTokenSource();

        var waiting = stream.WriteAsync(Ping, cancel.Token).AsTask();
        await Task.Delay(50, ct);
        await cancel.CancelAsync();

        (await waiting.Awaiting(static w => w).Should().ThrowAsync<OperationCanceledException>()).Which.CancellationToken.Should().Be(cancel.Token, "the wait was cancelled by the caller's token");
        (await stream.Awaiting(s => s.WriteAsync(Ping, cancel.Token).AsTask()).Should().ThrowAsync<OperationCanceledException>()).Which.CancellationToken.Should().Be(cancel.Token, "a token cancelled before the call");
        (await stream.Awaiting(s => s.BeginMessageAsync(cancel.Token).AsTask()).Should().ThrowAsync<OperationCanceledException>()).Which.CancellationToken.Should().Be(cancel.Token);
    }

    [Fact]
    public async Task Write_ZeroBytes_IsNotActivityAndDoesNotPostponeTheIdleHeartbeat()
    {
        // A zero-byte write puts nothing on the wire: an application that writes empty buffers (an empty frame body, a
        // flushed writer with nothing in it) on an idle connection must still get its heartbeat.
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var connection = new MemoryStream();
        await using var stream = new HeartbeatStream(connection);
        var registration = stream.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Interval = ManualScheduler.Second, Spread = TimeSpan.Zero });

        for (var i = 0; i < 6; i++)
        {
            manual.Step(TimeSpan.FromMilliseconds(500), ManualScheduler.Tick);
            stream.Write(ReadOnlySpan<byte>.Empty);
            await stream.WriteAsync(ReadOnlyMemory<byte>.Empty, ct);
            using var scope = stream.BeginMessage();
            scope.Stream.Write([], 0, 0);
        }

        var sent = registration.GetStatistics().Sent;
        sent.Should().BeGreaterThanOrEqualTo(2, "3 s with nothing on the wire is idle, whatever empty writes were made");
        connection.ToArray().Should().Equal(Enumerable.Repeat(Ping, (int)sent).SelectMany(static p => p), "only heartbeats went out");
    }

    [Fact]
    public void Read_DataWithinTimeout_PeerStaysAliveAndEndOfStreamDoesNotCount()
    {
        using var manual = new ManualScheduler();
        var incoming = new MemoryStream("abcdef"u8.ToArray());
        using var stream = new HeartbeatStream(incoming);
        using var registration = manual.Scheduler.Register(new HeartbeatOptions { Interval = ManualScheduler.Second, Timeout = TimeSpan.FromSeconds(2) }, _ => ValueTask.CompletedTask);
        stream.TrackActivity(registration);
        var dead = 0;
        registration.PeerDead += (_, _) => dead++;
        var buffer = new byte[1];

        for (var i = 0; i < 6; i++)
        {
            manual.Step(TimeSpan.FromMilliseconds(1500), ManualScheduler.Tick);
            stream.Read(buffer).Should().Be(1);
        }

        dead.Should().Be(0, "a byte read every 1.5 s keeps a 2 s liveness timeout from firing");
        for (var i = 0; i < 4; i++)
        {
            manual.Step(TimeSpan.FromMilliseconds(500), ManualScheduler.Tick);
            stream.Read(buffer).Should().Be(0, "the end of the stream is not the peer speaking");
        }

        dead.Should().Be(1);
    }

    [Fact]
    public void RegisterHeartbeat_SecondRegistration_ThrowsAndStopsTheSecond()
    {
        using var manual = new ManualScheduler();
        using var stream = new HeartbeatStream(new MemoryStream());
        stream.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Name = "first" });

        var second = () => stream.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Name = "second" });

        second.Should().Throw<InvalidOperationException>().WithMessage("*already tracks the heartbeat registration 'first'*Fix:*");
        manual.Scheduler.RegistrationCount.Should().Be(1);
        using var other = manual.Scheduler.Register(new HeartbeatOptions(), _ => ValueTask.CompletedTask);
        stream.Invoking(s => s.TrackActivity(other)).Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public async Task RegisterHeartbeat_RacingSecondRegistration_TheWinnerKeepsItsOwnPayload()
    {
        // Two threads register on one stream: the second passes the "already registered?" check before the first has
        // registered, and is refused after. It used to leave its payload behind as the stream's heartbeat writer, so the
        // winner's registration wrote the loser's bytes. The order is forced with a scheduler that pauses in Register.
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var connection = new MemoryStream();
        await using var stream = new HeartbeatStream(connection);
        var options = new HeartbeatOptions { Interval = ManualScheduler.Second, Spread = TimeSpan.Zero };
        var loserInRegister = new TaskCompletionSource();
        var winnerDone = new TaskCompletionSource();
        var loserScheduler = new PausingScheduler(manual.Scheduler, () =>
        {
            loserInRegister.SetResult();
            winnerDone.Task.Wait(ct);
        });
        Task? loser = null;
        var winnerScheduler = new PausingScheduler(manual.Scheduler, () =>
        {
            loser = Task.Run(() => stream.RegisterHeartbeat(loserScheduler, "LOSE"u8.ToArray(), options), ct);
            loserInRegister.Task.Wait(ct);
        });

        var winner = stream.RegisterHeartbeat(winnerScheduler, Ping, options);
        winnerDone.SetResult();
        await FluentActions.Awaiting(() => loser!).Should().ThrowAsync<InvalidOperationException>();
        manual.Step(TimeSpan.FromMilliseconds(1100), ManualScheduler.Tick);

        stream.Registration.Should().BeSameAs(winner);
        winner.GetStatistics().Sent.Should().Be(1);
        connection.ToArray().Should().Equal(Ping, "the registration that won writes its own payload");
    }

    [Fact]
    public void RegisterHeartbeat_AfterTheFirstRegistrationEnded_RefusedSayingItEndedAndToWrapTheNewConnection()
    {
        // The registration was disposed (or ended by a send that failed for good) and the user registers again on the
        // same wrapper: "already tracks ... wrap each connection once" named a registration that no longer runs and a fix
        // that did not fit. The message says it ended and what to do.
        using var manual = new ManualScheduler();
        using var stream = new HeartbeatStream(new MemoryStream());
        var first = stream.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Name = "first", Interval = ManualScheduler.Second });
        first.Dispose();

        stream.Invoking(s => s.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Name = "second" }))
            .Should().Throw<InvalidOperationException>().WithMessage("This HeartbeatStream already had the heartbeat registration 'first', which has ended*Fix: close this connection and wrap the new one in a new HeartbeatStream.");
        manual.Scheduler.RegistrationCount.Should().Be(0);
    }

    [Fact]
    public void TrackActivity_EndedRegistration_RefusedWithTheFixAndNothingTracked()
    {
        using var manual = new ManualScheduler();
        using var stream = new HeartbeatStream(new MemoryStream());
        var ended = manual.Scheduler.Register(new HeartbeatOptions { Name = "gone" }, _ => ValueTask.CompletedTask);
        ended.Dispose();

        stream.Invoking(s => s.TrackActivity(ended)).Should().Throw<ObjectDisposedException>().WithMessage("The heartbeat registration 'gone' has ended*Fix: track a live registration*");
        stream.Registration.Should().BeNull();
        using var live = manual.Scheduler.Register(new HeartbeatOptions(), _ => ValueTask.CompletedTask);
        stream.TrackActivity(live);
        stream.Registration.Should().BeSameAs(live, "a refused registration leaves the stream free for a live one");
    }

    [Fact]
    public void TrackActivity_RegistrationWhoseSchedulerWasDisposed_RefusedAsEnded()
    {
        // TrackActivity documents ObjectDisposedException for a registration whose scheduler stopped; such a registration was
        // accepted (its handle still looked live), and the stream's reads and writes marked activity that nothing reads.
        var manual = new ManualScheduler();
        var stopped = manual.Scheduler.Register(new HeartbeatOptions { Name = "stopped" }, _ => ValueTask.CompletedTask);
        manual.Dispose();
        using var stream = new HeartbeatStream(new MemoryStream());

        stream.Invoking(s => s.TrackActivity(stopped)).Should().Throw<ObjectDisposedException>()
            .WithMessage("The heartbeat registration 'stopped' has ended (disposed, its peer declared dead, or its scheduler stopped)*Fix: track a live registration*");
        stream.Registration.Should().BeNull();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Heartbeat_InnerStreamOverAPipeWhoseWriterWasCompleted_EndsTheRegistrationOnceInsteadOfFailingEveryInterval(bool ownWriter)
    {
        // A pipe seen as a stream (PipeWriter.AsStream(), as a transport's pipe often is) refuses every write once its writer
        // is completed, with InvalidOperationException "Writing is not allowed after writer was completed": not a failure
        // the engine knew as permanent, so the heartbeat failed at every interval for ever (warning 2005 each time) and never
        // raised PeerDead, although the connection is closed for good.
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var (pipe, stream, registration, reasons) = PipedStreamWithPing(manual, HeartbeatMode.WhenIdle, ownWriter);
        await using var owned = stream;
        manual.Step(TimeSpan.FromMilliseconds(1500), ManualScheduler.Tick);
        registration.GetStatistics().Sent.Should().Be(1);

        await pipe.Writer.CompleteAsync();
        manual.Step(TimeSpan.FromSeconds(5), ManualScheduler.Tick);

        reasons.Should().ContainSingle("the connection's pipe is closed for good: the peer is declared dead once")
            .Which.Should().Contain("writer was completed");
        registration.GetStatistics().Failed.Should().Be(1, "the registration ended at its first failed heartbeat; none was tried after it");
        manual.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendFailed).Should().BeEmpty("no heartbeat is retried on a closed connection");
        manual.Scheduler.RegistrationCount.Should().Be(0);
        (await pipe.Reader.ReadAsync(ct)).Buffer.ToArray().Should().Equal(Ping, "only the heartbeat sent before the writer was completed went out");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Heartbeat_DueDuringAMessageOnAStreamOverAPipeWhoseWriterWasCompleted_EndsTheRegistrationAtOnce(bool ownWriter)
    {
        // The heartbeat written at the end of a message (blocking writes) finds the pipe under the stream completed: a stream
        // over a pipe refuses the write as it refuses every write after that, so the connection is closed for good there too,
        // not only when the scheduler's thread writes the heartbeat (a blocking write's InvalidOperationException from any
        // other stream, an ASP.NET Core body refusing blocking writes, only fails that heartbeat).
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var (pipe, stream, registration, reasons) = PipedStreamWithPing(manual, HeartbeatMode.WhenIdle, ownWriter);
        await using var owned = stream;
        await using (var message = await stream.BeginMessageAsync(ct))
        {
            await message.Stream.WriteAsync("abc"u8.ToArray(), ct);
            manual.Step(TimeSpan.FromMilliseconds(1100), ManualScheduler.Tick); // the heartbeat comes due and waits for the message
            await pipe.Writer.CompleteAsync(); // the transport closes the connection
        }

        reasons.Should().ContainSingle("the connection's pipe is closed for good").Which.Should().Contain("writer was completed");
        registration.GetStatistics().Failed.Should().Be(1);
        manual.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendFailed).Should().BeEmpty("no heartbeat is retried on a closed connection");
        manual.Scheduler.RegistrationCount.Should().Be(0);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task Heartbeat_InnerStreamOverAPipeWhoseReaderCompleted_EndsTheRegistrationOnceInsteadOfCountingSentForEver(bool ownWriter, bool atTheEndOfAMessage)
    {
        // A pipe seen as a stream (PipeWriter.AsStream()) whose reader (the transport) completed takes every write and drops
        // it: the stream ignores the flush's result, which says so. Every heartbeat counted as sent for ever, on a closed
        // connection, where HeartbeatDuplexPipe over the same pipe raises PeerDead once and ends the registration.
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var (pipe, stream, registration, reasons) = PipedStreamWithPing(manual, HeartbeatMode.FixedRate, ownWriter);
        await using var owned = stream;
        manual.Step(TimeSpan.FromMilliseconds(1500), ManualScheduler.Tick);
        (await pipe.Reader.ReadAsync(ct)).Buffer.ToArray().Should().Equal(Ping);
        registration.GetStatistics().Sent.Should().Be(1);

        await pipe.Reader.CompleteAsync();
        if (atTheEndOfAMessage)
        {
            await using var message = await stream.BeginMessageAsync(ct);
            await message.Stream.WriteAsync("abc"u8.ToArray(), ct);
            manual.Step(TimeSpan.FromMilliseconds(1000), ManualScheduler.Tick); // the heartbeat comes due and waits for the message
        }

        manual.Step(TimeSpan.FromSeconds(5), ManualScheduler.Tick);

        reasons.Should().ContainSingle("the connection's pipe is closed for good: the peer is declared dead once")
            .Which.Should().Contain("reader (the transport) has completed");
        registration.GetStatistics().Should().BeEquivalentTo(new { Sent = 1L, Failed = 1L }, "no heartbeat reached a reader that completed, and none was tried after the first");
        manual.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendFailed).Should().BeEmpty();
        manual.Scheduler.RegistrationCount.Should().Be(0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Heartbeat_DueDuringAMessageOnAStreamThatRefusesBlockingWrites_FailsOnceAndTheNextIsSentNotPeerDead(bool ownWriter)
    {
        // An ASP.NET Core request or response body with AllowSynchronousIO off refuses every blocking write with
        // InvalidOperationException ("Synchronous operations are disallowed"); the heartbeat due during a message is written
        // by the thread that ends it, with blocking writes. The docs promise that heartbeat fails (warning 2005) and the next
        // is tried; the refusal was taken for a stream over a completed pipe writer: PeerDead "the connection is closed" and
        // the registration ended, on a connection that was fine (the application's asynchronous writes kept going through).
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var connection = new AsynchronousOnlyStream();
        await using var stream = new HeartbeatStream(connection);
        var options = new HeartbeatOptions { Name = "body", Interval = ManualScheduler.Second, Spread = TimeSpan.Zero };
        var (registration, deaths) = RegisterPing(stream, manual, options, ownWriter);
        await using (var message = await stream.BeginMessageAsync(ct))
        {
            await message.Stream.WriteAsync("abc"u8.ToArray(), ct);
            manual.Step(TimeSpan.FromMilliseconds(1100), ManualScheduler.Tick); // the heartbeat comes due and waits for the message
        }

        deaths.Should().BeEmpty("a stream that refuses blocking writes is not a closed connection");
        registration.GetStatistics().Failed.Should().Be(1);
        manual.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendFailed).Should().ContainSingle()
            .Which.Exception!.Message.Should().Contain("Synchronous operations are disallowed");

        manual.Step(TimeSpan.FromSeconds(1), ManualScheduler.Tick); // the next heartbeat is written from the scheduler's thread

        registration.GetStatistics().Sent.Should().Be(1, "the registration carried on");
        manual.Scheduler.RegistrationCount.Should().Be(1);
        connection.ToArray().Should().Equal([.. "abc"u8.ToArray(), .. Ping]);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task Heartbeat_WriteTimedOut_EndsTheRegistrationOnceInsteadOfFailingEveryInterval(bool ownWriter, bool atTheEndOfAMessage)
    {
        // A NetworkStream write that times out throws IOException over SocketException TimedOut: asynchronously (the scheduler's
        // heartbeat) the kernel aborted the connection (TCP_USER_TIMEOUT, keep-alive, retransmissions: no WriteTimeout applies),
        // and a blocking write (the heartbeat written at the end of a message) that ran past WriteTimeout may have put part of
        // the heartbeat on the wire, so the next message would follow a cut one. Either way the connection is not usable, as
        // the socket heartbeat's TimedOut is; it was a failure retried at every interval (warning 2005 each time), never PeerDead.
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var connection = new TimingOutStream(Ping);
        await using var stream = new HeartbeatStream(connection);
        var options = new HeartbeatOptions { Name = "timed-out", Mode = HeartbeatMode.FixedRate, Interval = ManualScheduler.Second, Spread = TimeSpan.Zero };
        var (registration, reasons) = RegisterPing(stream, manual, options, ownWriter);
        if (atTheEndOfAMessage)
        {
            await using var message = await stream.BeginMessageAsync(ct);
            await message.Stream.WriteAsync("abc"u8.ToArray(), ct);
            manual.Step(TimeSpan.FromMilliseconds(1100), ManualScheduler.Tick); // the heartbeat comes due and waits for the message
        }

        manual.Step(TimeSpan.FromSeconds(5), ManualScheduler.Tick);

        reasons.Should().ContainSingle("a write that timed out leaves the connection unusable: the peer is declared dead once")
            .Which.Should().Contain("timed out");
        registration.GetStatistics().Failed.Should().Be(1, "the registration ended at its first failed heartbeat");
        manual.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendFailed).Should().BeEmpty("no heartbeat is retried on a connection that timed out");
        manual.Scheduler.RegistrationCount.Should().Be(0);
    }

    [Fact]
    public void RegisterHeartbeat_BadArguments_Refused()
    {
        using var manual = new ManualScheduler();
        using var stream = new HeartbeatStream(new MemoryStream());

        stream.Invoking(s => s.RegisterHeartbeat(manual.Scheduler, ReadOnlyMemory<byte>.Empty, new HeartbeatOptions()))
            .Should().Throw<ArgumentException>().WithMessage("*payload is empty*Fix:*");
        stream.Invoking(s => s.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Interval = TimeSpan.Zero }))
            .Should().Throw<ArgumentException>().WithMessage("*Interval*Fix:*");
        stream.Invoking(s => s.RegisterHeartbeat(null!, Ping, new HeartbeatOptions())).Should().Throw<ArgumentNullException>();
        stream.Invoking(s => s.RegisterHeartbeat(manual.Scheduler, new HeartbeatOptions(), null!)).Should().Throw<ArgumentNullException>();
        stream.Invoking(s => s.TrackActivity(null!)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => new HeartbeatStream(null!)).Should().Throw<ArgumentNullException>();
        stream.Registration.Should().BeNull("nothing valid was registered");
        manual.Scheduler.RegistrationCount.Should().Be(0);
    }

    [Fact]
    public void RegisterHeartbeat_InnerStreamNotWritable_RefusedWithTheFixInsteadOfFailingEveryInterval()
    {
        // A read-only stream (or one already closed) fails every heartbeat with NotSupportedException: not a closed
        // connection, so the registration would warn 2005 at every interval for ever and never raise PeerDead.
        using var manual = new ManualScheduler();
        using var readOnly = new HeartbeatStream(new MemoryStream(new byte[8], writable: false));
        var closedInner = new MemoryStream();
        using var closed = new HeartbeatStream(closedInner);
        closedInner.Dispose();

        readOnly.Invoking(s => s.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Interval = ManualScheduler.Second }))
            .Should().Throw<NotSupportedException>().WithMessage("The wrapped MemoryStream cannot be written (CanWrite is false*Fix: wrap the connection's writable stream*TrackActivity*");
        closed.Invoking(s => s.RegisterHeartbeat(manual.Scheduler, new HeartbeatOptions(), (w, c) => w.WriteAsync(Ping, c.CancellationToken)))
            .Should().Throw<NotSupportedException>().WithMessage("*already closed*Fix:*");
        manual.Scheduler.RegistrationCount.Should().Be(0);
        readOnly.Registration.Should().BeNull();
        using var tracked = manual.Scheduler.Register(new HeartbeatOptions(), _ => ValueTask.CompletedTask);
        readOnly.TrackActivity(tracked);
        readOnly.Registration.Should().BeSameAs(tracked, "a read-only wrapper still marks the peer activity of a heartbeat sent some other way");
    }

    [Fact]
    public void RegisterHeartbeat_SslStreamBeforeItsHandshake_RefusedNamingTheHandshakeNotAClosedStream()
    {
        // An SslStream cannot be written until AuthenticateAsClientAsync/AuthenticateAsServerAsync completes: registering
        // before it was refused as "read-only, or already closed", with the fix to wrap an SslStream, which it was.
        using var manual = new ManualScheduler();
        using var stream = new HeartbeatStream(new System.Net.Security.SslStream(new MemoryStream()));

        stream.Invoking(s => s.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Interval = ManualScheduler.Second }))
            .Should().Throw<NotSupportedException>().WithMessage("The wrapped SslStream cannot be written: its TLS handshake has not completed*Fix: register the heartbeat once AuthenticateAsClientAsync or AuthenticateAsServerAsync has completed*");
        manual.Scheduler.RegistrationCount.Should().Be(0);
    }

    [Fact]
    public void Dispose_OwnedRegistration_StopsHeartbeatAndClosesInnerUnlessLeftOpen()
    {
        using var manual = new ManualScheduler();
        var closed = new MemoryStream();
        var stream = new HeartbeatStream(closed);
        stream.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Interval = ManualScheduler.Second });
        var open = new MemoryStream();
        var leftOpen = new HeartbeatStream(open, leaveOpen: true);
        using var tracked = manual.Scheduler.Register(new HeartbeatOptions(), _ => ValueTask.CompletedTask);
        leftOpen.TrackActivity(tracked);

        stream.Dispose();
        leftOpen.Dispose();

        manual.Scheduler.RegistrationCount.Should().Be(1, "the owned registration stops with the stream; a tracked one belongs to the caller");
        closed.CanWrite.Should().BeFalse();
        open.CanWrite.Should().BeTrue();
        stream.CanWrite.Should().BeFalse();
        stream.Invoking(s => s.Write(Ping)).Should().Throw<ObjectDisposedException>();
        leftOpen.Invoking(s => s.Read(new byte[1])).Should().Throw<ObjectDisposedException>();
        stream.Invoking(s => s.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions())).Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public void RegisterHeartbeat_RacingDisposeThatHandsTheStreamBack_RefusedAndNoHeartbeatWrittenToTheHandedBackStream()
    {
        // Dispose (leaveOpen) runs while RegisterHeartbeat is in the scheduler's Register, past its disposed check: the
        // application now uses the inner stream on its own (to upgrade it to TLS, say). The order is forced with a
        // scheduler that disposes the stream in Register.
        using var manual = new ManualScheduler();
        var connection = new MemoryStream();
        var stream = new HeartbeatStream(connection, leaveOpen: true);
        var disposing = new PausingScheduler(manual.Scheduler, stream.Dispose);

        stream.Invoking(s => s.RegisterHeartbeat(disposing, Ping, new HeartbeatOptions { Interval = ManualScheduler.Second, Spread = TimeSpan.Zero }))
            .Should().Throw<ObjectDisposedException>("the stream was disposed before the registration was made");
        manual.Step(TimeSpan.FromSeconds(3), ManualScheduler.Tick);

        manual.Scheduler.RegistrationCount.Should().Be(0, "the registration made for a disposed stream is stopped");
        connection.ToArray().Should().BeEmpty("no heartbeat goes to a stream handed back to the application");
    }

    [Fact]
    public void Dispose_WhileAMessageHoldsAPendingHeartbeat_HeartbeatCancelledAtOnceNotLeftInFlight()
    {
        // The stream (or the registration) is disposed while a message scope is open and a heartbeat waits for it: the
        // heartbeat used to stay in flight until the scope ended (for ever if it never did), then counted as a send blocked
        // for seconds (warning 2006) on a registration that had stopped.
        using var manual = new ManualScheduler();
        foreach (var disposeStream in new[] { true, false })
        {
            var connection = new MemoryStream();
            var stream = new HeartbeatStream(connection, leaveOpen: true);
            var registration = stream.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Interval = ManualScheduler.Second, Spread = TimeSpan.Zero, Name = $"stream disposed {disposeStream}" });
            var scope = stream.BeginMessage();
            scope.Stream.Write("abc"u8);
            manual.Step(TimeSpan.FromMilliseconds(1200), ManualScheduler.Tick); // the heartbeat came due and waits for the scope

            if (disposeStream)
            {
                stream.Dispose();
            }
            else
            {
                registration.Dispose();
            }

            manual.Step(TimeSpan.FromSeconds(5), ManualScheduler.Tick);
            scope.Dispose();
            manual.Step(TimeSpan.FromSeconds(1), ManualScheduler.Tick);

            registration.GetStatistics().Should().BeEquivalentTo(new { Sent = 0L, Failed = 0L, Blocked = 0L }, "a heartbeat cancelled by stopping its registration is neither sent, failed nor blocked");
            connection.ToArray().Should().Equal("abc"u8.ToArray(), "the cancelled heartbeat is not written after the message");
            stream.Dispose();
        }

        manual.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendBlocked).Should().BeEmpty();
        manual.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendFailed).Should().BeEmpty();
        manual.Scheduler.RegistrationCount.Should().Be(0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Dispose_LeaveOpenWhileAnApplicationThreadWritesTheHeartbeatAtTheEndOfItsMessage_ReturnsOnlyOnceThatWriteEnded(bool asynchronously)
    {
        // A heartbeat came due during a message; the thread that ends the message writes it (blocking, the peer makes no
        // room yet), and another thread disposes the HeartbeatStream to take the inner stream back (leaveOpen). Dispose
        // waited only for a heartbeat written by the scheduler's thread: it returned at once, and the heartbeat's bytes went
        // into a stream the application already used on its own.
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        using var room = new ManualResetEventSlim();
        var connection = new SlowPeerStream(Ping, room);
        var stream = new HeartbeatStream(connection, leaveOpen: true);
        var registration = stream.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Interval = ManualScheduler.Second, Spread = TimeSpan.Zero });
        var scope = stream.BeginMessage();
        scope.Stream.Write("abc"u8);
        manual.Step(TimeSpan.FromMilliseconds(1200), ManualScheduler.Tick); // the heartbeat came due and waits for the message
        var ended = Task.Run(scope.Dispose, ct); // writes the heartbeat right after the message, and waits for room
        connection.HeartbeatWriteStarted.Wait(TimeSpan.FromSeconds(10), ct).Should().BeTrue();

        var disposed = Task.Run(
            async () =>
            {
                if (asynchronously)
                {
                    await stream.DisposeAsync();
                }
                else
                {
                    stream.Dispose();
                }

                return connection.Written();
            },
            ct);

        await Task.Delay(300, ct);
        disposed.IsCompleted.Should().BeFalse("the inner stream is handed back only once the heartbeat being written to it has ended");
        room.Set(); // the peer reads again
        System.Text.Encoding.ASCII.GetString(await disposed.WaitAsync(TimeSpan.FromSeconds(10), ct)).Should().Be("abcPING", "no heartbeat byte reaches the inner stream after Dispose returned");
        await ended.WaitAsync(TimeSpan.FromSeconds(10), ct);
        System.Text.Encoding.ASCII.GetString(connection.Written()).Should().Be("abcPING");
        registration.GetStatistics().Sent.Should().Be(1);
    }

    [Fact]
    public async Task Heartbeat_LateBehindAMessage_ItsDelayedHandlerMayWriteThroughTheStreamWithoutDeadlockingTheMessagesThread()
    {
        // A heartbeat due during a message is written by the thread that ends the message, and completes there: its Delayed
        // (or PeerDead) handler ran while that thread still held the write path, so a handler writing through the stream
        // (a PeerDead handler sending a close frame, say) waited for its own thread for ever, and so did every writer after it.
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var connection = new MemoryStream();
        await using var stream = new HeartbeatStream(connection);
        var registration = stream.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Interval = ManualScheduler.Second, Spread = TimeSpan.Zero, DriftWarningThreshold = TimeSpan.FromMilliseconds(100) });
        registration.Delayed += (_, _) => stream.Write("late"u8);
        var scope = stream.BeginMessage();
        scope.Stream.Write("abc"u8);
        manual.Step(TimeSpan.FromMilliseconds(1500), ManualScheduler.Tick); // the heartbeat comes due and waits 500 ms for the message

        var end = Task.Run(scope.Dispose, ct);

        (await Task.WhenAny(end, Task.Delay(TimeSpan.FromSeconds(10), ct))).Should().BeSameAs(end, "the handler runs once the message's thread has let the write path go");
        await end;
        connection.ToArray().Should().Equal([.. "abc"u8.ToArray(), .. Ping, .. "late"u8.ToArray()]);
        registration.GetStatistics().Should().BeEquivalentTo(new { Sent = 1L, Delayed = 1L });
    }

    [Fact]
    public async Task Heartbeat_WriterWritesThroughTheHeartbeatStreamItself_FailsWithTheFixInsteadOfDeadlocking()
    {
        // The callback holds the write path; a write through the wrapper (not the stream it was given) waited for it for
        // ever: the heartbeat never completed and every application writer after it blocked too.
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var connection = new MemoryStream();
        await using var stream = new HeartbeatStream(connection);
        var registration = stream.RegisterHeartbeat(manual.Scheduler, new HeartbeatOptions { Interval = ManualScheduler.Second, Spread = TimeSpan.Zero }, (_, c) => stream.WriteAsync(Ping, c.CancellationToken));

        manual.Step(TimeSpan.FromMilliseconds(1100), ManualScheduler.Tick);
        var write = Task.Run(() => stream.Write("x"u8), ct);
        (await Task.WhenAny(write, Task.Delay(TimeSpan.FromSeconds(20), ct))).Should().BeSameAs(write, "the application's write must not wait for a heartbeat that can never finish");
        await write;

        registration.GetStatistics().Failed.Should().Be(1);
        manual.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendFailed).Should().ContainSingle()
            .Which.Exception!.Message.Should().Match("*through the HeartbeatStream itself*Fix: write to the stream passed to the heartbeat callback*");
        connection.ToArray().Should().Equal("x"u8.ToArray());
        stream.Write("y"u8); // outside the writer, writing through the wrapper is the rule
        connection.ToArray().Should().Equal("xy"u8.ToArray());
    }

    [Fact]
    public async Task Heartbeat_WriterAtTheEndOfAMessageDisposesTheLeftOpenStream_DisposeDoesNotWaitForItsOwnWrite()
    {
        // A heartbeat callback written at the end of a message (on the thread that ends it) decides to close: it disposes the
        // HeartbeatStream made with leaveOpen. Dispose waits for a heartbeat still being written at the end of a message,
        // here its own caller: it must not wait for itself (an inner stream that cannot time out would hang it for ever).
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var connection = new MemoryStream();
        var stream = new HeartbeatStream(connection, leaveOpen: true);
        stream.RegisterHeartbeat(manual.Scheduler, new HeartbeatOptions { Interval = ManualScheduler.Second, Spread = TimeSpan.Zero }, async (given, _) =>
        {
            await given.WriteAsync(Ping);
            await stream.DisposeAsync();
        });
        var scope = stream.BeginMessage();
        scope.Stream.Write("abc"u8);
        manual.Step(TimeSpan.FromMilliseconds(1200), ManualScheduler.Tick); // the heartbeat came due and waits for the message

        var ended = Task.Run(scope.Dispose, ct);

        (await Task.WhenAny(ended, Task.Delay(TimeSpan.FromSeconds(20), ct))).Should().BeSameAs(ended, "the callback's Dispose does not wait for the heartbeat it is part of");
        await ended;
        connection.ToArray().Should().Equal([.. "abc"u8.ToArray(), .. Ping]);
        stream.CanWrite.Should().BeFalse("the stream is disposed");
    }

    [Fact]
    public void Heartbeat_WriterUsesBeginWrite_WrittenOnTheHeartbeatsOwnThreadNotThePools()
    {
        // A heartbeat callback written with the APM pattern (Task.Factory.FromAsync over BeginWrite/EndWrite, as older protocol
        // writers are) ran its write on a thread-pool thread: Stream's own BeginWrite, which the callback's stream inherited,
        // queues the write there. From the scheduler's thread the heartbeat then depended on the pool; written at the end of a
        // message, the application's thread waited for the pool (a starved pool stalled the application's Write).
        using var manual = new ManualScheduler();
        var connection = new ThreadRecordingStream();
        using var stream = new HeartbeatStream(connection);
        stream.RegisterHeartbeat(manual.Scheduler, new HeartbeatOptions { Interval = ManualScheduler.Second, Spread = TimeSpan.Zero },
            (given, _) => new ValueTask(Task.Factory.FromAsync(given.BeginWrite, given.EndWrite, Ping, 0, Ping.Length, null)));

        manual.Step(TimeSpan.FromMilliseconds(1200), ManualScheduler.Tick); // the path is free: the scheduler's thread writes it
        var scope = stream.BeginMessage();
        scope.Stream.Write("abc"u8);
        manual.Step(TimeSpan.FromMilliseconds(1200), ManualScheduler.Tick); // due during the message: it waits for the message
        scope.Dispose(); // this thread ends the message and writes the heartbeat

        connection.Written().Should().Equal([.. Ping, .. "abc"u8.ToArray(), .. Ping]);
        connection.Threads.Should().AllBeEquivalentTo(Environment.CurrentManagedThreadId,
            "the heartbeat is written by the thread that runs it (here the scheduler's, then the message's), never queued to the pool");
    }

    [Fact]
    public async Task Heartbeat_WriterWritesNothing_CountedAsFailedWithTheFixNotAsSent()
    {
        // A writer that returns without writing (a forgotten await, a wrong stream, a condition) put nothing on the wire,
        // yet every heartbeat was counted as sent: the statistics said the connection was kept alive when it was not.
        using var manual = new ManualScheduler();
        var connection = new MemoryStream();
        await using var stream = new HeartbeatStream(connection);
        var registration = stream.RegisterHeartbeat(manual.Scheduler, new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = ManualScheduler.Second, Spread = TimeSpan.Zero }, (s, c) =>
            c.SequenceNumber % 2 == 1 ? ValueTask.CompletedTask : s.WriteAsync(Ping, c.CancellationToken));

        manual.Step(TimeSpan.FromMilliseconds(4100), ManualScheduler.Tick);

        registration.GetStatistics().Should().BeEquivalentTo(new { Sent = 2L, Failed = 2L });
        manual.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendFailed).Should().HaveCount(2)
            .And.AllSatisfy(r => r.Exception!.Message.Should().Match("*writer returned without writing anything*Fix: write the protocol's heartbeat message to the stream passed to the callback*"));
        connection.ToArray().Should().Equal([.. Ping, .. Ping]);
    }

    [Fact]
    public async Task Heartbeat_WriterThrowsAfterWritingPartOfItsHeartbeat_PeerDeadOnceWithTheFixAndNoHeartbeatAfterIt()
    {
        // A writer that failed after writing part of its heartbeat (a header, then a serializer that threw) left those bytes
        // on the wire; the registration counted one failed heartbeat and went on, and the application's next message followed
        // the partial heartbeat, read by the peer as its rest: the framing was lost and nothing said so.
        using var manual = new ManualScheduler();
        var connection = new MemoryStream();
        await using var stream = new HeartbeatStream(connection);
        var registration = stream.RegisterHeartbeat(manual.Scheduler, new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = ManualScheduler.Second, Spread = TimeSpan.Zero }, async (s, c) =>
        {
            await s.WriteAsync(Ping.AsMemory(0, 2), c.CancellationToken);
            if (c.SequenceNumber == 2)
            {
                throw new FormatException("the heartbeat's body could not be serialized");
            }

            await s.WriteAsync(Ping.AsMemory(2), c.CancellationToken);
        });
        var deaths = new List<string>();
        registration.PeerDead += (_, e) => deaths.Add(e.Reason);

        manual.Step(TimeSpan.FromMilliseconds(2100), ManualScheduler.Tick);
        await stream.WriteAsync("msg"u8.ToArray(), TestContext.Current.CancellationToken);
        manual.Step(TimeSpan.FromMilliseconds(3000), ManualScheduler.Tick);

        deaths.Should().ContainSingle().Which.Should().Match("*heartbeat writer failed after writing 2 bytes*the heartbeat's body could not be serialized*framing*Fix:*close the connection*");
        registration.GetStatistics().Should().BeEquivalentTo(new { Sent = 1L, PeerDead = true });
        connection.ToArray().Should().Equal([.. Ping, .. "PI"u8.ToArray(), .. "msg"u8.ToArray()], "no heartbeat follows the cut one");
    }

    [Fact]
    public async Task BeginMessage_ScopeEnded_ItsStreamRefusesWritesAndReads()
    {
        var connection = new MemoryStream();
        await using var stream = new HeartbeatStream(connection);
        var scope = await stream.BeginMessageAsync(TestContext.Current.CancellationToken);
        var view = scope.Stream;
        await view.WriteAsync("head"u8.ToArray(), TestContext.Current.CancellationToken);
        view.Write("body"u8);
        view.CanRead.Should().BeFalse();
        view.Invoking(v => v.ReadByte()).Should().Throw<NotSupportedException>().WithMessage("*Fix:*");

        await scope.DisposeAsync();
        scope.Dispose();

        view.CanWrite.Should().BeFalse();
        view.Invoking(v => v.Write(Ping)).Should().Throw<ObjectDisposedException>().WithMessage("*scope has ended*Fix:*");
        stream.Write("next"u8);
        connection.ToArray().Should().Equal("headbodynext"u8.ToArray(), "disposing the scope twice released the write path once");
    }

    [Theory]
    [InlineData("Write", true)]
    [InlineData("WriteAsync", true)]
    [InlineData("Flush", true)]
    [InlineData("FlushAsync", true)]
    [InlineData("Write", false)]
    [InlineData("WriteAsync", false)]
    public async Task BeginMessage_ScopeStillOpenWhenTheStreamIsDisposed_ItsStreamRefusesWritesAsDisposedAndNothingReachesTheInnerStream(string call, bool leaveOpen)
    {
        // A message is still open when the HeartbeatStream is disposed: its inner stream is closed, or handed back (leaveOpen)
        // to an application that now writes its own frames to it. A write through the scope went straight into it.
        var ct = TestContext.Current.CancellationToken;
        var connection = new FlushCountingStream();
        var stream = new HeartbeatStream(connection, leaveOpen);
        var message = call.EndsWith("Async", StringComparison.Ordinal) ? await stream.BeginMessageAsync(ct) : stream.BeginMessage();
        message.Stream.Write("head"u8);

        await stream.DisposeAsync();

        Func<Task> use = call switch
        {
            "Write" => () => Task.Run(() => message.Stream.Write("x"u8), ct),
            "WriteAsync" => () => message.Stream.WriteAsync("x"u8.ToArray(), ct).AsTask(),
            "Flush" => () => Task.Run(message.Stream.Flush, ct),
            _ => () => message.Stream.FlushAsync(ct),
        };
        await use.Should().ThrowAsync<ObjectDisposedException>().WithMessage("*HeartbeatStream*was disposed*nothing was written*Fix:*");
        message.Dispose();
        connection.Written().Should().Equal("head"u8.ToArray(), "no byte went through the scope once its wrapper was disposed");
        connection.Flushes.Should().Be(0);
        message.Stream.CanWrite.Should().BeFalse("the scope's wrapper is disposed");
    }

    [Theory]
    [InlineData(false, false, false, false)]
    [InlineData(false, true, false, false)]
    [InlineData(true, false, false, false)]
    [InlineData(true, true, false, false)]
    [InlineData(true, true, true, false)]
    [InlineData(false, true, false, true)]
    [InlineData(true, false, true, true)]
    public async Task Write_FailedAfterPartOfTheMessageWentOut_NoHeartbeatFollowsThatPartAndThePeerIsDeclaredDeadOnce(bool asynchronously, bool dueDuringTheWrite, bool cancelled, bool ownWriter)
    {
        // An application write through the HeartbeatStream put part of its message on the wire, then failed (a NetworkStream's
        // blocking write past its WriteTimeout, a WriteAsync cancelled while it waited for room): a heartbeat that came due
        // during it was written right after that part when the write path was let go, and the next ones at every interval,
        // so the peer read a heartbeat as the rest of the message, the framing lost for good, and nothing said so.
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var message = "LONG-MESSAGE"u8.ToArray();
        var connection = new CuttingWriteStream(
            message,
            () => cancelled
                ? new OperationCanceledException("The operation was canceled.")
                : TimingOutStream.TimedOut(),
            whileWriting: () =>
            {
                if (dueDuringTheWrite)
                {
                    manual.Step(TimeSpan.FromMilliseconds(1100), ManualScheduler.Tick); // the heartbeat comes due and waits for the write
                }
            });
        await using var stream = new HeartbeatStream(connection);
        var options = new HeartbeatOptions { Name = "cut", Mode = HeartbeatMode.FixedRate, Interval = ManualScheduler.Second, Spread = TimeSpan.Zero };
        var (registration, deaths) = RegisterPing(stream, manual, options, ownWriter);

        var write = asynchronously ? stream.WriteAsync(message, ct).AsTask() : Task.Run(() => stream.Write(message), ct);
        await write.Awaiting(w => w.WaitAsync(TimeSpan.FromSeconds(10), ct)).Should().ThrowAsync<Exception>("the application sees its own write fail");
        manual.Step(TimeSpan.FromSeconds(5), ManualScheduler.Tick);

        connection.Written().Should().Equal(message[..(message.Length / 2)], "nothing may follow the part of the message: the peer would read it as the rest");
        deaths.Should().ContainSingle("the connection's framing is lost for good: the peer is declared dead once")
            .Which.Should().Contain("part of a message").And.Contain(cancelled ? "canceled" : "timed out").And.Contain("Fix:");
        registration.IsLive.Should().BeFalse();
        registration.GetStatistics().Sent.Should().Be(0);
        manual.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendFailed).Should().BeEmpty("no heartbeat is retried on a connection whose framing is lost");
        manual.Scheduler.RegistrationCount.Should().Be(0);
    }

    [Fact]
    public async Task Write_RefusedByTheInnerStreamOrCancelledWithNothingWritten_HeartbeatsGoOn()
    {
        // The inner stream refused the application's call itself (an ASP.NET Core body with AllowSynchronousIO off refuses a
        // blocking write), or the write's token was cancelled before it started: nothing of the message went out, so the
        // framing is intact and the heartbeats go on.
        using var manual = new ManualScheduler();
        var connection = new AsynchronousOnlyStream();
        await using var stream = new HeartbeatStream(connection);
        var (registration, deaths) = RegisterPing(stream, manual, new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = ManualScheduler.Second, Spread = TimeSpan.Zero }, ownWriter: false);

        stream.Invoking(s => s.Write("abc"u8)).Should().Throw<InvalidOperationException>();
        await using (var message = await stream.BeginMessageAsync(TestContext.Current.CancellationToken))
        {
            await message.Stream.Awaiting(m => m.WriteAsync("abc"u8.ToArray(), new CancellationToken(canceled: true)).AsTask()).Should().ThrowAsync<OperationCanceledException>();
            await message.Stream.Awaiting(m => m.FlushAsync(new CancellationToken(canceled: true))).Should().ThrowAsync<OperationCanceledException>();
        }

        manual.Step(TimeSpan.FromMilliseconds(2500), ManualScheduler.Tick);

        deaths.Should().BeEmpty();
        registration.IsLive.Should().BeTrue();
        connection.ToArray().Should().Equal([.. Ping, .. Ping]);
    }

    [Fact]
    public async Task Heartbeat_WriterThrows_CountedAsFailedAndWritePathReleased()
    {
        using var manual = new ManualScheduler();
        var connection = new MemoryStream();
        await using var stream = new HeartbeatStream(connection);
        var registration = stream.RegisterHeartbeat(manual.Scheduler, new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = ManualScheduler.Second }, (s, c) =>
            c.SequenceNumber == 1 ? throw new InvalidOperationException("boom") : s.WriteAsync(Ping, c.CancellationToken));

        manual.Step(TimeSpan.FromMilliseconds(2100), ManualScheduler.Tick);

        registration.GetStatistics().Failed.Should().Be(1);
        registration.GetStatistics().Sent.Should().Be(1);
        stream.Write("x"u8);
        connection.ToArray().Should().Equal([.. Ping, .. "x"u8.ToArray()]);
    }

    [Theory]
    [InlineData("WriteAsync")]
    [InlineData("FlushAsync")]
    [InlineData("BeginMessageAsync")]
    [InlineData("Write")]
    [InlineData("Flush")]
    [InlineData("BeginMessage")]
    public async Task Write_WhileAHeartbeatWriteWaitsForAPeerThatStoppedReading_WaitsForItAndSaysSoPastTheBlockedThreshold(string call)
    {
        // The heartbeat's write from the scheduler's thread waits for room (a stream write cannot be withdrawn), and the
        // application's writes wait for it as long as the peer reads nothing: asynchronously, or blocking a thread over a
        // stream that cannot time out (a NetworkStream's WriteTimeout is infinite by default). HeartbeatDuplexPipe says so
        // past the registration's BlockedCallbackThreshold (2013); the stream's wait was said nowhere.
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var room = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var connection = new AsynchronousWriteStream(room.Task);
        await using var stream = new HeartbeatStream(connection);
        // A threshold with a part under the millisecond (the wait counts whole milliseconds): it said "has waited 200ms (its
        // BlockedCallbackThreshold)" and WaitedMs 200 for a threshold of 200ms500us, and reported the wait before it had passed.
        stream.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Name = "orders", Interval = ManualScheduler.Second, Spread = TimeSpan.Zero, BlockedCallbackThreshold = TimeSpan.FromMicroseconds(200_500) });
        manual.Step(TimeSpan.FromMilliseconds(1100), ManualScheduler.Tick);
        await connection.WriteStarted.Task.WaitAsync(TimeSpan.FromSeconds(10), ct); // the heartbeat's write waits for the peer

        var write = Task.Run(
            async () =>
            {
                switch (call)
                {
                    case "WriteAsync": await stream.WriteAsync("abc"u8.ToArray(), ct); break;
                    case "FlushAsync": await stream.FlushAsync(ct); break;
                    case "BeginMessageAsync": await (await stream.BeginMessageAsync(ct)).DisposeAsync(); break;
                    case "Write": stream.Write("abc"u8); break;
                    case "Flush": stream.Flush(); break;
                    default: stream.BeginMessage().Dispose(); break;
                }
            },
            ct);

        SpinWait.SpinUntil(() => manual.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatOutputWaiting).Count > 0, TimeSpan.FromSeconds(10)).Should().BeTrue(
            "the application's wait behind the heartbeat's write is reported once it passes the registration's BlockedCallbackThreshold, asynchronous or not");
        write.IsCompleted.Should().BeFalse($"{call} waits for the heartbeat's write, which cannot be withdrawn");
        var logged = manual.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatOutputWaiting).Should().ContainSingle().Subject;
        logged.Level.Should().Be(Microsoft.Extensions.Logging.LogLevel.Warning);
        logged.Message.Should().Contain($"{call} on the HeartbeatStream").And.Contain("'orders'").And.Contain("has waited 200ms500us (its BlockedCallbackThreshold)");
        logged.ShouldWriteDurations("200ms500us");
        logged.ShouldKeepFields(("WaitedMs", "200.5"));
        room.SetResult(); // the peer reads again
        await write.WaitAsync(TimeSpan.FromSeconds(10), ct);
        connection.Written().Should().Equal(call.StartsWith("Write", StringComparison.Ordinal) ? [.. Ping, .. "abc"u8.ToArray()] : Ping);
        manual.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatOutputWaiting).Should().ContainSingle("one report per wait");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Dispose_LeaveOpenWhileAWriteWaitsBehindTheHeartbeatsWrite_ThatWriteFailsAsDisposedAndNothingReachesTheHandedBackStream(bool asynchronously)
    {
        // The application's write waits for the write path behind the heartbeat's write (the peer makes no room), and the
        // HeartbeatStream is disposed to hand the inner stream back (leaveOpen). Dispose waits for the heartbeat's write; the
        // waiting write then took the path and wrote its bytes into the stream the application now uses on its own.
        var ct = TestContext.Current.CancellationToken;
        using var manual = new ManualScheduler();
        var room = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var connection = new AsynchronousWriteStream(room.Task);
        var stream = new HeartbeatStream(connection, leaveOpen: true);
        stream.RegisterHeartbeat(manual.Scheduler, Ping, new HeartbeatOptions { Interval = ManualScheduler.Second, Spread = TimeSpan.Zero });
        manual.Step(TimeSpan.FromMilliseconds(1100), ManualScheduler.Tick);
        await connection.WriteStarted.Task.WaitAsync(TimeSpan.FromSeconds(10), ct); // the heartbeat's write waits for the peer
        var write = asynchronously ? stream.WriteAsync("abc"u8.ToArray(), ct).AsTask() : WaitingBlockingCall(() => stream.Write("abc"u8));
        write.IsCompleted.Should().BeFalse("the write waits for the heartbeat's");

        var disposed = stream.DisposeAsync().AsTask();
        room.SetResult(); // the peer reads again: the heartbeat's write ends

        await disposed.WaitAsync(TimeSpan.FromSeconds(10), ct);
        await write.Awaiting(w => w.WaitAsync(TimeSpan.FromSeconds(10), ct)).Should().ThrowAsync<ObjectDisposedException>("the stream was disposed while the write waited");
        connection.Written().Should().Equal(Ping, "no byte reaches the inner stream through the wrapper once it is handed back");
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task Dispose_WhileAWriteWaitsBehindAnOpenMessage_ThatWriteFailsAsDisposedInsteadOfWaitingForTheMessage(bool asynchronously, bool leaveOpen)
    {
        // One writer holds a message open (a scope); another's write waits for the write path. Disposing the stream left that
        // write waiting for the message for as long as it stayed open (for ever if it never ends), on a stream already closed.
        var ct = TestContext.Current.CancellationToken;
        var connection = new MemoryStream();
        var stream = new HeartbeatStream(connection, leaveOpen);
        var message = await stream.BeginMessageAsync(ct);
        await message.Stream.WriteAsync("head"u8.ToArray(), ct);
        var write = asynchronously ? stream.WriteAsync("x"u8.ToArray(), ct).AsTask() : WaitingBlockingCall(() => stream.Write("x"u8));
        write.IsCompleted.Should().BeFalse("the write waits for the message to end");

        await stream.DisposeAsync();

        await write.Awaiting(w => w.WaitAsync(TimeSpan.FromSeconds(10), ct)).Should().ThrowAsync<ObjectDisposedException>("the stream was disposed while the write waited")
            .WithMessage("*HeartbeatStream*");
        message.Dispose();
        connection.ToArray().Should().Equal("head"u8.ToArray(), "the waiting write wrote nothing");
    }

    // The ping heartbeat, as a payload or written by a callback, and the reasons of its PeerDead events.
    private static (HeartbeatRegistration Registration, List<string> Deaths) RegisterPing(HeartbeatStream stream, ManualScheduler manual, HeartbeatOptions options, bool ownWriter)
    {
        var registration = ownWriter
            ? stream.RegisterHeartbeat(manual.Scheduler, options, (writer, context) => writer.WriteAsync(Ping, context.CancellationToken))
            : stream.RegisterHeartbeat(manual.Scheduler, Ping, options);
        var deaths = new List<string>();
        registration.PeerDead += (_, e) => deaths.Add(e.Reason);
        return (registration, deaths);
    }

    // Runs a blocking call on a thread of its own and returns once that thread waits (the write path's gate is the only wait
    // on its way), so that what the test does next happens while it waits, however slowly the pool starts work.
    private static Task WaitingBlockingCall(Action call)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                call();
                done.SetResult();
            }
            catch (Exception exception)
            {
                done.SetException(exception);
            }
        })
        { IsBackground = true };
        thread.Start();
        SpinWait.SpinUntil(() => (thread.ThreadState & ThreadState.WaitSleepJoin) != 0 || done.Task.IsCompleted, TimeSpan.FromSeconds(10)).Should().BeTrue("the call started");
        return done.Task;
    }

    // A HeartbeatStream over a pipe seen as a stream (PipeWriter.AsStream()), with the ping heartbeat registered ("piped").
    private static (System.IO.Pipelines.Pipe Pipe, HeartbeatStream Stream, HeartbeatRegistration Registration, List<string> Deaths) PipedStreamWithPing(ManualScheduler manual, HeartbeatMode mode, bool ownWriter)
    {
        var pipe = new System.IO.Pipelines.Pipe();
        var stream = new HeartbeatStream(pipe.Writer.AsStream());
        var (registration, deaths) = RegisterPing(stream, manual, new HeartbeatOptions { Name = "piped", Mode = mode, Interval = ManualScheduler.Second, Spread = TimeSpan.Zero }, ownWriter);
        return (pipe, stream, registration, deaths);
    }

    /// <summary>A connection that refuses blocking writes as an ASP.NET Core body with AllowSynchronousIO off does.</summary>
    /// <summary>A connection whose blocking write of <paramref name="slow"/> (a heartbeat) waits for <paramref name="room"/>, as a peer that stopped reading makes it.</summary>
    private sealed class SlowPeerStream(byte[] slow, ManualResetEventSlim room) : RecordingWriteStream
    {
        public ManualResetEventSlim HeartbeatWriteStarted { get; } = new();

        public override void Write(byte[] buffer, int offset, int count)
        {
            if (buffer.AsSpan(offset, count).SequenceEqual(slow))
            {
                HeartbeatWriteStarted.Set();
                room.Wait();
            }

            base.Write(buffer, offset, count);
        }

        protected override void Dispose(bool disposing)
        {
            HeartbeatWriteStarted.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>A connection that counts its flushes.</summary>
    private sealed class FlushCountingStream : RecordingWriteStream
    {
        private int _flushes;

        public int Flushes => Volatile.Read(ref _flushes);

        public override void Flush() => Interlocked.Increment(ref _flushes);
    }

    private sealed class AsynchronousOnlyStream : RecordingWriteStream
    {
        public byte[] ToArray() => Written();

        public override void Write(byte[] buffer, int offset, int count) => throw Refused();

        public override void Flush() => throw Refused();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            base.Write(buffer.ToArray(), 0, buffer.Length);
            return default;
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        private static InvalidOperationException Refused() => new("Synchronous operations are disallowed. Call WriteAsync or set AllowSynchronousIO to true instead.");
    }

    /// <summary>A connection whose writes complete at once, on the calling thread, as a socket with room does; records that thread.</summary>
    private sealed class ThreadRecordingStream : RecordingWriteStream
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<int> _threads = new();

        public IEnumerable<int> Threads => _threads;

        public override void Write(byte[] buffer, int offset, int count)
        {
            _threads.Enqueue(Environment.CurrentManagedThreadId);
            base.Write(buffer, offset, count);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.ToArray(), 0, buffer.Length);
            return default;
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>A scheduler that runs <paramref name="pause"/> inside Register, before the registration is returned.</summary>
    private sealed class PausingScheduler(IHeartbeatScheduler inner, Action pause) : IHeartbeatScheduler
    {
        public HeartbeatRegistration Register(HeartbeatOptions options, Func<HeartbeatContext, ValueTask> sendHeartbeat)
        {
            var registration = inner.Register(options, sendHeartbeat);
            pause();
            return registration;
        }
    }
}
