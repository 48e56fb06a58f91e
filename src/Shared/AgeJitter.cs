namespace KeepAlive.Net;

/// <summary>
/// The one draw of <c>Http:MaxConnectionAgeJitter</c>: compiled into KeepAlive.Net.Hosting (a client handler's
/// <c>PooledConnectionLifetime</c>) and KeepAlive.Net.AspNetCore (a Kestrel connection's <c>MaxConnectionAge</c>).
/// </summary>
internal static class AgeJitter
{
    /// <summary>Takes a random amount of up to <paramref name="jitter"/> off a positive, finite time; anything else is returned unchanged.</summary>
    /// <param name="value">The age or lifetime to shorten.</param>
    /// <param name="jitter">The largest amount to take off; <see langword="null"/> or zero takes nothing.</param>
    /// <returns>The shortened time, still positive.</returns>
    public static TimeSpan Shorten(TimeSpan value, TimeSpan? jitter) =>
        jitter is { Ticks: > 0 } j && value > TimeSpan.Zero && value != Timeout.InfiniteTimeSpan
            ? value - TimeSpan.FromTicks(Random.Shared.NextInt64(Math.Min(j.Ticks, value.Ticks - 1) + 1))
            : value;
}
