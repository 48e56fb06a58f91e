namespace KeepAlive.Net.Benchmarks.Accuracy;

/// <summary>The rule every fair contender and the tracker share: after a beat, the next due time is the first point of the schedule after now, so a stall skips beats instead of bursting.</summary>
internal static class PeriodicSchedule
{
    /// <summary>The due time after <paramref name="due"/> on the grid <paramref name="due"/> + k × <paramref name="period"/> (k ≥ 1) that is after <paramref name="now"/> when <paramref name="now"/> has passed <paramref name="due"/>.</summary>
    public static long NextDue(long due, long now, long period) =>
        now < due ? due + period : due + ((((now - due) / period) + 1) * period);
}
