using System.Reflection;

namespace KeepAlive.Net.Tests;

public sealed class KeepAliveRangeAttributeTests
{
    private static KeepAliveRangeAttribute RangeOf<T>(string property) =>
        typeof(T).GetProperty(property)!.GetCustomAttribute<KeepAliveRangeAttribute>()!;

    [Theory]
    [InlineData("3h")] // above the 2h ceiling
    [InlineData("0s")] // below the 1s floor
    [InlineData("10")] // a bare number, never read as days
    [InlineData("soon")]
    public void TryParse_Duration_RefusedText_GivesZeroNotTheRefusedValue(string text)
    {
        var range = RangeOf<TcpKeepAliveOptions>(nameof(TcpKeepAliveOptions.IdleTime));

        range.TryParse(text, out TimeSpan value, out var error).Should().BeFalse();

        error.Should().StartWith($"'{text}'");
        value.Should().Be(TimeSpan.Zero, "docs/CONFIGURATION.md says a refused text gives zero, never the refused number");
    }

    [Theory]
    [InlineData("1.5")] // above the ratio's ceiling
    [InlineData("1")] // the ceiling itself is refused
    [InlineData("-0.5")]
    [InlineData("half")]
    public void TryParse_Number_RefusedText_GivesZeroNotTheRefusedValue(string text)
    {
        var range = RangeOf<HeartbeatOptions>(nameof(HeartbeatOptions.MaxIntervalToPeerIdleRatio));

        range.TryParse(text, out double value, out var error).Should().BeFalse();

        error.Should().StartWith($"'{text}'");
        value.Should().Be(0);
    }

    [Theory]
    [InlineData("200")] // above the ceiling of 127
    [InlineData("0")]
    [InlineData("99999999999")]
    [InlineData("3.5")]
    public void TryParse_WholeNumber_RefusedText_GivesZeroNotTheRefusedValue(string text)
    {
        var range = RangeOf<TcpKeepAliveOptions>(nameof(TcpKeepAliveOptions.ProbeCount));

        range.TryParse(text, out int value, out var error).Should().BeFalse();

        error.Should().StartWith($"'{text}'");
        value.Should().Be(0);
    }

    [Fact]
    public void TryParse_AcceptedText_GivesTheValue()
    {
        RangeOf<TcpKeepAliveOptions>(nameof(TcpKeepAliveOptions.IdleTime)).TryParse("45s", out TimeSpan idle, out _).Should().BeTrue();
        RangeOf<HeartbeatOptions>(nameof(HeartbeatOptions.MaxIntervalToPeerIdleRatio)).TryParse("0.25", out double ratio, out _).Should().BeTrue();
        RangeOf<TcpKeepAliveOptions>(nameof(TcpKeepAliveOptions.ProbeCount)).TryParse("5", out int probes, out _).Should().BeTrue();

        (idle, ratio, probes).Should().Be((TimeSpan.FromSeconds(45), 0.25, 5));
    }
}
