using System.Globalization;

namespace KeepAlive.Net.Tcp;

/// <summary>
/// Says what TCP_USER_TIMEOUT does to idle connections on Linux, from the read-back values: the kernel then ignores
/// TCP_KEEPCNT, so when the user timeout ends the connection at a different probe than the count would, the probe
/// count is reported <see cref="KeepAliveOptionStatus.Overridden"/> with the time the kernel will really take, and a
/// user timeout above idle + interval × count says how to fix it.
/// </summary>
internal static class UserTimeoutReport
{
    public static KeepAliveSettings Explain(KeepAliveSettings settings)
    {
        if (settings is not { Enabled: true, IdleTime: { } idle, Interval: { } interval, ProbeCount: { } count, UserTimeout: { } userTimeout }
            || userTimeout <= TimeSpan.Zero
            || DeadPeerTime.Idle(idle, interval, count, null) is not { } byCount
            || settings.DeadPeerDetectionTime is not { } byKernel
            || byKernel == byCount
            || settings.GetReport(KeepAliveOption.ProbeCount) is not { Status: KeepAliveOptionStatus.Applied or KeepAliveOptionStatus.Rounded } probeReport)
        {
            return settings;
        }

        var overridden = string.Create(CultureInfo.InvariantCulture,
            $"Overridden by the user timeout: TCP_USER_TIMEOUT is {KeepAliveDuration.Format(userTimeout)}, so the kernel does not use TCP_KEEPCNT; it resets an idle connection at the first probe after {KeepAliveDuration.Format(userTimeout)} of silence. A dead idle peer is found after {KeepAliveDuration.Format(byKernel)}, not after {KeepAliveDuration.Format(byCount)} (idle + interval x {count}).");
        if (userTimeout > byCount)
        {
            overridden += string.Create(CultureInfo.InvariantCulture,
                $" Fix: set UserTimeout slightly below {KeepAliveDuration.Format(byCount)} (idle + interval x probes), or leave it unset to derive it.");
        }

        return settings with
        {
            Options = [.. settings.Options.Select(o => o.Option == KeepAliveOption.ProbeCount
                ? probeReport with { Status = KeepAliveOptionStatus.Overridden, Reason = probeReport.Reason is null ? overridden : $"{probeReport.Reason} {overridden}" }
                : o)],
        };
    }
}
