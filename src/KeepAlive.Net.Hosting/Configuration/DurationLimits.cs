namespace KeepAlive.Net.Hosting.Configuration;

/// <summary>
/// The sane range of one duration setting, with the reason for each end, so a refused value tells the user why.
/// </summary>
/// <param name="Min">The smallest value accepted.</param>
/// <param name="MinReason">Why a smaller value is refused, completing "below the floor of X: ...".</param>
/// <param name="Max">The largest value accepted.</param>
/// <param name="MaxReason">Why a larger value is refused, completing "above the ceiling of X: ...".</param>
/// <param name="Example">A good value to show in the fix, written as a duration such as "30s".</param>
internal sealed record DurationLimits(TimeSpan Min, string MinReason, TimeSpan Max, string MaxReason, string Example)
{
    /// <summary>
    /// Gets what zero means when zero is accepted even though it is below <see cref="Min"/>
    /// (for example "keeps the operating system's default"); <see langword="null"/> when zero is refused like any small value.
    /// </summary>
    public string? ZeroMeans { get; init; }
}
