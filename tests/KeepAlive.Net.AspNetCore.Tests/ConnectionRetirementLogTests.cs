using System.IO.Pipelines;
using KeepAlive.Net.AspNetCore.Http2;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace KeepAlive.Net.AspNetCore.Tests;

/// <summary>What warning 3104 and the abort reason say, on one <see cref="ConnectionRetirement"/> driven by a fake clock.</summary>
public sealed class ConnectionRetirementLogTests
{
    [Fact]
    public void GracePeriodExpired_RetiredByItsRequestLimit_CountsFromTheEndOfTheLastRequestNotFromRetirement()
    {
        var time = new FakeTimeProvider();
        var logger = new FakeLogger();
        var connection = Connection(graceful: true);
        using var retirement = new ConnectionRetirement(connection, "edge", null, 1, TimeSpan.FromMilliseconds(100), time, logger, new Http2GracefulShutdown());

        retirement.OnRequestStarting().Should().BeTrue("the first request reaches the limit of 1");
        time.Advance(TimeSpan.FromSeconds(1));
        logger.Collector.GetSnapshot().Should().NotContain(r => r.Id.Id == KeepAliveEventIds.KestrelConnectionGracePeriodExpired, "the last request runs for 1 s and is never cut short");
        retirement.StartGracePeriod();
        time.Advance(TimeSpan.FromMilliseconds(100));

        logger.Collector.GetSnapshot().Single(r => r.Id.Id == KeepAliveEventIds.KestrelConnectionGracePeriodExpired).Message
            .Should().EndWith("was still open 100ms after the request that reached its request limit ended: aborting it.", "it was retired 1.1 s before, when that request started");
        connection.Aborted.Should().BeOfType<ConnectionAbortedException>();
    }

    [Fact]
    public void GracePeriodExpired_RetiredByItsAge_CountsFromRetirement()
    {
        var time = new FakeTimeProvider();
        var logger = new FakeLogger();
        var connection = Connection(graceful: true);
        using var retirement = new ConnectionRetirement(connection, "edge", TimeSpan.FromSeconds(1), null, TimeSpan.FromMilliseconds(500), time, logger, new Http2GracefulShutdown());

        time.Advance(TimeSpan.FromSeconds(1));
        time.Advance(TimeSpan.FromMilliseconds(500));

        logger.Collector.GetSnapshot().Single(r => r.Id.Id == KeepAliveEventIds.KestrelConnectionGracePeriodExpired).Message
            .Should().EndWith("was still open 500ms after it was retired: aborting it.");
    }

    [Fact]
    public void Retire_TransportWithoutLifetimeNotification_AbortedAtOnceAndNotLoggedAsAGracePeriodThatRanOut()
    {
        var time = new FakeTimeProvider();
        var logger = new FakeLogger();
        var connection = Connection(graceful: false);
        using var retirement = new ConnectionRetirement(connection, "edge", TimeSpan.FromSeconds(1), null, TimeSpan.FromSeconds(30), time, logger, new Http2GracefulShutdown());

        time.Advance(TimeSpan.FromSeconds(1));

        connection.Aborted.Should().NotBeNull("it cannot be closed gracefully");
        connection.Aborted!.Message.Should().Be("KeepAlive profile 'edge': the connection was retired and its transport cannot close it gracefully (no IConnectionLifetimeNotificationFeature), so it was aborted at once.");
        logger.Collector.GetSnapshot().Single(r => r.Id.Id == KeepAliveEventIds.KestrelConnectionGracePeriodExpired).Message
            .Should().EndWith("was still open 0s after it was retired (its transport cannot close it gracefully: no IConnectionLifetimeNotificationFeature): aborting it.", "no grace period of 30 s ran");
        time.Advance(TimeSpan.FromSeconds(30));
        logger.Collector.GetSnapshot().Count(r => r.Id.Id == KeepAliveEventIds.KestrelConnectionGracePeriodExpired).Should().Be(1, "aborted once");
    }

    // Requests are counted only by services.AddKeepAliveRequestLimits(); without it a connection retired by its age after
    // hundreds of requests was logged with "0 requests".
    [Fact]
    public void Retiring_RequestsNotCounted_SaysSoInsteadOfZeroRequests()
    {
        var time = new FakeTimeProvider();
        var logger = new FakeLogger();
        using var retirement = new ConnectionRetirement(Connection(graceful: true), "edge", TimeSpan.FromSeconds(1), null, TimeSpan.FromSeconds(30), time, logger, new Http2GracefulShutdown(), requestsCounted: false);

        time.Advance(TimeSpan.FromSeconds(1));

        logger.Collector.GetSnapshot().Single(r => r.Id.Id == KeepAliveEventIds.KestrelConnectionRetiring).Message
            .Should().NotContain("0 requests").And.Contain("requests not counted: services.AddKeepAliveRequestLimits() was not called");
    }

