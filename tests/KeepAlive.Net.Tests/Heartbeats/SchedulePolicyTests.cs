using KeepAlive.Net.Heartbeats;
using Microsoft.Extensions.Time.Testing;

namespace KeepAlive.Net.Tests.Heartbeats;

/// <summary>Every scheduling rule of <see cref="SchedulePolicy"/>, one test each, without threads or clocks running.</summary>
public sealed class SchedulePolicyTests
{
    private static readonly FakeTimeProvider Clock = new();
    private static readonly long Second = Clock.TimestampFrequency;
    private const long Now = 1_000_000_000;

    [Fact]
    public void FirstNominal_Rule1_OneIntervalAfterRegistering() =>
        SchedulePolicy.FirstNominal(Settings(new HeartbeatOptions { Interval = TimeSpan.FromSeconds(10) }), Now).Should().Be(Now + (10 * Second));

    [Fact]
    public void Due_Rule2WithoutJitter_IsTheNominalTime() =>
        SchedulePolicy.Due(Settings(new HeartbeatOptions()), slot: 7, Now).Should().Be(Now);

    [Fact]
    public void Due_Rule2WithJitter_NeverEarlyWithinTheBoundAndDifferentForEachHeartbeat()
    {
        var settings = Settings(new HeartbeatOptions { Interval = TimeSpan.FromSeconds(1), Jitter = TimeSpan.FromMilliseconds(100) });
        var offsets = Enumerable.Range(0, 1000).Select(i => SchedulePolicy.Due(settings, slot: 3, Now + (i * Second)) - (Now + (i * Second))).ToList();

        offsets.Should().OnlyContain(o => o >= 0 && o < Second / 10, "jitter only delays, by less than its bound");
        offsets.Distinct().Count().Should().BeGreaterThan(900, "each heartbeat rolls its own jitter");
        offsets.Average().Should().BeInRange(0.4 * Second / 10, 0.6 * Second / 10, "uniform over the bound");
        SchedulePolicy.Due(settings, slot: 3, Now).Should().Be(SchedulePolicy.Due(settings, slot: 3, Now), "fixed for one heartbeat");
    }

    [Fact]
    public void LivenessDeadline_Rule3TimeoutSet_LastPeerActivityPlusTimeout() =>
        SchedulePolicy.LivenessDeadline(Settings(new HeartbeatOptions { Timeout = TimeSpan.FromSeconds(30) }), SlotState.Scheduled, Now).Should().Be(Now + (30 * Second));

    [Fact]
    public void LivenessDeadline_Rule3NoTimeoutOrPeerAlreadyDeclaredDead_Never()
    {
        SchedulePolicy.LivenessDeadline(Settings(new HeartbeatOptions()), SlotState.Scheduled, Now).Should().Be(long.MaxValue);
        SchedulePolicy.LivenessDeadline(Settings(new HeartbeatOptions { Timeout = TimeSpan.FromSeconds(30) }), SlotState.Scheduled | SlotState.PeerDeadRaised, Now)
            .Should().Be(long.MaxValue, "a peer is declared dead once");
    }

    [Fact]
    public void PutOffSilence_Rule7FirstHeartbeatPutOff_SilenceClockPutOffAsMuchNeverPastNow()
    {
        var registered = Now - Second;
        var last = registered;
        SchedulePolicy.PutOffSilence(ref last, shift: Second / 4, now: Now);
        last.Should().Be(registered + (Second / 4), "the peer cannot answer a heartbeat the spread put off");

        var recent = Now - (Second / 10);
        SchedulePolicy.PutOffSilence(ref recent, shift: Second / 4, now: Now);
        recent.Should().Be(Now, "never in the future: a silence that started later than now does not exist");
    }

    [Fact]
    public void ExcusePause_Rule11DeadlinePassedWhileTheTimerThreadOverslept_JudgedAgainAsLongAgainAtMostTheTimeout()
    {
        var settings = Settings(new HeartbeatOptions { Interval = TimeSpan.FromSeconds(1), Timeout = TimeSpan.FromSeconds(3) });
        var minimum = Second / 1000;

        var last = Now - (4 * Second); // deadline 1 s ago, found by a timer thread that woke 2 s late
        SchedulePolicy.ExcusePause(settings, ref last, oversleep: 2 * Second, minimum, Now).Should().BeTrue();
        SchedulePolicy.LivenessDeadline(settings, SlotState.Scheduled, last).Should().Be(Now + (2 * Second), "the readers get as long again as the pause to mark what waited in the socket");

        var longPause = Now - (5 * Second);
        SchedulePolicy.ExcusePause(settings, ref longPause, oversleep: 60 * Second, minimum, Now).Should().BeTrue();
        SchedulePolicy.LivenessDeadline(settings, SlotState.Scheduled, longPause).Should().Be(Now + (3 * Second), "at most the timeout later");

        var onTime = Now - (3 * Second);
        SchedulePolicy.ExcusePause(settings, ref onTime, oversleep: minimum - 1, minimum, Now).Should().BeFalse("an on-time wake-up excuses nothing");
        onTime.Should().Be(Now - (3 * Second));

        var noTimeout = Now - (3 * Second);
        SchedulePolicy.ExcusePause(Settings(new HeartbeatOptions()), ref noTimeout, oversleep: Second, minimum, Now).Should().BeFalse();
    }

