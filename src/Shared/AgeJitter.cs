namespace KeepAlive.Net;

/// <summary>
/// The one draw of <c>Http:MaxConnectionAgeJitter</c>: compiled into KeepAlive.Net.Hosting (a client handler's
/// <c>PooledConnectionLifetime</c>) and KeepAlive.Net.AspNetCore (a Kestrel connection's <c>MaxConnectionAge</c>).
/// </summary>
internal static class AgeJitter
{
    /// <summary>
    /// How much of the age it shortens a jitter may be at most, in the words the messages and the range use; <see cref="Largest"/>
    /// computes it. Half keeps the shortest drawn age at half the age (grpc-go draws its MAX_CONNECTION_AGE within +/-10%):
    /// a jitter just under the age draws ages of a millisecond, which retire a new connection at once, over HTTP/1.1 before
    /// Kestrel reads its first request.
    /// </summary>
    public const string LargestShare = "half";

    /// <summary>The largest jitter <paramref name="age"/> accepts: <see cref="LargestShare"/> of it.</summary>
    /// <param name="age">The age or lifetime the jitter shortens.</param>
    /// <returns>The largest jitter allowed.</returns>
    public static TimeSpan Largest(TimeSpan age) => age / 2;

    /// <summary>Takes a random amount of up to <paramref name="jitter"/> off a positive, finite time; anything else is returned unchanged.</summary>
    /// <param name="value">The age or lifetime to shorten.</param>
    /// <param name="jitter">The largest amount to take off; <see langword="null"/> or zero takes nothing.</param>
    /// <returns>The shortened time, still positive.</returns>
    public static TimeSpan Shorten(TimeSpan value, TimeSpan? jitter) =>
        jitter is { Ticks: > 0 } j && value > TimeSpan.Zero && value != Timeout.InfiniteTimeSpan
            ? value - TimeSpan.FromTicks(Random.Shared.NextInt64(Math.Min(j.Ticks, value.Ticks - 1) + 1))
            : value;
}
