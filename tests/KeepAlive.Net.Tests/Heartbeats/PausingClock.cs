using Microsoft.Extensions.Time.Testing;

namespace KeepAlive.Net.Tests.Heartbeats;

/// <summary>A fake clock that pauses one thread in its next GetTimestamp until released: it forces the order of a race.</summary>
internal sealed class PausingClock : TimeProvider
{
    private (int Thread, ManualResetEventSlim Entered, ManualResetEventSlim Release)? _pause;

    /// <summary>Gets the clock behind it, which the test advances.</summary>
    public FakeTimeProvider Time { get; } = new();

    public override long TimestampFrequency => Time.TimestampFrequency;

    public void PauseOn(int thread, ManualResetEventSlim entered, ManualResetEventSlim release) => _pause = (thread, entered, release);

    public override long GetTimestamp()
    {
        if (_pause is { } pause && pause.Thread == Environment.CurrentManagedThreadId)
        {
            _pause = null;
            pause.Entered.Set();
            pause.Release.Wait();
        }

        return Time.GetTimestamp();
    }
}