    // The connection can end while the server waits for its PING's acknowledgement (the client closed, or Kestrel ended it):
    // the round-trip timer then ran on after the connection was disposed, holding it, and asked Kestrel to close a finished one.
    [Fact]
    public void Dispose_WhileAnHttp2ConnectionAwaitsThePingAck_StopsTheRoundTripTimer()
    {
        var time = new TimerCountingTimeProvider();
        var lifetime = new Lifetime();
        var connection = new RecordingConnection();
        connection.Features.Set<IConnectionLifetimeNotificationFeature>(lifetime);
        var http2 = new Http2GracefulShutdown();
        new RetirementTransport(new DuplexPipe(new Pipe().Reader, new Pipe().Writer), http2, raw: false).OnProtocolDetected(http2: true);
        var retirement = new ConnectionRetirement(connection, "edge", TimeSpan.FromSeconds(1), null, TimeSpan.FromSeconds(30), time, new FakeLogger(), http2);
        time.Fake.Advance(TimeSpan.FromSeconds(1));
        http2.Phase.Should().Be(Http2ShutdownPhase.AwaitingPingAck, "the first GOAWAY and the PING went out");

        retirement.Dispose();
        var live = time.LiveTimers;
        time.Fake.Advance(TimeSpan.FromSeconds(10));

        live.Should().Be(0, "the age, grace and round-trip timers all end with the connection");
        Thread.Sleep(200); // RequestClose is queued to the thread pool
        lifetime.CloseRequests.Should().Be(0, "a finished connection is not asked to close");
    }

    // Kestrel completes the transport's output before the connection middleware returns and disposes the retirement: an
    // age reached in between wrote the GOAWAY and PING into the completed writer, and the exception left the timer's
    // callback, where it ends the process.
    [Fact]
    public void Retire_AfterKestrelCompletedTheOutputOfAnHttp2Connection_NothingIsWrittenAndNothingThrows()
    {
        var time = new FakeTimeProvider();
        var output = new Pipe();
        var http2 = new Http2GracefulShutdown();
        var transport = new RetirementTransport(new DuplexPipe(new Pipe().Reader, output.Writer), http2, raw: true);
        transport.OnProtocolDetected(http2: true);
        using var retirement = new ConnectionRetirement(Connection(graceful: true), "edge", TimeSpan.FromSeconds(1), null, TimeSpan.FromSeconds(30), time, new FakeLogger(), http2);
        transport.Output.Complete(); // Kestrel is done with the connection; the middleware has not disposed the retirement yet

        var ageReached = () => time.Advance(TimeSpan.FromSeconds(1));

        ageReached.Should().NotThrow("the age timer's callback runs on a timer thread, where an exception ends the process");
        output.Reader.TryRead(out var written).Should().BeTrue();
        written.IsCompleted.Should().BeTrue();
        written.Buffer.Length.Should().Be(0, "nothing is written after the writer completed");
    }

    // Disposing a timer does not stop a callback already running: an age reached as the connection ended retired it after
    // Dispose, and started a grace timer nothing disposed, which 30 s later warned 3104 and aborted the finished connection.
    [Fact]
    public void Retire_ByAnAgeCallbackStillRunningWhenTheConnectionEnded_StartsNoGracePeriod()
    {
        var time = new FakeTimeProvider();
        var logger = new FakeLogger();
        var connection = Connection(graceful: true);
        var retirement = new ConnectionRetirement(connection, "edge", TimeSpan.FromSeconds(1), null, TimeSpan.FromSeconds(30), time, logger, new Http2GracefulShutdown());

        retirement.Dispose();
        retirement.Retire("its maximum age"); // the age timer's callback, already running when Dispose stopped the timer
        time.Advance(TimeSpan.FromSeconds(31));

        logger.Collector.GetSnapshot().Should().NotContain(r => r.Id.Id == KeepAliveEventIds.KestrelConnectionGracePeriodExpired, "the connection had ended");
        connection.Aborted.Should().BeNull();
    }

    private static RecordingConnection Connection(bool graceful)
    {
        var connection = new RecordingConnection();
        if (graceful)
        {
            connection.Features.Set<IConnectionLifetimeNotificationFeature>(new Lifetime());
        }

        return connection;
    }

    private sealed class RecordingConnection : DefaultConnectionContext
    {
        public ConnectionAbortedException? Aborted { get; private set; }

        public override void Abort(ConnectionAbortedException abortReason) => Aborted ??= abortReason;
    }

    private sealed class Lifetime : IConnectionLifetimeNotificationFeature
    {
        public CancellationToken ConnectionClosedRequested { get; set; }

        public int CloseRequests => Volatile.Read(ref _closeRequests);

        public void RequestClose() => Interlocked.Increment(ref _closeRequests);

        private int _closeRequests;
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input => input;

        public PipeWriter Output => output;
    }

    /// <summary>A fake clock that counts the timers created on it and not disposed yet.</summary>
    private sealed class TimerCountingTimeProvider : TimeProvider
    {
        private int _live;

        public FakeTimeProvider Fake { get; } = new();

        public int LiveTimers => Volatile.Read(ref _live);

        public override DateTimeOffset GetUtcNow() => Fake.GetUtcNow();

        public override long GetTimestamp() => Fake.GetTimestamp();

        public override long TimestampFrequency => Fake.TimestampFrequency;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Interlocked.Increment(ref _live);
            return new Counted(Fake.CreateTimer(callback, state, dueTime, period), this);
        }

        private sealed class Counted(ITimer inner, TimerCountingTimeProvider owner) : ITimer
        {
            private int _disposed;

            public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(dueTime, period);

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _disposed, 1) == 0)
                {
                    Interlocked.Decrement(ref owner._live);
                }

                inner.Dispose();
            }

            public ValueTask DisposeAsync()
            {
                Dispose();
                return ValueTask.CompletedTask;
            }
        }
    }
}
