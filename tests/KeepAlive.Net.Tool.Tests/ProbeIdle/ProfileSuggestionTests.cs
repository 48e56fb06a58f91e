using KeepAlive.Net.Tool.ProbeIdle;

namespace KeepAlive.Net.Tool.Tests.ProbeIdle;

/// <summary>The profile probe-idle suggests for a measured idle timeout, written as every duration is (KeepAliveDuration.Format).</summary>
public sealed class ProfileSuggestionTests
{
    [Theory]
    // It wrote "350s", "116s" and "1.8s": a second duration form beside the one the library and every other output use.
    [InlineData(350.4, "\"IdleTime\": \"30s\", \"Interval\": \"10s\"", "\"Interval\": \"1m56s\", \"PeerIdleTimeout\": \"5m50s\"")]
    [InlineData(1.85, "\"Enabled\": false", "\"Interval\": \"600ms\", \"PeerIdleTimeout\": \"1s800ms\"")]
    public void Json_MeasuredTimeout_WritesEachDurationInTheOneDurationForm(double seconds, string tcp, string heartbeat)
    {
        var suggestion = ProfileSuggestion.For(TimeSpan.FromSeconds(seconds));

        suggestion.Refused.Should().BeNull("the library accepts the suggested profile");
        suggestion.Json().Should().Contain(tcp).And.Contain(heartbeat);
    }
}
