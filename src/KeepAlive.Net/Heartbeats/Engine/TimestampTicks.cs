namespace KeepAlive.Net.Heartbeats;

/// <summary>Converts a <see cref="TimeSpan"/> to ticks of a <see cref="TimeProvider"/>'s timestamps (the engine's unit of time).</summary>
internal static class TimestampTicks
{
    public static long From(TimeSpan value, TimeProvider clock) =>
        (long)(value.Ticks * ((double)clock.TimestampFrequency / TimeSpan.TicksPerSecond));
}
