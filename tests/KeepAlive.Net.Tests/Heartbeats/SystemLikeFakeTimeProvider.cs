using Microsoft.Extensions.Time.Testing;

namespace KeepAlive.Net.Tests.Heartbeats;

/// <summary>
/// A fake clock that behaves like a real system on a wall-clock change: <see cref="AdjustTime"/> moves
/// <see cref="GetUtcNow"/> only, while <see cref="GetTimestamp"/> stays monotonic (as Stopwatch does).
/// FakeTimeProvider.AdjustTime moves its timestamps too, which a real monotonic clock never does.
/// </summary>
internal sealed class SystemLikeFakeTimeProvider : TimeProvider
{
    private TimeSpan _wallClockOffset;

    public FakeTimeProvider Monotonic { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public override long TimestampFrequency => Monotonic.TimestampFrequency;

    public override long GetTimestamp() => Monotonic.GetTimestamp();

    public override DateTimeOffset GetUtcNow() => Monotonic.GetUtcNow() + _wallClockOffset;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        Monotonic.CreateTimer(callback, state, dueTime, period);

    /// <summary>Sets the wall clock (an NTP step, a manual change); timers and timestamps are unaffected.</summary>
    public void AdjustTime(DateTimeOffset value) => _wallClockOffset = value - Monotonic.GetUtcNow();
}
