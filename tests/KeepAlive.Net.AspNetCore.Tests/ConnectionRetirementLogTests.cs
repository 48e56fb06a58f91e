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

        public void RequestClose()
        {
        }
    }
}
