using System.ComponentModel;

namespace KeepAlive.Net.Tests.Heartbeats;

public sealed class HeartbeatOptionsValidatorTests
{
    [Fact]
    public void Validate_Defaults_NoErrors() =>
        HeartbeatOptionsValidator.Validate(new HeartbeatOptions()).Should().BeEmpty();

    [Fact]
    public void Validate_SpreadNotBelowInterval_RefusedWithTheFix() =>
        HeartbeatOptionsValidator.Validate(new HeartbeatOptions { Interval = TimeSpan.FromSeconds(10), Spread = TimeSpan.FromSeconds(10) })
            .Should().ContainSingle().Which.Should().Match<KeepAliveValidationError>(e => e.OptionName == "Spread" && e.Message.Contains("not less than Interval") && e.Message.Contains("Fix:"));

    [Fact]
    public void Validate_IntervalNotSet_RefusalsThatNameItSayItIsTheDefault()
    {
        // A profile with Heartbeat:Timeout 5s and no Interval read "not longer than Interval (10s)", an interval nobody wrote.
        HeartbeatOptionsValidator.Validate(new HeartbeatOptions { Timeout = TimeSpan.FromSeconds(5) })
            .Should().ContainSingle().Which.Message.Should().Contain("Timeout is 5s, not longer than Interval (10s, the default: Interval is not set): ");
        HeartbeatOptionsValidator.Validate(new HeartbeatOptions { PeerIdleTimeout = TimeSpan.FromSeconds(3) })
            .Should().ContainSingle().Which.Message.Should().StartWith("Interval is 10s (the default: Interval is not set), over the limit of 1s500ms");
        HeartbeatOptionsValidator.Validate(new HeartbeatOptions { Jitter = TimeSpan.FromSeconds(10) })
            .Should().ContainSingle().Which.Message.Should().Contain("not less than Interval (10s, the default: Interval is not set): ");

        // The same interval written in the profile is shown as it is.
        HeartbeatOptionsValidator.Validate(new HeartbeatOptions { Interval = TimeSpan.FromSeconds(10), Timeout = TimeSpan.FromSeconds(5) })
            .Should().ContainSingle().Which.Message.Should().Contain("not longer than Interval (10s): ");
        HeartbeatOptionsValidator.Validate(new HeartbeatOptions { Interval = TimeSpan.FromSeconds(10), PeerIdleTimeout = TimeSpan.FromSeconds(3) })
            .Should().ContainSingle().Which.Message.Should().StartWith("Interval is 10s, over the limit of 1s500ms");
    }

    [Fact]
    public void Validate_IntervalJitterAndSpreadReachThePeerIdleTimeout_RefusedAsTheBudgetIsGone()
    {
        var options = new HeartbeatOptions { Interval = TimeSpan.FromSeconds(10), Jitter = TimeSpan.FromSeconds(5), Spread = TimeSpan.FromSeconds(6), PeerIdleTimeout = TimeSpan.FromSeconds(20) };

        options.LatenessBudget.Should().Be(TimeSpan.FromSeconds(-1));
        HeartbeatOptionsValidator.Validate(options).Should().ContainSingle().Which.Message.Should().Contain("reach PeerIdleTimeout").And.Contain("Fix: lower Spread");
    }

    [Fact]
    public void EffectiveSpread_Unset_HalfTheIntervalButAtMostHalfOfWhatThePeerLeaves()
    {
        new HeartbeatOptions { Interval = TimeSpan.FromSeconds(10) }.EffectiveSpread.Should().Be(TimeSpan.FromSeconds(5));
        new HeartbeatOptions { Interval = TimeSpan.FromSeconds(10), PeerIdleTimeout = TimeSpan.FromSeconds(16) }.EffectiveSpread
            .Should().Be(TimeSpan.FromSeconds(3), "16 - 10 leaves 6 s; half of it keeps the other half as the lateness budget");
        new HeartbeatOptions { Interval = TimeSpan.FromSeconds(10), Spread = TimeSpan.Zero }.EffectiveSpread.Should().Be(TimeSpan.Zero);
        new HeartbeatOptions { Interval = TimeSpan.FromSeconds(10), PeerIdleTimeout = TimeSpan.FromSeconds(60) }.LatenessBudget
            .Should().Be(TimeSpan.FromSeconds(45), "the budget counts the spread: 60 - 10 - 0 - 5");
    }

