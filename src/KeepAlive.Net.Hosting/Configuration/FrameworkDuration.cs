namespace KeepAlive.Net.Hosting.Configuration;

/// <summary>
/// A duration held by a framework's own option (a <see cref="System.Net.Http.SocketsHttpHandler"/> value set by hand, one of
/// Kestrel's limits), as messages show it: <see cref="Timeout.InfiniteTimeSpan"/>, and <see cref="TimeSpan.MaxValue"/> as which
/// Kestrel stores it, read "infinite", not "-1ms" or "10675199d2h48m5s477ms580.7us".
/// </summary>
internal static class FrameworkDuration
{
    /// <summary>The text of <paramref name="value"/>: "infinite", else <see cref="KeepAliveDuration.Format(TimeSpan)"/>'s.</summary>
    public static string Format(TimeSpan value) =>
        value == Timeout.InfiniteTimeSpan || value == TimeSpan.MaxValue ? "infinite" : KeepAliveDuration.Format(value);
}
