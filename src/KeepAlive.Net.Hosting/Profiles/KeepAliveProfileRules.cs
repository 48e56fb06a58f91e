using System.Globalization;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>The cross-field rules between a profile's <c>Tcp</c> and <c>Heartbeat</c> sections.</summary>
internal static class KeepAliveProfileRules
{
    /// <summary>
    /// OS keep-alive must beat the stated peer idle timeout with a margin: the first probe (after IdleTime) and its
    /// first retry (one Interval later) must both arrive before the peer or middlebox forgets the idle flow, so a
    /// single lost probe does not cost the connection. The defaults (30 s + 10 s) beat every preset, AwsAlb's 60 s included.
    /// </summary>
    /// <returns>The message with the values and the fix, or <see langword="null"/> when the rule holds or does not apply.</returns>
    public static string? CheckTcpAgainstPeerIdleTimeout(KeepAliveProfileOptions options)
    {
        if (options.Tcp is not { Enabled: true } tcp || options.Heartbeat?.PeerIdleTimeout is not { } peer || peer.Value <= TimeSpan.Zero)
        {
            return null;
        }

        if (peer.IsBeatenByKeepAlive(tcp.IdleTime, tcp.Interval))
        {
            return null;
        }

        var firstRetry = tcp.IdleTime + tcp.Interval;
        var largestIdle = peer.Value - tcp.Interval - TimeSpan.FromSeconds(1);
        var suggestion = TimeSpan.FromSeconds(Math.Max(1, Math.Floor(peer.Value.TotalSeconds / 2)));
        var fix = largestIdle >= TimeSpan.FromSeconds(1)
            ? string.Create(CultureInfo.InvariantCulture, $"set Tcp:IdleTime below {KeepAliveDuration.Format(largestIdle + TimeSpan.FromSeconds(1))} (Heartbeat:PeerIdleTimeout minus Tcp:Interval), for example {KeepAliveDuration.Format(suggestion)}")
            : string.Create(CultureInfo.InvariantCulture, $"shorten Tcp:Interval and set Tcp:IdleTime to about half the peer idle timeout, for example {KeepAliveDuration.Format(suggestion)}");
        return string.Create(CultureInfo.InvariantCulture,
            $"Tcp:IdleTime is {KeepAliveDuration.Format(tcp.IdleTime)} and Tcp:Interval {KeepAliveDuration.Format(tcp.Interval)}: the first keep-alive probe and its retry ({KeepAliveDuration.Format(firstRetry)}) do not both arrive within Heartbeat:PeerIdleTimeout {peer}, so one lost probe lets the peer drop the idle connection silently. Fix: {fix}.");
    }
}
