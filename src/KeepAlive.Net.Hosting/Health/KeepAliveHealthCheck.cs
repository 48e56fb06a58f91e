using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using KeepAlive.Net.Hosting.Profiles;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Health;

/// <summary>
/// Judges every registered profile from its recent telemetry: its failure status (Unhealthy) when peers were declared
/// dead at least <see cref="KeepAliveHealthCheckOptions.UnhealthyPeerDeadCount"/> times within the window, Degraded when
/// the worst heartbeat lateness ate more than <see cref="KeepAliveHealthCheckOptions.DegradedBudgetFraction"/> of the
/// profile's idle budget (<see cref="HeartbeatOptions.LatenessBudget"/>: <c>PeerIdleTimeout - Interval - Jitter - Spread</c>), and Degraded
/// when a send ran past <see cref="HeartbeatOptions.BlockedCallbackThreshold"/> within the window (reported while it still runs, so a
/// stall in progress shows before its lateness can be measured), or when a watched <see cref="DriftMonitor"/> found the
/// application's own heartbeat overdue within the window (<see cref="DriftMonitor.WatchForOverdue"/>: counted while it still
/// waits, for the same reason). The numbers go in the data dictionary as
/// <c>profile:Setting</c> keys. A profile whose configuration's latest change was refused (the last valid values in force,
/// event 3003) is Degraded too, until a change is accepted.
/// </summary>
internal sealed class KeepAliveHealthCheck(KeepAliveTelemetryListener listener, IKeepAliveProfiles profiles, IOptions<KeepAliveHealthCheckOptions> options) : IHealthCheck
{
    private static readonly TimeSpan Millisecond = TimeSpan.FromMilliseconds(1);