    [Theory]
    [InlineData("Interval", "Interval -10675199d2h48m5s477ms580.8us is below the floor of 1ms")]
    [InlineData("Jitter", "Jitter -10675199d2h48m5s477ms580.8us is below the floor of 0s")]
    [InlineData("Spread", "Spread -10675199d2h48m5s477ms580.8us is below the floor of 0s")]
    [InlineData("PeerIdleTimeout", "PeerIdleTimeout -10675199d2h48m5s477ms580.8us is below the floor of 1s")]
    public void LatenessBudgetAndEffectiveSpread_ValueFarOutsideItsRange_NoOverflowAndTheValidatorNamesTheValue(string option, string named)
    {
        // Public getters on options nobody validated yet (an application's own log, a health check of its own): far outside
        // a range, PeerIdleTimeout - Interval - Jitter - Spread threw OverflowException ("TimeSpan overflowed because the
        // duration is too long"), naming neither the value nor its range. Outside the declared ranges there is no budget, and
        // the validator names the value, its range and the fix.
        var options = new HeartbeatOptions { Interval = TimeSpan.FromSeconds(1), PeerIdleTimeout = PeerIdleTimeout.AwsNlb };
        _ = option switch
        {
            "Interval" => options.Interval = TimeSpan.MinValue,
            "Jitter" => options.Jitter = TimeSpan.MinValue,
            "Spread" => (options.Spread = TimeSpan.MinValue).Value,
            _ => (options.PeerIdleTimeout = TimeSpan.MinValue).Value.Value,
        };

        options.LatenessBudget.Should().BeNull();
        options.EffectiveSpread.Should().Be(option == "Spread" ? TimeSpan.MinValue : options.Interval / 2, "the spread set, or half the interval when what the peer leaves cannot be counted");
        AssertSingleError(options, option, named, "Fix:");
    }

    [Fact]
    public void Validate_FullValidProfile_NoErrors() =>
        HeartbeatOptionsValidator.Validate(new HeartbeatOptions
        {
            Interval = TimeSpan.FromSeconds(10),
            Timeout = TimeSpan.FromSeconds(30),
            PeerIdleTimeout = PeerIdleTimeout.AwsNlb,
            Jitter = TimeSpan.FromSeconds(1),
        }).Should().BeEmpty();

    [Theory]
    [InlineData(0, "Interval", "Interval 0s is below the floor of 1ms")]
    [InlineData(-5, "Interval", "Interval -5s is below the floor of 1ms")]
    [InlineData(200_000, "Interval", "Interval 2d7h33m20s is above the ceiling of 1h")]
    public void Validate_BadInterval_NamesOptionValueAndFix(int seconds, string option, string text) =>
        AssertSingleError(new HeartbeatOptions { Interval = TimeSpan.FromSeconds(seconds) }, option, text, "Fix:");

    [Fact]
    public void Validate_IntervalOverHalfOfPeerIdleTimeout_NamesLimitAndFix() =>
        AssertSingleError(new HeartbeatOptions { Interval = TimeSpan.FromSeconds(40), PeerIdleTimeout = PeerIdleTimeout.AwsAlb },
            "Interval", "40s", "30s", "AwsAlb", "MaxIntervalToPeerIdleRatio 0.5", "Fix: set Interval to at most 30s");

    [Fact]
    public void Validate_RatioSoSmallThatNoIntervalFitsUnderIt_FixRaisesTheRatioInsteadOfAnIntervalBelowItsFloor()
    {
        // MaxIntervalToPeerIdleRatio 0.00001 of a 60s peer idle timeout leaves 600us: the fix said "set Interval to at most
        // 600us", which Interval's own floor (1ms) then refuses: no Interval could satisfy both, and the fix led nowhere.
        var options = new HeartbeatOptions { Interval = TimeSpan.FromSeconds(10), PeerIdleTimeout = TimeSpan.FromSeconds(60), MaxIntervalToPeerIdleRatio = 0.00001 };

        AssertSingleError(options, "MaxIntervalToPeerIdleRatio", "Interval is 10s, over the limit of 600us", "below Interval's floor of 1ms",
            "Fix: raise MaxIntervalToPeerIdleRatio", "0.5");
        HeartbeatOptionsValidator.Validate(options).Single().Message.Should().NotContain("set Interval to at most 600us");
    }

    [Fact]
    public void Validate_CustomRatio_AppliesIt()
    {
        var options = new HeartbeatOptions { Interval = TimeSpan.FromSeconds(40), PeerIdleTimeout = TimeSpan.FromSeconds(60), MaxIntervalToPeerIdleRatio = 0.75 };
        HeartbeatOptionsValidator.Validate(options).Should().BeEmpty();
        options.MaxIntervalToPeerIdleRatio = 0.33;
        AssertSingleError(options, "Interval", "19s800ms");
    }

