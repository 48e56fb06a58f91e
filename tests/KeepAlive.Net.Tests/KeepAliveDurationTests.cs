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
    public void TryParse_AcceptedForm_ReturnsTheDuration(string text, long ticks)
    {
        KeepAliveDuration.TryParse(text, out var value, out var error).Should().BeTrue(error);

        value.Should().Be(TimeSpan.FromTicks(ticks));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("1")]
    [InlineData("0.5")]
    public void TryParse_BareNumber_IsRefusedWithTheFix(string text)
    {
        KeepAliveDuration.TryParse(text, out _, out var error).Should().BeFalse();

        error.Should().Contain("no unit").And.Contain("days").And.Contain($"\"{text}s\"");
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("ten seconds")]
    [InlineData("10x")]
    [InlineData("s")]
    [InlineData("10s5")]
    [InlineData("1:2:3:4:5")]
    [InlineData("99999999999d")]
    public void TryParse_Garbage_IsRefusedNamingTheAcceptedForms(string? text)
    {
        KeepAliveDuration.TryParse(text, out _, out var error).Should().BeFalse();

        error.Should().Contain("10s").And.Contain("00:00:10");
    }

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
    [InlineData(15L, "1us500ns")]
    public void Format_RoundTripsThroughParse(long ticks, string expected)
    {
        var text = KeepAliveDuration.Format(TimeSpan.FromTicks(ticks));

        text.Should().Be(expected);
        if (ticks % TimeSpan.TicksPerMicrosecond == 0)
        {
            KeepAliveDuration.Parse(text).Should().Be(TimeSpan.FromTicks(ticks));
        }
    }
}
