using KeepAlive.Net.Tests.TestSupport;

namespace KeepAlive.Net.Tests;

public sealed class KeepAliveDurationTests
{
    [Theory]
    [InlineData("250ms", 250 * TimeSpan.TicksPerMillisecond)]
    [InlineData("10s", 10 * TimeSpan.TicksPerSecond)]
    [InlineData("1.5s", 15 * TimeSpan.TicksPerSecond / 10)]
    [InlineData("5m", 5 * TimeSpan.TicksPerMinute)]
    [InlineData("1h", TimeSpan.TicksPerHour)]
    [InlineData("1m30s", 90 * TimeSpan.TicksPerSecond)]
    [InlineData(" 30S ", 30 * TimeSpan.TicksPerSecond)]
    [InlineData("500us", 500 * TimeSpan.TicksPerMicrosecond)]
    [InlineData("00:00:10", 10 * TimeSpan.TicksPerSecond)]
    [InlineData("00:00:00.250", 250 * TimeSpan.TicksPerMillisecond)]
    [InlineData("-1s", -TimeSpan.TicksPerSecond)]
    [InlineData("-00:00:01", -TimeSpan.TicksPerSecond)]
    [InlineData("-1m30s", -90 * TimeSpan.TicksPerSecond)]
    [InlineData("1d2h3m4s5ms6us", TimeSpan.TicksPerDay + (2 * TimeSpan.TicksPerHour) + (3 * TimeSpan.TicksPerMinute) + (4 * TimeSpan.TicksPerSecond) + (5 * TimeSpan.TicksPerMillisecond) + (6 * TimeSpan.TicksPerMicrosecond))]
    [InlineData("23:59:59", (24 * TimeSpan.TicksPerHour) - TimeSpan.TicksPerSecond)]
    [InlineData("1.00:00:00", TimeSpan.TicksPerDay)]
    [InlineData("00:00:00.1234567", 1_234_567)]
    [InlineData("10675199.02:48:05.4775807", long.MaxValue)]
    public void TryParse_AcceptedForm_ReturnsTheDuration(string text, long ticks)
    {
        KeepAliveDuration.TryParse(text, out var value, out var error).Should().BeTrue(error);

        value.Should().Be(TimeSpan.FromTicks(ticks));
    }

