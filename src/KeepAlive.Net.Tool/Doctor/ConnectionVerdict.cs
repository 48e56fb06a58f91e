using KeepAlive.Net.Tool.Cli;
using KeepAlive.Net.Tool.Show;

namespace KeepAlive.Net.Tool.Doctor;

/// <summary>
/// One connection judged against the peer idle timeout: protected (the kernel probes before the middlebox forgets:
/// the library's rule, <see cref="PeerIdleTimeout.IsBeatenByKeepAlive"/>), unprotected (why, and the fix), not
/// applicable (listening, connecting, closing, closed or never connected), or unknown (the values could not be read).
/// </summary>
/// <param name="Protected"><see langword="true"/>, <see langword="false"/>, or <see langword="null"/> when not applicable or unknown.</param>
/// <param name="Summary">One word for the table: protected, UNPROTECTED, n/a, unknown.</param>
/// <param name="Text">The verdict in a sentence.</param>
/// <param name="Fix">How to protect it, or <see langword="null"/>.</param>
/// <param name="Profile">The profile whose values the connection carries, or <see langword="null"/>.</param>
internal sealed record ConnectionVerdict(bool? Protected, string Summary, string Text, string? Fix, string? Profile)
{
    public bool Applicable => Summary is not NotApplicable;

    private const string NotApplicable = "n/a";

    public static ConnectionVerdict Judge(SocketReading socket, DoctorReference reference, KernelDefaults kernel)
    {
        if (socket.State != "ESTABLISHED")
        {
            return new(null, NotApplicable, socket.State switch
            {
                "LISTEN" => socket.Settings is { } listening
                    ? $"not applicable: listening; connections it accepts inherit its keep-alive ({(listening.Enabled ? $"on, idle {Units.Time(listening.IdleTime)}" : "off")})"
                    : "not applicable: listening",
                "SYN_SENT" or "SYN_RECV" or "NEW_SYN_RECV" => "not applicable: still connecting",
                // The kernel calls both CLOSE: a connection that ended had a round trip measured, a socket never connected has none.
                "CLOSE" when socket.Info is { RoundTrip.Ticks: 0 } => "not applicable: not connected (CLOSE): created or bound, never connected",
                "CLOSE" when socket.Info is not null => "not applicable: closed (CLOSE): the connection ended and this process has not closed its socket yet",
                // The peer's FIN arrived, the process never closed its side: not closing, the classic leak when they pile up.
                "CLOSE_WAIT" => "not applicable: closed by the peer (CLOSE_WAIT): its FIN arrived and this process has not closed its socket yet",
                _ => $"not applicable: closing ({socket.State})",
            }, null, null);
        }

        var peer = reference.Peer;
        // Configured, so written exactly: rounded, 20s200us read "20s", beside a retry after 20s judged in time.
        var against = $"the peer idle timeout of {KeepAliveDuration.Format(peer.Value)} ({reference.PeerSource})";
        if (socket.Settings is not { } settings)
        {
            return socket.Proc?.KeepAliveFromTimer == false
                ? new(false, "UNPROTECTED", $"unprotected: keep-alive is off (no keep-alive timer in /proc/PID/net/tcp): nothing probes this connection while it is idle, and {against} ends it silently", FixFor(reference), null)
                : new(null, "unknown", socket.Proc?.KeepAliveFromTimer == true
                    ? $"unknown: keep-alive is on (its timer runs, due in {Units.Time(socket.Proc.TimerDue)}), but its values cannot be read: {socket.Unreadable}"
                    : $"unknown: {socket.Unreadable}", null, null);
        }

        var profile = Carries(settings, reference) ? reference.ProfileName : null;
        var carries = profile is null ? string.Empty : $" (profile '{profile}')";
        if (!settings.Enabled)
        {
            return new(false, "UNPROTECTED", $"unprotected: keep-alive is off (SO_KEEPALIVE 0): nothing probes this connection while it is idle, and {against} ends it silently; the next write finds it dead", FixFor(reference), profile);
        }

        var idle = settings.IdleTime!.Value;
        var interval = settings.Interval!.Value;
        var probes = $"the first probe leaves after {Units.Time(idle)} idle{(idle == TimeSpan.FromSeconds(7200) ? " (the kernel's default)" : string.Empty)} and its retry after {Units.Time(idle + interval)}";
        if (!peer.IsBeatenByKeepAlive(idle, interval))
        {
            return new(false, "UNPROTECTED", $"unprotected: keep-alive is on{carries}, but {probes}: not both before {against}", FixFor(reference), profile);
        }

        var (inFlight, how) = Detection.WhenDataInFlight(settings, kernel);
        return new(true, "protected",
            $"protected{carries}: {probes}, before {against}; a dead peer is found after {Units.Time(settings.DeadPeerDetectionTime)} idle, or {(inFlight is { } t ? $"{Units.Time(t)} with data in flight ({how})" : $"with data in flight when {how} ends it")}",
            null, profile);
    }

    private static bool Carries(KeepAliveSettings settings, DoctorReference reference) =>
        reference.ProfileApplied is { } applied && applied.Enabled == settings.Enabled && applied.IdleTime == settings.IdleTime
        && applied.Interval == settings.Interval && applied.ProbeCount == settings.ProbeCount && applied.UserTimeout == settings.UserTimeout;

    private static string FixFor(DoctorReference reference)
    {
        if (reference.ProfileProtects && reference.Profile!.Tcp is { } tcp)
        {
            return $"apply profile '{reference.ProfileName}' (idle {Units.Time(tcp.IdleTime)}, interval {Units.Time(tcp.Interval)}, {Units.Count(tcp.ProbeCount, "probe")}) where this connection is made: UseTcpKeepAlive(\"{reference.ProfileName}\") on its HttpClient or Kestrel listener, or socket.ConfigureKeepAlive(profiles.GetProfile(\"{reference.ProfileName}\").Tcp)";
        }

        return KeepAliveSuggestion.For(reference.Peer) is { } options
            ? KeepAliveSuggestion.Code(options) + (reference.ProfileName is { } name ? $"; profile '{name}' does not beat it" : string.Empty)
            : KeepAliveSuggestion.TooShort(reference.Peer);
    }
}
