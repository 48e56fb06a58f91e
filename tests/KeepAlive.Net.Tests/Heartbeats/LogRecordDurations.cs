using System.Globalization;
using KeepAlive.Net.Tests.TestSupport;
using Microsoft.Extensions.Logging.Testing;

namespace KeepAlive.Net.Tests.Heartbeats;

/// <summary>
/// Assertions on a log record that writes durations: its message in the form the configuration reads ("1s600ms"), each
/// read back by <see cref="KeepAliveDuration.Parse"/>, and its numeric millisecond fields kept for dashboards.
/// </summary>
internal static class LogRecordDurations
{
    /// <summary>Every duration of the message reads back, none is written "N ms", and <paramref name="expected"/> are among them.</summary>
    public static void ShouldWriteDurations(this FakeLogRecord log, params string[] expected)
    {
        DurationText.NotReadBack(log.Message).Should().BeEmpty("every duration of the message reads back as configuration: {0}", log.Message);
        DurationText.Durations(log.Message).Should().Contain(expected, "the message: {0}", log.Message);
        log.Message.Should().NotContain(" ms", "milliseconds are written \"250ms\", as configuration reads them: {0}", log.Message);
    }

    /// <summary>The record keeps each numeric field with its value, as it had before its message wrote durations.</summary>
    public static void ShouldKeepFields(this FakeLogRecord log, params (string Name, string Value)[] fields)
    {
        foreach (var (name, value) in fields)
        {
            log.GetStructuredStateValue(name).Should().Be(value, "dashboards query the numeric field {0}", name);
        }
    }

    /// <summary>The record keeps a numeric millisecond field for a measured value; returns it.</summary>
    public static double ShouldKeepMilliseconds(this FakeLogRecord log, string name)
    {
        var text = log.GetStructuredStateValue(name);
        text.Should().NotBeNull("dashboards query the numeric field {0}", name);
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value).Should().BeTrue("{0} is a number of milliseconds: {1}", name, text);
        return value;
    }
}