    [Fact]
    public void Validate_IntervalExactlyAtTheRatioOfPeerIdleTimeout_AcceptedAsEveryProfileRuleAcceptsIt()
    {
        // 0.7 x 9s is 62,999,999.99999999 ticks in doubles: the validator cut it to 6s299ms999.9us and refused Interval 6.3s
        // ("over the limit of 6s299ms999.9us"), while the profile rules (SignalR, WebSocket, client heartbeats) round
        // the same product to 6.3s and accepted the same interval. The limit is declared once, LongestIntervalForPeer.
        var options = new HeartbeatOptions { Interval = TimeSpan.FromMilliseconds(6300), PeerIdleTimeout = TimeSpan.FromSeconds(9), MaxIntervalToPeerIdleRatio = 0.7 };

        options.LongestIntervalForPeer.Should().Be(TimeSpan.FromMilliseconds(6300));
        HeartbeatOptionsValidator.Validate(options).Should().BeEmpty();
        options.Interval = TimeSpan.FromMilliseconds(6301);
        AssertSingleError(options, "Interval", "over the limit of 6s300ms = MaxIntervalToPeerIdleRatio 0.7 x PeerIdleTimeout 9s", "Fix: set Interval to at most 6s300ms");
        new HeartbeatOptions().LongestIntervalForPeer.Should().BeNull("without PeerIdleTimeout there is no limit");
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    [InlineData(1e300)]
    [InlineData(-1e300)]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-0.5)]
    public void LongestIntervalForPeer_RatioOutsideItsRange_NullNotAnExceptionAndTheValidatorNamesTheRatio(double ratio)
    {
        // A public getter on options nobody validated: NaN threw ArgumentException ("TimeSpan does not accept floating point
        // Not-a-Number values") and 1e300 or an infinity OverflowException ("TimeSpan overflowed"), naming neither the ratio
        // nor its range; 0, 1 and -0.5 gave a limit of a ratio the validator refuses. Outside the declared range there is no limit.
        var options = new HeartbeatOptions { PeerIdleTimeout = TimeSpan.FromSeconds(30), MaxIntervalToPeerIdleRatio = ratio };

        options.LongestIntervalForPeer.Should().BeNull();
        AssertSingleError(options, "MaxIntervalToPeerIdleRatio", "MaxIntervalToPeerIdleRatio ", "Fix:");
        options.MaxIntervalToPeerIdleRatio = 0.999;
        options.LongestIntervalForPeer.Should().Be(TimeSpan.FromSeconds(29.97), "within the range the limit is the ratio of PeerIdleTimeout");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Validate_RatioOutOfRange_Error(double ratio) =>
        AssertSingleError(new HeartbeatOptions { MaxIntervalToPeerIdleRatio = ratio }, "MaxIntervalToPeerIdleRatio", "MaxIntervalToPeerIdleRatio ", "Fix:", "0.5");

    [Theory]
    [InlineData(10, "not longer than Interval", "30s")]
    [InlineData(5, "not longer than Interval", "30s")]
    [InlineData(0, "Timeout 0s is below the floor of 1ms", "30s")]
    public void Validate_TimeoutNotAboveInterval_Error(int timeoutSeconds, string text, string fix) =>
        AssertSingleError(new HeartbeatOptions { Interval = TimeSpan.FromSeconds(10), Timeout = TimeSpan.FromSeconds(timeoutSeconds) }, "Timeout", text, fix);

    [Fact]
    public void Validate_TimeoutNotAboveIntervalPlusJitter_RefusedAsAJitteredHeartbeatComesAfterIt()
    {
        // Interval 1s, Jitter 500ms: two heartbeats can be 1s500ms apart, so a peer that answers every heartbeat at once
        // is silent that long; a Timeout of 1s200ms declared such a healthy peer dead.
        var options = new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = TimeSpan.FromSeconds(1), Jitter = TimeSpan.FromMilliseconds(500), Timeout = TimeSpan.FromMilliseconds(1200) };

        AssertSingleError(options, "Timeout", "Timeout is 1s200ms, not longer than Interval + Jitter (1s + 500ms = 1s500ms", "declared dead before it could answer", "Fix: set Timeout above 1s500ms", "3s");
        using var harness = new ManualScheduler();
        var register = () => harness.Scheduler.Register(options, context =>
        {
            context.Registration.MarkPeerActivity(); // the peer answers every heartbeat at once
            return ValueTask.CompletedTask;
        });
        register.Should().Throw<ArgumentException>().WithMessage("*Interval + Jitter*");

        options.Timeout = TimeSpan.FromMilliseconds(1600);
        HeartbeatOptionsValidator.Validate(options).Should().BeEmpty();
        var dead = 0;
        using var registration = register();
        registration.PeerDead += (_, _) => dead++;
        harness.Step(TimeSpan.FromSeconds(30), ManualScheduler.Tick);
        dead.Should().Be(0, "a Timeout above the longest gap never declares a peer that answers every heartbeat dead");
    }

    [Fact]
    public void Validate_PeerIdleTimeoutNotPositive_Error() =>
        AssertSingleError(new HeartbeatOptions { PeerIdleTimeout = TimeSpan.Zero }, "PeerIdleTimeout", "PeerIdleTimeout 0s is below the floor of 1s", "\"350s\"");

    [Theory]
    [InlineData(-1, "Jitter -1ms is below the floor of 0s")]
    [InlineData(10_000, "less than Interval")]
    [InlineData(12_000, "less than Interval")]
    public void Validate_JitterOutOfRange_Error(int milliseconds, string text) =>
        AssertSingleError(new HeartbeatOptions { Interval = TimeSpan.FromSeconds(10), Jitter = TimeSpan.FromMilliseconds(milliseconds) }, "Jitter", text);

    [Fact]
    public void Validate_DriftWarningThresholdZero_Error() =>
        AssertSingleError(new HeartbeatOptions { DriftWarningThreshold = TimeSpan.Zero }, "DriftWarningThreshold", "DriftWarningThreshold 0s is below the floor of 1ms");

    [Fact]
    public void Validate_BlockedCallbackThresholdNegative_Error() =>
        AssertSingleError(new HeartbeatOptions { BlockedCallbackThreshold = TimeSpan.FromSeconds(-1) }, "BlockedCallbackThreshold", "BlockedCallbackThreshold -1s is below the floor of 1ms");

    [Fact]
    public void Validate_BudgetReachedWithoutASpread_NamesJitterNotSpread() =>
        AssertSingleError(new HeartbeatOptions { Interval = TimeSpan.FromSeconds(59), Jitter = TimeSpan.FromSeconds(58), PeerIdleTimeout = TimeSpan.FromSeconds(60), MaxIntervalToPeerIdleRatio = 0.99 },
            "Jitter", "Spread 0s reach PeerIdleTimeout");

    [Theory]
    [InlineData(0, 16, 50.0, "StandbyThreadCount 0 is below the floor of 1")]
    [InlineData(1, 100000, 50.0, "MaxStandbyThreadCount 100000 is above the ceiling of 256")]
    [InlineData(4, 2, 50.0, "StandbyThreadCount is 4, above MaxStandbyThreadCount 2")]
    [InlineData(1, 16, 0.9999, "TakeoverThreshold 999.9us is below the floor of 1ms")]
    [InlineData(1, 16, 1000.0001, "TakeoverThreshold 1s0.1us is above the ceiling of 1s")]
    public void SchedulerOptions_OutOfRange_RefusedWithTheExactValueTheRangeAndTheFix(int standby, int maxStandby, double takeoverMs, string message)
    {
        var options = new HeartbeatSchedulerOptions { StandbyThreadCount = standby, MaxStandbyThreadCount = maxStandby, TakeoverThreshold = TimeSpan.FromTicks((long)Math.Round(takeoverMs * TimeSpan.TicksPerMillisecond)) };

        var act = () => new HeartbeatScheduler(options: options);

        act.Should().Throw<ArgumentException>().WithMessage($"*{message}*Fix*");
    }

    [Fact]
    public void Validate_UndefinedMode_Error() =>
        AssertSingleError(new HeartbeatOptions { Mode = (HeartbeatMode)7 }, "Mode", "WhenIdle or FixedRate");

    [Fact]
    public void Register_InvalidOptions_ThrowsArgumentExceptionWithEveryMessage()
    {
        using var harness = new ManualScheduler();
        var options = new HeartbeatOptions { Interval = TimeSpan.FromSeconds(40), PeerIdleTimeout = PeerIdleTimeout.AwsAlb, DriftWarningThreshold = TimeSpan.Zero };

        var act = () => harness.Scheduler.Register(options, _ => ValueTask.CompletedTask);

        act.Should().Throw<ArgumentException>()
            .Which.Message.Should().Contain("Interval is 40s").And.Contain("DriftWarningThreshold 0s is below the floor of 1ms").And.Contain("nothing was registered");
        harness.Scheduler.RegistrationCount.Should().Be(0);
    }

    [Theory]
    [InlineData("Interval", "Interval -10675199d2h48m5s477ms580.8us is below the floor of 1ms")]
    [InlineData("Spread", "Spread -10675199d2h48m5s477ms580.8us is below the floor of 0s")]
    [InlineData("Jitter", "Jitter 10675199d2h48m5s477ms580.7us is above the ceiling of 1h")]
    public void Register_ValueFarOutOfRangeWithAPeerIdleTimeout_ArgumentExceptionNamingItNotOverflow(string option, string named)
    {
        // The derived values (EffectiveSpread, LatenessBudget) overflow on these; the registration must still say which
        // value is wrong, as the validator does, rather than throw an OverflowException from inside the engine.
        using var harness = new ManualScheduler();
        var options = new HeartbeatOptions { Interval = TimeSpan.FromSeconds(1), PeerIdleTimeout = PeerIdleTimeout.AwsNlb };
        _ = option switch
        {
            "Interval" => options.Interval = TimeSpan.MinValue,
            "Spread" => (options.Spread = TimeSpan.MinValue).Value,
            _ => options.Jitter = TimeSpan.MaxValue,
        };

        var act = () => harness.Scheduler.Register(options, _ => ValueTask.CompletedTask);

        act.Should().Throw<ArgumentException>().Which.Message.Should().Contain(named).And.Contain("nothing was registered");
        HeartbeatOptionsValidator.Validate(options).Should().Contain(e => e.OptionName == option);
        harness.Scheduler.RegistrationCount.Should().Be(0);
    }

    [Theory]
    [InlineData("AwsNlb", 350, "AwsNlb")]
    [InlineData("awsalb", 60, "AwsAlb")]
    [InlineData(" GcpCloudNat ", 1200, "GcpCloudNat")]
    [InlineData("AzureLoadBalancer", 240, "AzureLoadBalancer")]
    [InlineData("00:05:50", 350, null)]
    public void PeerIdleTimeoutParse_PresetOrTime_Parsed(string text, int seconds, string? preset)
    {
        var value = PeerIdleTimeout.Parse(text);
        value.Value.Should().Be(TimeSpan.FromSeconds(seconds));
        value.PresetName.Should().Be(preset);
        ((PeerIdleTimeout)TypeDescriptor.GetConverter(typeof(PeerIdleTimeout)).ConvertFromInvariantString(text)!).Should().Be(value);
    }

    [Fact]
    public void PeerIdleTimeoutParse_Garbage_FormatExceptionListsPresets()
    {
        PeerIdleTimeout.TryParse("soon", out _).Should().BeFalse();
        PeerIdleTimeout.TryParse("10", out _).Should().BeFalse("a bare number would be ten days");
        PeerIdleTimeout.Parse("350s").Value.Should().Be(TimeSpan.FromSeconds(350));
        var act = () => PeerIdleTimeout.Parse("soon");
        act.Should().Throw<FormatException>().WithMessage("*AwsNlb*");
    }

    [Fact]
    public void PeerIdleTimeoutParse_WhatToStringWrites_ReadsBack()
    {
        foreach (var value in PeerIdleTimeout.Presets.Append(new PeerIdleTimeout(TimeSpan.FromSeconds(90))))
        {
            PeerIdleTimeout.Parse(value.ToString()).Should().Be(value, "'{0}' is what ToString wrote", value);
        }
    }

    [Theory]
    [InlineData("AwsN1b", "AwsNlb")]
    [InlineData("AwsNlb (5m)", null)]
    [InlineData("GcpCloudNat2", "GcpCloudNat")]
    public void PeerIdleTimeoutParse_PresetMisspeltWithADigit_AnsweredWithThePresetsAndTheClosestName(string text, string? closest)
    {
        PeerIdleTimeout.TryParse(text, out _, out var error).Should().BeFalse();

        error.Should().Contain($"'{text}' is neither a preset nor a duration").And.Contain("AwsNlb = 5m50s");
        if (closest is not null)
        {
            error.Should().Contain($"Did you mean '{closest}'?");
        }
    }

    private static void AssertSingleError(HeartbeatOptions options, string optionName, params string[] fragments)
    {
        var errors = HeartbeatOptionsValidator.Validate(options);
        errors.Should().ContainSingle().Which.OptionName.Should().Be(optionName);
        foreach (var fragment in fragments)
        {
            errors[0].Message.Should().Contain(fragment);
        }
    }
}