    [Theory]
    [InlineData("10", "10 days")]
    [InlineData("1", "1 day)")]
    [InlineData("0.5", "0.5 days")]
    public void TryParse_BareNumber_IsRefusedWithTheFix(string text, string read)
    {
        KeepAliveDuration.TryParse(text, out _, out var error).Should().BeFalse();

        error.Should().Contain("no unit").And.Contain($".NET would read it as {read}").And.Contain($"\"{text}s\"");
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("ten seconds")]
    [InlineData("10x")]
    [InlineData("s")]
    [InlineData("10s5")]
    [InlineData("1:2:3:4:5")]
    [InlineData("1:2:3:4")]
    [InlineData("1.2.3s")]
    [InlineData("1.2.3")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-")]
    [InlineData("--1s")]
    public void TryParse_Garbage_IsRefusedNamingTheAcceptedForms(string? text)
    {
        KeepAliveDuration.TryParse(text, out _, out var error).Should().BeFalse();

        error.Should().Contain("10s").And.Contain("00:00:10");
    }

    [Theory]
    [InlineData("99999999999d")]
    [InlineData("99999999999999999999d")]
    [InlineData("-99999999999999999999d")]
    [InlineData("999999999999999999999999999999999999s")]
    [InlineData("10675200.00:00:00")]
    [InlineData("10675199d3h")]
    public void TryParse_NumberTooLargeForAnyDuration_SaysOutOfRangeWithoutThrowing(string text)
    {
        var parse = () => KeepAliveDuration.TryParse(text, out _, out var error) ? null : error;

        parse.Should().NotThrow().Which.Should().Contain($"'{text}' is out of range").And.Contain("10675199d");
    }

    [Theory]
    [InlineData("10s10s", "the unit 's' twice")]
    [InlineData("1m1m", "the unit 'm' twice")]
    [InlineData("5us3µs", "the unit 'µs' twice")]
    [InlineData("30s1m", "'m' after a smaller unit")]
    [InlineData("1ms1s", "'s' after a smaller unit")]
    public void TryParse_UnitRepeatedOrOutOfOrder_IsRefusedNotAdded(string text, string why)
    {
        KeepAliveDuration.TryParse(text, out _, out var error).Should().BeFalse("'10s10s' is not 20 s: it is a typo");

        error.Should().Contain($"'{text}' gives {why}").And.Contain("largest first").And.Contain("1m30s");
    }

    [Theory]
    [InlineData("24:00:00", "24 hours: .NET would read it as 24 days")]
    [InlineData("36:00:00", "36 hours: .NET would read it as 36 days")]
    [InlineData("00:60:00", "60 minutes; minutes and seconds go up to 59")]
    [InlineData("00:00:75", "75 seconds; minutes and seconds go up to 59")]
    [InlineData("1:30", "ambiguous")]
    public void TryParse_ClockThatDoesNotMeanWhatItSays_IsRefusedWithTheFix(string text, string why)
    {
        KeepAliveDuration.TryParse(text, out _, out var error).Should().BeFalse();

        error.Should().Contain($"'{text}'").And.Contain(why);
    }

    // A clock with a part past its limit is refused, and what it offers instead is the duration the clock meant, every part
    // of it: "36:30:00" is not "36h", nor "1.00:00:00".
    [Theory]
    [InlineData("36:00:00", 36 * 3600)]
    [InlineData("36:30:15", (36 * 3600) + (30 * 60) + 15)]
    [InlineData("1.30:00:00", 54 * 3600)]
    [InlineData("00:90:00", 90 * 60)]
    [InlineData("01:75:30", 3600 + (75 * 60) + 30)]
    [InlineData("00:00:75.5", 75.5)]
    public void TryParse_ClockWithAPartPastItsLimit_OffersOnlyTheDurationItMeant(string text, double seconds)
    {
        KeepAliveDuration.TryParse(text, out _, out var error).Should().BeFalse();

        var offered = Offered(error!, text);
        offered.Should().NotBeEmpty(error);
        offered.Should().AllSatisfy(o => KeepAliveDuration.Parse(o).Should().Be(TimeSpan.FromSeconds(seconds), $"'{o}' is offered for '{text}': {error}"));
    }

    [Fact]
    public void ConfigurationDoc_ClockOfManyHours_OffersWhatTheParserOffers()
    {
        var markdown = RepositoryFiles.ReadAllText("docs/CONFIGURATION.md");
        var claim = System.Text.RegularExpressions.Regex.Match(markdown, @"\(`""([^""`]+)""` is \d+ days to \.NET: write (`""[^""`]+""`(?: or `""[^""`]+""`)*)\)");
        claim.Success.Should().BeTrue("CONFIGURATION.md says what to write for a clock of 24 hours or more");

        KeepAliveDuration.TryParse(claim.Groups[1].Value, out _, out var error).Should().BeFalse();

        Offered(claim.Groups[2].Value, claim.Groups[1].Value).Should().Equal(Offered(error!, claim.Groups[1].Value), "the doc quotes the readings the parser offers");
    }

    // The quoted readings of a message, without the text it quotes back.
    private static List<string> Offered(string message, string text) =>
        System.Text.RegularExpressions.Regex.Matches(message, "\"([^\"]+)\"").Select(static m => m.Groups[1].Value).Where(o => o != text).ToList();

    [Fact]
    public void Parse_BareNumber_ThrowsFormatException()
    {
        var parse = () => KeepAliveDuration.Parse("10");

        parse.Should().Throw<FormatException>().WithMessage("*\"10s\"*");
    }

    [Theory]
    [InlineData(0L, "0s")]
    [InlineData(250 * TimeSpan.TicksPerMillisecond, "250ms")]
    [InlineData(90 * TimeSpan.TicksPerSecond, "1m30s")]
    [InlineData(-5 * TimeSpan.TicksPerSecond, "-5s")]
    [InlineData(TimeSpan.TicksPerDay + TimeSpan.TicksPerMillisecond, "1d1ms")]
    [InlineData(15L, "1.5us")]
    [InlineData(1L, "0.1us")]
    [InlineData(9999L, "999.9us")]
    [InlineData(long.MaxValue, "10675199d2h48m5s477ms580.7us")]
    [InlineData(-long.MaxValue, "-10675199d2h48m5s477ms580.7us")]
    public void Format_RoundTripsThroughParse(long ticks, string expected)
    {
        var text = KeepAliveDuration.Format(TimeSpan.FromTicks(ticks));

        text.Should().Be(expected);
        KeepAliveDuration.Parse(text).Should().Be(TimeSpan.FromTicks(ticks), "every tick is written, in a unit Parse reads");
    }

    [Theory]
    [InlineData(2_744_784_157, 10_000, "4m34s478ms")]
    [InlineData(2_744_785_167, 10_000, "4m34s479ms")]
    [InlineData(2_744_785_167, 10_000_000, "4m34s")]
    [InlineData(-15_000, 10_000, "-2ms")]
    [InlineData(4_000, 10_000, "0s")]
    public void Format_ToAPrecision_RoundsToTheNearestMultiple(long ticks, long precisionTicks, string expected) =>
        KeepAliveDuration.Format(TimeSpan.FromTicks(ticks), TimeSpan.FromTicks(precisionTicks)).Should().Be(expected);

    [Fact]
    public void Format_ToAPrecision_NearTheLimitsStaysADuration() =>
        KeepAliveDuration.Format(TimeSpan.MaxValue, TimeSpan.FromHours(1)).Should().Be(KeepAliveDuration.Format(TimeSpan.MaxValue));

    [Fact]
    public void Format_ToAZeroPrecision_Throws() =>
        FluentActions.Invoking(() => KeepAliveDuration.Format(TimeSpan.FromSeconds(1), TimeSpan.Zero)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("precision");

    [Fact]
    public void Format_MinValue_IsItsOwnValueNotMaxValueNegated() =>
        KeepAliveDuration.Format(TimeSpan.MinValue).Should().Be("-10675199d2h48m5s477ms580.8us");
}