    [Fact]
    public void Key_Rule4_TheEarlierOfTheDueTimeAndTheLivenessDeadline()
    {
        SchedulePolicy.Key(due: Now + Second, livenessDeadline: Now + (3 * Second)).Should().Be(Now + Second);
        SchedulePolicy.Key(due: Now + (3 * Second), livenessDeadline: Now + Second).Should().Be(Now + Second);
    }

    [Fact]
    public void AfterActivity_Rule5WhenIdleWithActivitySinceScheduling_PostponedToOneIntervalAfterTheLastActivity()
    {
        var settings = Settings(new HeartbeatOptions { Mode = HeartbeatMode.WhenIdle, Interval = TimeSpan.FromSeconds(10) });

        SchedulePolicy.AfterActivity(settings, nominal: Now, lastActivity: Now - (2 * Second)).Should().Be(Now + (8 * Second));
    }

    [Fact]
    public void AfterActivity_Rule5ActivityThenTheLoopLate_DueOneIntervalAfterTheActivityEvenWhenThatHasPassed()
    {
        var settings = Settings(new HeartbeatOptions { Mode = HeartbeatMode.WhenIdle, Interval = TimeSpan.FromSeconds(1) });

        // Due at 1 s, activity at 0.9 s, the loop woken at 3 s: due at 1.9 s, already past, but not 1 s.
        SchedulePolicy.AfterActivity(settings, nominal: Now - (2 * Second), lastActivity: Now - (21 * Second / 10)).Should().Be(Now - (11 * Second / 10));
    }

    [Fact]
    public void AfterActivity_Rule5FixedRateOrNoRecentActivity_NotPostponed()
    {
        var whenIdle = Settings(new HeartbeatOptions { Mode = HeartbeatMode.WhenIdle, Interval = TimeSpan.FromSeconds(10) });
        var fixedRate = Settings(new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = TimeSpan.FromSeconds(10) });

