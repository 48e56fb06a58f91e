namespace KeepAlive.Net.Tcp;

/// <summary>
/// When the kernel gives up on a dead peer, computed as Linux's net/ipv4/tcp_timer.c does. Without TCP_USER_TIMEOUT:
/// idle + interval × count. With it, TCP_KEEPCNT is not used at all: the keep-alive timer runs at idle, idle +
/// interval, idle + 2 × interval, ... and resets the connection at the first run where the silence has lasted at least
/// the user timeout and one probe is out, so never before idle + interval.
/// </summary>
internal static class DeadPeerTime
{
    /// <summary>Computes the dead-peer time of an idle connection.</summary>
    /// <param name="idle">TCP_KEEPIDLE.</param>
    /// <param name="interval">TCP_KEEPINTVL.</param>
    /// <param name="count">TCP_KEEPCNT.</param>
    /// <param name="userTimeout">TCP_USER_TIMEOUT where the platform honours it, zero or <see langword="null"/> otherwise.</param>
    /// <returns>The time, or <see langword="null"/> when it overflows or a value is not positive.</returns>
    public static TimeSpan? Idle(TimeSpan idle, TimeSpan interval, int count, TimeSpan? userTimeout)
    {
        if (interval <= TimeSpan.Zero)
        {
            return null;
        }

        try
        {
            if (userTimeout is not { } timeout || timeout <= TimeSpan.Zero)
            {
                return checked(idle + (interval * count));
            }

            var probes = Math.Max(1, (long)Math.Ceiling((timeout - idle).Ticks / (double)interval.Ticks));
            return checked(idle + TimeSpan.FromTicks(checked(interval.Ticks * probes)));
        }
        catch (OverflowException)
        {
            return null;
        }
    }
}
