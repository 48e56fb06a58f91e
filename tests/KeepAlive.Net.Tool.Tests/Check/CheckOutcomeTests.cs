using KeepAlive.Net.Tool.Check;

namespace KeepAlive.Net.Tool.Tests.Check;

/// <summary>The verdict line <c>check</c> ends with, for connections the peer or a middlebox ended.</summary>
public sealed class CheckOutcomeTests
{
    [Fact]
    public void Describe_ResetAfterTheSilenceOfAKnownIdleTimeout_NamesThePresetAndTheProbe()
    {
        var outcome = new CheckOutcome(true, "RST from the peer (connection reset)", TimeSpan.FromSeconds(352), TimeSpan.FromSeconds(350.4), null, string.Empty, null);

        var line = outcome.Describe();

        line.Should().Contain("silent for 5m50s400ms before it ended").And.NotContain("after the peer was last heard", "the RST itself was heard last")
            .And.Contain("AwsNlb").And.Contain("keepalive probe-idle");
    }

    [Fact]
    public void Describe_ResetAfterASilenceNoPresetHas_NamesNoPreset()
    {
        var outcome = new CheckOutcome(true, "RST from the peer (connection reset)", TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(700), null, string.Empty, null);

        var line = outcome.Describe();

        line.Should().Contain("silent for 700ms before it ended").And.NotContainAny("AwsNlb", "AzureLoadBalancer", "AwsAlb", "GcpCloudNat", "AwsNatGateway");
    }

    [Theory]
    [InlineData(700)]
    [InlineData(30_000)]
    public void Describe_ResetAfterASilenceNoPresetHas_BlamesNoIdleTimeout(int silenceMs)
    {
        var outcome = new CheckOutcome(true, "RST from the peer (connection reset)", TimeSpan.FromSeconds(40), TimeSpan.FromMilliseconds(silenceMs), null, string.Empty, null);

        var line = outcome.Describe();

        line.Should().NotContainAny(["idle timeout", "likely a middlebox", "probe-idle"], "no preset's idle timeout is that long, so nothing names one (not an empty name with 0 s)");
    }

    [Fact]
    public void Describe_ResetAfterTheSilenceOfTwoPresetsAlike_NamesBoth()
    {
        // AwsNlb and AwsNatGateway both forget a flow after 350 s: a NAT gateway's user was told only of the NLB.
        var outcome = new CheckOutcome(true, "RST from the peer (connection reset)", TimeSpan.FromSeconds(352), TimeSpan.FromSeconds(350.4), null, string.Empty, null);

        var line = outcome.Describe();

        line.Should().Contain("after as long as AwsNlb's or AwsNatGateway's idle timeout (5m50s)");
    }

    [Theory]
    [InlineData(0, 130)]
    [InlineData(2, 1)]
    public void Describe_HoldCutShort_IsAFindingWhenAHeartbeatWasLateBeforeTheSignal(long late, int exitCode)
    {
        var heartbeats = new HeartbeatStatistics { Sent = 10, Delayed = late, MaxLateness = TimeSpan.FromMilliseconds(2400), LastDelayCause = late > 0 ? HeartbeatDelayCause.ProcessPaused : HeartbeatDelayCause.None };
        var outcome = new CheckOutcome(false, "alive", TimeSpan.FromSeconds(3), TimeSpan.Zero, null, string.Empty, heartbeats, CutShortOf: TimeSpan.FromMinutes(1));

        var line = outcome.Describe();

        outcome.ExitCode.Should().Be(exitCode);
        line.Should().Contain($"so this is no pass (exit code {exitCode})");
        if (late > 0)
        {
            line.Should().EndWith("FINDING: 2 heartbeats started late (the last: ProcessPaused), exit code 1.").And.NotContain("130");
        }
        else
        {
            line.Should().NotContain("FINDING");
        }
    }

    [Theory]
    // Ctrl-C 0.4 ms before the end of a 1m hold read "after 1m of the planned 1m ... this is no pass": by its figures the
    // whole hold was watched, by its verdict not.
    [InlineData(599_996_000L, 600_000_000L, "after 59s999ms of the planned 1m;")]
    // A --hold of 1m400us read "of the planned 1m", beside a hold of 1m that was cut short of it.
    [InlineData(600_002_000L, 600_004_000L, "after 1m of the planned 1m400us;")]
    public void Describe_HoldCutShortJustBeforeItsEnd_NeverReadsAsTheWholePlannedHold(long afterTicks, long plannedTicks, string says)
    {
        var outcome = new CheckOutcome(false, "alive", TimeSpan.FromTicks(afterTicks), TimeSpan.Zero, null, string.Empty, null, CutShortOf: TimeSpan.FromTicks(plannedTicks));

        var line = outcome.Describe();

        line.Should().StartWith("STOPPED: ").And.Contain(says);
    }
}
