using System.Reflection;
using KeepAlive.Net.Heartbeats;
using KeepAlive.Net.Tests.TestSupport;

namespace KeepAlive.Net.Tests.Heartbeats;

/// <summary>The callback's token: cancelled when its registration or the scheduler stops, without tying registrations to the scheduler's own token.</summary>
public sealed class CancellationTests
{
    [Theory]
    [InlineData("EventWait")] // Windows and macOS
    [InlineData("ClockWait")] // a custom TimeProvider
    [InlineData("FutexWait")] // Linux
    public void TimerWait_WokenAfterTheLastSchedulerThreadReleasedIt_DoesNotThrow(string kind)
    {
        // A send still in flight when the scheduler is disposed completes later, on whatever thread completes it, and posts its
        // next key; the post wakes the timer thread when the key is earlier than its planned wake-up (or every 4096th post). By
        // then the last scheduler thread may have disposed the wait: the wake must do nothing, not throw on that thread.
        var type = typeof(TimerWait).GetNestedType(kind, BindingFlags.NonPublic)!;
        var wait = kind switch
        {
            "ClockWait" => (TimerWait)Activator.CreateInstance(type, new SystemLikeFakeTimeProvider())!,
            "FutexWait" => TimerWait.Create(TimeProvider.System),
            _ => (TimerWait)Activator.CreateInstance(type, nonPublic: true)!,
        };
        TestEnvironment.Require(wait.GetType() == type, $"{kind} is not this platform's wait");

        wait.Dispose();

        wait.Invoking(w => w.Wake()).Should().NotThrow();
    }

    [Theory]
    [InlineData("EventWait")] // Windows and macOS
    [InlineData("FutexWait")] // Linux
    public void TimerWait_Kind_WritesItsDurationsAsConfigurationReadsThem(string kind)
    {
        // The kind is event 2011's {TimerWait}: a duration in it is written the one way every message writes one.
        var type = typeof(TimerWait).GetNestedType(kind, BindingFlags.NonPublic)!;
        using var wait = kind == "FutexWait" ? TimerWait.Create(TimeProvider.System) : (TimerWait)Activator.CreateInstance(type, nonPublic: true)!;
        TestEnvironment.Require(wait.GetType() == type, $"{kind} is not this platform's wait");

        DurationText.NotReadBack(wait.Kind).Should().BeEmpty();
    }

    [Fact]
    public void Token_RegistrationDisposedWhileItsSendIsPending_Cancelled()
    {
        using var harness = new ManualScheduler();
        var token = CancellationToken.None;
        var pending = new TaskCompletionSource();
        var registration = harness.Scheduler.Register(new HeartbeatOptions { Interval = ManualScheduler.Second }, context =>
        {
            token = context.CancellationToken;
            return new ValueTask(pending.Task);
        });
        harness.Step(ManualScheduler.Second, ManualScheduler.Tick);
        token.IsCancellationRequested.Should().BeFalse();

        registration.Dispose();

        token.IsCancellationRequested.Should().BeTrue("a send in flight is cancelled when its registration stops");
    }

    [Fact]
    public void Token_SchedulerDisposed_EveryRegistrationsTokenCancelledAndLaterOnesComeCancelled()
    {
        var harness = new ManualScheduler();
        var tokens = new List<CancellationToken>();
        var registrations = Enumerable.Range(0, 3).Select(_ => harness.Scheduler.Register(new HeartbeatOptions { Interval = ManualScheduler.Second }, context =>
        {
            tokens.Add(context.CancellationToken);
            return new ValueTask(new TaskCompletionSource().Task);
        })).ToList();
        harness.Step(ManualScheduler.Second + ManualScheduler.Tick, ManualScheduler.Tick); // three made together are spread by microseconds
        tokens.Should().HaveCount(3).And.OnlyContain(t => !t.IsCancellationRequested);

        harness.Dispose();

        tokens.Should().OnlyContain(t => t.IsCancellationRequested, "stopping the scheduler cancels every send in flight");
        registrations[0].Dispose();
    }

    [Fact]
    public async Task Token_SchedulerDisposedWhileASendIsPending_TheCancelledSendIsNeitherFailedNorLoggedAsRetried()
    {
        var harness = new ManualScheduler();
        var cancelled = new TaskCompletionSource();
        var registration = harness.Scheduler.Register(new HeartbeatOptions { Interval = ManualScheduler.Second }, async context =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, context.CancellationToken);
            }
            finally
            {
                cancelled.TrySetResult();
            }
        });
        harness.Step(ManualScheduler.Second, ManualScheduler.Tick);

        harness.Dispose();
        await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        await Task.Delay(200, TestContext.Current.CancellationToken); // the completion runs on after the callback's finally

        var statistics = registration.GetStatistics();
        statistics.Failed.Should().Be(0, "the send was cancelled because the scheduler stopped, not because it failed");
        statistics.Sent.Should().Be(0);
        harness.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendFailed).Should().BeEmpty("warning 2005 says the registration tries again at the next heartbeat, and a stopped scheduler has none");
    }

    [Theory]
    [InlineData("scheduler")]
    [InlineData("registration")]
    public async Task PeerDead_StoppedThenThePendingSendFailsWithTheClosedConnection_NotRaisedNorLoggedAsRetried(string stopped)
    {
        // An application shutting down disposes the scheduler, then its connections: a send still in flight (one that does not
        // watch its token) fails with the closed socket. The registration stopped with the scheduler, as it does with its own
        // Dispose: nobody is told to reconnect.
        using var harness = new ManualScheduler();
        var send = new TaskCompletionSource();
        var registration = harness.Scheduler.Register(new HeartbeatOptions { Interval = ManualScheduler.Second }, _ => new ValueTask(send.Task));
        var raised = 0;
        registration.PeerDead += (_, _) => Interlocked.Increment(ref raised);
        harness.Step(ManualScheduler.Second, ManualScheduler.Tick);

        if (stopped == "scheduler")
        {
            harness.Dispose();
        }
        else
        {
            registration.Dispose();
        }

        send.SetException(new ObjectDisposedException("System.Net.Sockets.Socket"));
        await Task.Delay(200, TestContext.Current.CancellationToken); // the completion runs on the thread that failed the send

        Volatile.Read(ref raised).Should().Be(0, "the registration had stopped before the send failed");
        registration.GetStatistics().PeerDead.Should().BeFalse();
        harness.Telemetry.LogsWithId(KeepAliveEventIds.PeerDead).Should().BeEmpty();
        harness.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendFailed).Should().BeEmpty("warning 2005 says the registration tries again at the next heartbeat, and a stopped one has none");
    }
}