    // The cause tag of a heartbeat that was not delayed, as the KeepAlive.Net meter writes it (HeartbeatDelayCause in snake_case).
    private static readonly string NotDelayed = JsonNamingPolicy.SnakeCaseLower.ConvertName(nameof(HeartbeatDelayCause.None));

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var thresholds = options.Value;
        var data = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["WindowSeconds"] = listener.Window.TotalSeconds,
            ["DegradedBudgetFraction"] = thresholds.DegradedBudgetFraction,
            ["UnhealthyPeerDeadCount"] = thresholds.UnhealthyPeerDeadCount,
        };
        var unhealthy = new List<string>();
        var degraded = new List<string>();
        var notJudged = new List<string>(); // no PeerIdleTimeout, so no budget: lateness reported, never judged
        var notMeasured = new List<string>(); // a budget, but no heartbeat within the window (a profile Kestrel applies sends none)
        foreach (var profile in profiles.Names)
        {
            var heartbeat = profiles.GetProfile(profile).Heartbeat;
            var recent = listener.Read(KeepAliveTelemetryListener.HeartbeatName(heartbeat, profile));
            data[$"{profile}:Heartbeats"] = recent.Heartbeats;
            data[$"{profile}:MaxLatenessSeconds"] = recent.MaxLatenessSeconds;
            data[$"{profile}:PeersDead"] = recent.PeersDead;
            data[$"{profile}:SendsBlocked"] = recent.SendsBlocked;
            data[$"{profile}:HeartbeatsOverdue"] = recent.HeartbeatsOverdue;
            if (recent.Cause is { } cause)
            {
                data[$"{profile}:MaxLatenessCause"] = cause;
            }

            if ((profiles as KeepAliveProfiles)?.RefusedChange(profile) is { } refused)
            {
                data[$"{profile}:ReloadRejected"] = refused;
                degraded.Add($"{profile}: the configuration's latest change was refused, so the last valid values are in force until a reload makes it valid (its own section saved again, or another profile changed so that it no longer conflicts): {refused}");
            }

            if (recent.PeersDead >= thresholds.UnhealthyPeerDeadCount)
            {
                unhealthy.Add(Invariant($"{profile}: {recent.PeersDead} {(recent.PeersDead == 1 ? "peer" : "peers")} declared dead within {KeepAliveDuration.Format(listener.Window)} (threshold {thresholds.UnhealthyPeerDeadCount}): {DeathText(recent)}"));
            }

            if (recent.SendsBlocked > 0)
            {
                // Lateness is recorded when a heartbeat leaves, so a stall still in progress shows only here: the scheduler
                // reports a send as blocked while it runs, once it passes its threshold.
                degraded.Add(Invariant($"{profile}: {recent.SendsBlocked} heartbeat {(recent.SendsBlocked == 1 ? "send" : "sends")} ran past Heartbeat:BlockedCallbackThreshold ({KeepAliveDuration.Format(heartbeat.BlockedCallbackThreshold)}) within {KeepAliveDuration.Format(listener.Window)}: until a blocked send returns, its connection sends no heartbeat and how late the next one is cannot be known (the peer or the network stopped taking data, or the callback blocks)"));
            }

            if (recent.HeartbeatsOverdue > 0)
            {
                // The application's own timer stalled: a watched DriftMonitor counts the heartbeat it expected while it waits.
                degraded.Add(Invariant($"{profile}: {recent.HeartbeatsOverdue} heartbeat{(recent.HeartbeatsOverdue == 1 ? string.Empty : "s")} overdue within {KeepAliveDuration.Format(listener.Window)} (cause {recent.OverdueCause ?? "unknown"} in the latest): none was recorded Heartbeat:Interval ({KeepAliveDuration.Format(heartbeat.Interval)}) after the last one plus Heartbeat:DriftWarningThreshold ({KeepAliveDuration.Format(heartbeat.DriftWarningThreshold)}, or half the lateness budget when less); counted while the heartbeat still waited (DriftMonitor.WatchForOverdue, warning 2014), since its lateness shows only once it leaves"));
            }

            if (heartbeat.PeerIdleTimeout is not { } peer)
            {
                notJudged.Add(profile);
                continue;
            }

            if (recent.Heartbeats == 0)
            {
                notMeasured.Add(profile);
            }

            var budget = heartbeat.LatenessBudget!.Value;
            var used = budget > TimeSpan.Zero ? recent.MaxLatenessSeconds / budget.TotalSeconds : 0;
            data[$"{profile}:IdleBudgetSeconds"] = budget.TotalSeconds;
            data[$"{profile}:BudgetUsed"] = used;
            if (used > thresholds.DegradedBudgetFraction)
            {
                var (share, threshold) = Percentages(used, thresholds.DegradedBudgetFraction);
                degraded.Add(Invariant($"{profile}: a heartbeat was {Lateness(recent.MaxLatenessSeconds)} late ({CauseText(recent.Cause, heartbeat)}), {share}% of the idle budget of {KeepAliveDuration.Format(budget)} (PeerIdleTimeout {peer} - Interval - Jitter - Spread), over {threshold}%"));
            }
        }

        var result = unhealthy.Count > 0
            ? new HealthCheckResult(context.Registration.FailureStatus, string.Join("; ", unhealthy.Concat(degraded)), data: data)
            : degraded.Count > 0
                ? HealthCheckResult.Degraded(string.Join("; ", degraded), data: data)
                : HealthCheckResult.Healthy(Invariant($"{profiles.Names.Count - notJudged.Count - notMeasured.Count} keep-alive profile(s) within budget over the last {KeepAliveDuration.Format(listener.Window)}{(notMeasured.Count > 0 ? $"; no heartbeat within it, so nothing measured: {string.Join(", ", notMeasured)}" : string.Empty)}{(notJudged.Count > 0 ? $"; not judged, without Heartbeat:PeerIdleTimeout (no budget): {string.Join(", ", notJudged)}" : string.Empty)}"), data);
        return Task.FromResult(result);
    }

    /// <summary>
    /// A measured lateness as the library shows measured durations, to the millisecond (<see cref="KeepAliveDuration.Format(TimeSpan, TimeSpan)"/>),
    /// and under a millisecond as measured: a lateness that turned the check Degraded (a tiny DegradedBudgetFraction) never reads "0s".
    /// </summary>
    private static string Lateness(double seconds)
    {
        var late = TimeSpan.FromSeconds(seconds);
        return late < Millisecond ? KeepAliveDuration.Format(late) : KeepAliveDuration.Format(late, Millisecond);
    }

    /// <summary>How the peers died: silent past the timeout (the peers or the network), or a send that failed for good (the connections).</summary>
    private static string DeathText(RecentHeartbeats recent)
    {
        var silent = recent.PeersDead - recent.PeersDeadBySendFailure;
        var parts = new List<string>(2);
        if (silent > 0)
        {
            parts.Add(Invariant($"{silent} silent past Heartbeat:Timeout"));
        }

        if (recent.PeersDeadBySendFailure > 0)
        {
            parts.Add(Invariant($"{recent.PeersDeadBySendFailure} whose heartbeat send failed for good (connection reset or closed)"));
        }

        return string.Join(", ", parts);
    }

    /// <summary>
    /// The cause tag of the worst lateness, or, for <see cref="HeartbeatDelayCause.None"/> (a heartbeat under both thresholds from
    /// which causes are analysed, which a <see cref="KeepAliveHealthCheckOptions.DegradedBudgetFraction"/> under 0.5 or a
    /// <see cref="DriftMonitor"/>'s budget can still judge too late), that no cause was looked for: not "cause none".
    /// </summary>
    private static string CauseText(string? cause, HeartbeatOptions heartbeat) => cause == NotDelayed
        ? $"its cause was not looked for: causes are analysed from Heartbeat:DriftWarningThreshold {KeepAliveDuration.Format(heartbeat.DriftWarningThreshold)} or half the lateness budget on"
        : $"cause {cause ?? "unknown"}";

    /// <summary>
    /// The share of the budget used, rounded up (at its first significant digit at least) with as many decimals as it
    /// takes to read over the threshold, and the threshold as set (12.5%, not 13%; 0.0001%, not 0%): 12.9991% of a
    /// 0.12999 threshold is "13% ..., over 12.999%", not "13% ..., over 13%", and 0.00089% of a 0.000001 threshold
    /// "0.0009% ..., over 0.0001%", not "1% ..., over 0%".
    /// </summary>
    private static (string Share, string Threshold) Percentages(double used, double threshold)
    {
        const int MaxDecimals = 15;
        // Rounded to 10 places: 0.12999 * 100 is 12.999000000000001 in binary and is 12.999%.
        var shown = Math.Round(threshold * 100, 10);
        // A share under 1% starts at its first significant digit: 0.00089% rounded up to a whole 1% would overstate it 1000 times.
        var first = used * 100 is > 0 and < 1 ? (int)Math.Min(MaxDecimals, -Math.Floor(Math.Log10(used * 100))) : 0;
        for (var decimals = first; ; decimals++)
        {
            var scale = Math.Pow(10, decimals);
            // Rounded to 6 places before rounding up: 0.55 * 100 is 55.00000000000001 in binary and is 55%, not 56%.
            var share = Math.Ceiling(Math.Round(used * 100 * scale, 6)) / scale;
            if (share > shown || decimals == MaxDecimals)
            {
                var format = "0." + new string('#', MaxDecimals);
                return (share.ToString(format, CultureInfo.InvariantCulture), shown.ToString(format, CultureInfo.InvariantCulture));
            }
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