        SchedulePolicy.AfterActivity(fixedRate, Now, lastActivity: Now - (2 * Second)).Should().Be(Now, "FixedRate ignores activity");
        SchedulePolicy.AfterActivity(whenIdle, Now, lastActivity: Now - (10 * Second)).Should().Be(Now, "idle for a whole interval: due now");
    }

    [Fact]
    public void AfterSend_Rule6FixedRateOnTime_KeepsItsPhase()
    {
        var settings = Settings(new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = TimeSpan.FromSeconds(1) });

        SchedulePolicy.AfterSend(settings, nominal: Now, start: Now + (Second / 5), lateness: TimeSpan.FromMilliseconds(200))
            .Should().Be((Now + Second, 0L));
    }

    [Fact]
    public void AfterSend_Rule6StartedTwoAndAHalfIntervalsLate_TwoSkippedAndRebasedOnTheStartNeverABurst()
    {
        var settings = Settings(new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = TimeSpan.FromSeconds(1) });
        var start = Now + (5 * Second / 2);

        SchedulePolicy.AfterSend(settings, Now, start, TimeSpan.FromSeconds(2.5)).Should().Be((start + Second, 2L));
    }

    [Fact]
    public void AfterSend_Rule6WhenIdle_OneIntervalAfterThisOneStarted()
    {
        var settings = Settings(new HeartbeatOptions { Mode = HeartbeatMode.WhenIdle, Interval = TimeSpan.FromSeconds(1) });

        SchedulePolicy.AfterSend(settings, Now, start: Now + 50, TimeSpan.Zero).Should().Be((Now + 50 + Second, 0L));
    }

    [Fact]
    public void Tolerance_Rule8_InProportionToTheIntervalBetweenItsFloorAndCeiling()
    {
        SchedulePolicy.Tolerance(TimeSpan.FromSeconds(1)).Should().Be(TimeSpan.FromMicroseconds(500));
        SchedulePolicy.Tolerance(TimeSpan.FromSeconds(10)).Should().Be(TimeSpan.FromMilliseconds(5));
        SchedulePolicy.Tolerance(TimeSpan.FromMilliseconds(100)).Should().Be(SchedulePolicy.MinTolerance);
        SchedulePolicy.Tolerance(TimeSpan.FromHours(1)).Should().Be(SchedulePolicy.MaxTolerance);
    }

    [Fact]
    public void WakeAt_Rule8_AtTheNextKeyButNotSoonerThanTheToleranceAfterWaking()
    {
        SchedulePolicy.WakeAt(Now, Now + 100, minTolerance: 50).Should().Be(Now + 100);
        SchedulePolicy.WakeAt(Now, Now + 10, minTolerance: 50).Should().Be(Now + 50);
        SchedulePolicy.WakeAt(Now, long.MaxValue, minTolerance: 50).Should().Be(long.MaxValue);
        SchedulePolicy.WakeAt(Now, Now + 10, minTolerance: long.MaxValue).Should().Be(Now + 10);
    }

    [Fact]
    public void Overran_Rule9_EndAtOrAfterTheNextNominalTime()
    {
        SchedulePolicy.Overran(end: Now + Second, nextNominal: Now + Second).Should().BeTrue();
        SchedulePolicy.Overran(end: Now + Second - 1, nextNominal: Now + Second).Should().BeFalse();
    }

    [Fact]
    public void Spread_Rule7QuietRegistrations_NotMoved()
    {
        var policy = new SchedulePolicy(Clock);
        var settings = Settings(new HeartbeatOptions { Interval = TimeSpan.FromSeconds(1) });

        policy.Spread(settings, Now).Should().Be(Now);
        policy.Spread(settings, Now + Second).Should().Be(Now + Second, "nothing crowds a registration made a second later");
    }

    [Fact]
    public void Spread_Rule7ABurstAtOneInstant_TwoCostsApartOnlyLaterAndWithinTheBound()
    {
        var policy = new SchedulePolicy(Clock);
        var settings = Settings(new HeartbeatOptions { Interval = TimeSpan.FromSeconds(1), Spread = TimeSpan.FromMilliseconds(100) });
        var spacing = 2 * policy.BeatCost;

        var placed = Enumerable.Range(0, 10_000).Select(_ => policy.Spread(settings, Now)).ToList();

        var slack = SchedulePolicy.Ticks(SchedulePolicy.HelpBudget, Clock);
        var unmoved = (int)(slack / spacing) + 1;
        placed.Should().OnlyContain(p => p >= Now && p < Now + (Second / 10), "only later, by less than the 100 ms bound");
        placed.Take(unmoved).Should().OnlyContain(p => p == Now, "the first millisecond of the thread's work is sent at once, as any batch");
        placed.Skip(unmoved).Take(100).Should().Equal(Enumerable.Range(unmoved, 100).Select(i => Now + (i * spacing) - slack), "then each two measured costs after the previous one");
        placed.Skip(unmoved).Should().OnlyHaveUniqueItems("past the bound the offsets wrap within it rather than pile up on its edge");
    }

    [Fact]
    public void Spread_Rule7SpreadZero_RegistrationsMadeTogetherStayAligned()
    {
        var policy = new SchedulePolicy(Clock);
        var settings = Settings(new HeartbeatOptions { Interval = TimeSpan.FromSeconds(1), Spread = TimeSpan.Zero });

        Enumerable.Range(0, 100).Select(_ => policy.Spread(settings, Now)).Should().OnlyContain(p => p == Now);
    }

    [Fact]
    public void Spread_Rule7MeasuredCost_SpacingFollowsWhatAHeartbeatReallyCosts()
    {
        var policy = new SchedulePolicy(Clock);
        var micro = Clock.TimestampFrequency / 1_000_000;
        for (var i = 0; i < 200; i++)
        {
            policy.RecordBatch(heartbeats: 100, elapsed: 100 * 3 * micro); // 3 µs each
        }

        policy.BeatCost.Should().BeCloseTo(3 * micro, (uint)micro);
        policy.RecordBatch(heartbeats: 1, elapsed: 5 * Clock.TimestampFrequency); // a blocked callback teaches nothing
        policy.BeatCost.Should().BeCloseTo(3 * micro, (uint)micro);
        for (var i = 0; i < 300; i++)
        {
            policy.RecordBatch(heartbeats: 100, elapsed: 100 * 25 * micro); // sends became dearer, and stay so
        }

        policy.BeatCost.Should().BeCloseTo(25 * micro, (uint)micro, "a lasting rise is learned, slowly");
    }

    [Fact]
    public void Spread_Rule7FirstMeasurement_ReplacesTheAssumedCostAtOnce()
    {
        var policy = new SchedulePolicy(Clock);
        var micro = Clock.TimestampFrequency / 1_000_000;
        var settings = Settings(new HeartbeatOptions { Interval = TimeSpan.FromSeconds(1), Spread = TimeSpan.FromMilliseconds(500) });

        policy.RecordBatch(heartbeats: 1, elapsed: micro / 3); // a trivial callback: a third of a microsecond

        policy.BeatCost.Should().BeLessThanOrEqualTo(micro, "the first measurement replaces the 15 µs assumed");
        var tenMicrosApart = Enumerable.Range(0, 1_000).Select(i => Now + (i * 10 * micro)).ToList();
        tenMicrosApart.Select(n => policy.Spread(settings, n)).Should().Equal(tenMicrosApart, "100,000 cheap registrations a second are not a crowd: none is moved");
        var first = policy.BeatCost;
        policy.RecordBatch(heartbeats: 1, elapsed: 300 * micro); // the first call of a path being compiled
        policy.BeatCost.Should().Be(first + Math.Min(first, ((300 * micro) - first + 31) / 32), "a slow batch moves the estimate up only a 32nd of the way, and at most doubles it");
        policy.BeatCost.Should().BeLessThanOrEqualTo(2 * first, "one preempted batch must not make a million registrations a second look like a burst");
    }

    [Fact]
    public void Spread_Rule7LeadBuiltOnTheAssumedCost_ShrinksOnceAHeartbeatIsMeasured()
    {
        var policy = new SchedulePolicy(Clock);
        var micro = Clock.TimestampFrequency / 1_000_000;
        var settings = Settings(new HeartbeatOptions { Interval = TimeSpan.FromSeconds(1), Spread = TimeSpan.FromMilliseconds(500) });
        _ = Enumerable.Range(0, 2_000).Select(_ => policy.Spread(settings, Now)).ToList(); // the first batch, on the assumed 15 µs: a 60 ms lead

        policy.RecordBatch(heartbeats: 100, elapsed: 100 * micro / 3); // then a trivial callback is measured

        var tenMicrosApart = Enumerable.Range(0, 1_000).Select(i => Now + (i * 10 * micro)).ToList();
        var placed = tenMicrosApart.Select(n => policy.Spread(settings, n)).ToList();
        var moves = placed.Zip(tenMicrosApart, (p, n) => p - n).ToList();
        moves.Should().OnlyContain(m => m >= 0 && m < 1_000 * micro, "only later, and by less than a millisecond: what is left of the lead is the measured work");
        moves.Count(m => m > 0).Should().BeLessThan(50, "100,000 cheap registrations a second are not a crowd once a heartbeat was measured (kept on the assumed cost's lead, all 1,000 were moved)");
    }

    [Fact]
    public void Spread_Rule7SlowFirstBatch_DoesNotRaiseTheAssumedCost()
    {
        var policy = new SchedulePolicy(Clock);
        var assumed = policy.BeatCost;

        policy.RecordBatch(heartbeats: 1, elapsed: 50 * assumed);

        policy.BeatCost.Should().Be(assumed, "a first batch slowed by compilation must not spread every registration after it");
    }

    [Fact]
    public void NeedsHelp_Rule10_ABatchEstimatedOrRunPastTheHelpBudgetIsShared()
    {
        var policy = new SchedulePolicy(Clock);
        var budget = SchedulePolicy.Ticks(SchedulePolicy.HelpBudget, Clock);
        var overBudget = (int)(budget / policy.BeatCost) + 1; // enough heartbeats at the assumed cost to exceed the budget

        policy.NeedsHelp(Math.Max(overBudget, SchedulePolicy.MinShared)).Should().BeTrue("estimated longer than the budget");
        policy.NeedsHelp(SchedulePolicy.MinShared - 1).Should().BeFalse("too few to share, however dear");
        policy.NeedsHelp(overBudget - 1).Should().BeFalse("estimated within the budget");
        policy.RanPastHelpBudget(batchStart: Now, Now + budget + 1).Should().BeTrue("the batch ran past the budget: what is left is shared");
        policy.RanPastHelpBudget(batchStart: Now, Now + budget).Should().BeFalse("not past the budget yet");
    }

    internal static BeatSettings Settings(HeartbeatOptions options) => new(BeatSettings.KeyOf(options), Clock);
}
