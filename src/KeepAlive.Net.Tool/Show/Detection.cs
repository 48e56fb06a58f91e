using System.Globalization;
using KeepAlive.Net.Hosting;
using KeepAlive.Net.Tcp;
using KeepAlive.Net.Tool.Cli;

namespace KeepAlive.Net.Tool.Show;

/// <summary>How soon a dead peer is found with given settings, idle and with data in flight, against the peer's idle timeout.</summary>
internal static class Detection
{
    /// <summary>When a silent, idle peer is declared dead: the library's computation, as net/ipv4/tcp_timer.c does it.</summary>
    public static TimeSpan? WhenIdle(KeepAliveSettings settings) => settings.DeadPeerDetectionTime;

    /// <summary>When data in flight to a dead peer fails: the user timeout, or the kernel's retransmission limit.</summary>
    public static (TimeSpan? Time, string How) WhenDataInFlight(KeepAliveSettings settings, KernelDefaults kernel)
    {
        if (settings.DeadPeerDetectionTimeWithDataInFlight is { } user)
        {
            return (user, "TCP_USER_TIMEOUT");
        }

        return kernel.Retries2 is { } retries
            ? (KernelSysctls.RetransmissionTimeout(retries), $"tcp_retries2 = {retries.ToString(CultureInfo.InvariantCulture)}, no user timeout")
            : (null, $"{KeepAlivePlan.RetransmissionLimit(settings.Platform)}; no user timeout on this platform");
    }

    /// <summary>How soon a dead peer is found, and how the keep-alive and the heartbeat beat the peer's idle timeout.</summary>
    /// <param name="applied">The settings read back from the kernel.</param>
    /// <param name="profile">The profile they come from.</param>
    /// <param name="kernel">The kernel's defaults.</param>
    /// <param name="heartbeat">Whether the profile's heartbeat is described: not when nothing sends it and nobody set its interval.</param>
    public static IEnumerable<string> Describe(KeepAliveSettings applied, KeepAliveProfileOptions profile, KernelDefaults kernel, bool heartbeat = true)
    {
        // Keep-alive off leaves data in flight bounded by the kernel, and the heartbeat alone to keep the connection.
        yield return applied.Enabled
            ? $"Dead peer, idle connection: found after {Units.Time(WhenIdle(applied))} (idle {Units.Time(applied.IdleTime)} + probes every {Units.Time(applied.Interval)}{(applied.UserTimeout > TimeSpan.Zero ? $", cut at the user timeout {Units.Time(applied.UserTimeout)}" : $" x {Units.Number(applied.ProbeCount)}")})."
            : "Keep-alive is off: a dead idle peer is never found by the kernel.";
        var (inFlight, how) = WhenDataInFlight(applied, kernel);
        yield return inFlight is null ? $"Dead peer, data in flight: bounded only by {how}." : $"Dead peer, data in flight: found after {Units.Time(inFlight)} ({how}).";
        if (profile.Heartbeat.PeerIdleTimeout is { } peer)
        {
            var name = peer.PresetName ?? "the peer";
            // Configured values are written as the profile reads them, not rounded as a measured time is (1ms500us, not 2ms).
            var peerValue = KeepAliveDuration.Format(peer.Value);
            // The library's validation already refused profiles whose first probe and its retry come too late.
            yield return applied.Enabled
                ? $"Peer idle timeout {peerValue} ({name}): the first probe leaves after {Units.Time(applied.IdleTime)} and its retry after {Units.Time(applied.IdleTime + applied.Interval)}, in time to keep the connection."
                : $"Peer idle timeout {peerValue} ({name}): with keep-alive off, only the heartbeat keeps the connection.";
            if (!heartbeat)
            {
                yield return "No heartbeat is sent (--heartbeat TEXT sends one) and the profile sets no Heartbeat:Interval.";
                yield break;
            }

            var interval = profile.Heartbeat.Interval;
            var every = KeepAliveDuration.Format(interval);
            // The lateness budget is the library's (HeartbeatOptions.LatenessBudget: interval, jitter and spread taken out), the
            // one warning 2004 and the health check judge; a late heartbeat loses the connection only if no probe keeps it.
            var late = applied.Enabled && applied.IdleTime < peer.Value ? "leaves the connection to the OS keep-alive probes" : "loses the connection";
            var budget = profile.Heartbeat.LatenessBudget!.Value;
            // What the budget leaves of the peer idle timeout is the longest gap it allows between heartbeats, so the count
            // and the budget in one sentence follow one rule.
            var gap = peer.Value - budget;
            // Counted down to a tenth (whole ticks, no floating-point rounding): 2.96 fit is "2.9", never "3", which would fit one more.
            yield return interval < peer.Value
                ? $"Heartbeat every {every}: {(peer.Value.Ticks * 10 / gap.Ticks / 10.0).ToString("0.#", CultureInfo.InvariantCulture)} heartbeats fit in the peer idle timeout, {KeepAliveDuration.Format(gap)} apart at most (interval + jitter + spread); a heartbeat more than {Units.Time(budget)} late {late} (budget: peer idle timeout - interval - jitter - spread)."
                : $"Heartbeat every {every} is not shorter than the peer idle timeout {peerValue}: the connection is lost between heartbeats.";
        }
        else
        {
            yield return "No PeerIdleTimeout in the profile: give one (e.g. --peer-idle-timeout AwsNlb) to compare.";
        }
    }
}
