using System.Globalization;

namespace KeepAlive.Net;

/// <summary>Formats durations the same way in every message and report.</summary>
internal static class KeepAliveFormat
{
    public static string Duration(TimeSpan value)
    {
        if (value.Ticks % TimeSpan.TicksPerSecond == 0)
        {
            return ((long)value.TotalSeconds).ToString(CultureInfo.InvariantCulture) + " s";
        }

        // To the tick (100 ns): a value rounded or refused is shown as it was given, never as its neighbour.
        return value.TotalMilliseconds < 1000
            ? value.TotalMilliseconds.ToString("0.####", CultureInfo.InvariantCulture) + " ms"
            : value.TotalSeconds.ToString("0.#######", CultureInfo.InvariantCulture) + " s";
    }

    public static string Count(long value) => value.ToString(CultureInfo.InvariantCulture);
}
