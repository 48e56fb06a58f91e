using KeepAlive.Net.Tool.Cli;
using Spectre.Console;

namespace KeepAlive.Net.Tool.Show;

/// <summary>The tables <c>show</c> and <c>check</c> print.</summary>
internal static class Tables
{
    public static Table Machine(KeepAliveCapabilities capabilities, KernelDefaults kernel)
    {
        var table = Plain.Table("This machine", "setting", "value")
            .Row("operating system", System.Runtime.InteropServices.RuntimeInformation.OSDescription)
            .Row("keep-alive backend", capabilities.Platform.ToString());
        if (kernel.Available)
        {
            table.Row("net.ipv4.tcp_keepalive_time", Units.Time(kernel.KeepAliveTime))
                .Row("net.ipv4.tcp_keepalive_intvl", Units.Time(kernel.KeepAliveInterval))
                .Row("net.ipv4.tcp_keepalive_probes", Units.Number(kernel.KeepAliveProbes))
                .Row("net.ipv4.tcp_retries2", kernel.Retries2 is { } r
                    ? Units.Number(r) + $" (data in flight is retransmitted for about {Units.Time(KernelSysctls.RetransmissionTimeout(r))})"
                    : "unavailable");
        }
        else
        {
            table.Row("kernel sysctls", kernel.Source);
        }

        return table;
    }

    public static Table Settings(string title, KeepAliveSettings settings) =>
        Plain.Table(title, "setting", "value")
            .Row("SO_KEEPALIVE", settings.Enabled ? "on" : "off")
            .Row("idle time", Units.Time(settings.IdleTime))
            .Row("interval", Units.Time(settings.Interval))
            .Row("probe count", Units.Number(settings.ProbeCount))
            .Row("user timeout", UserTimeout(settings.UserTimeout))
            .Row("read back from the kernel", settings.IsReadBackFromKernel ? "yes" : "no (this platform echoes what was set)");

    public static Table Capabilities(KeepAliveCapabilities capabilities) =>
        Plain.Table("What this platform supports", "option", "support")
            .Row("idle time / interval", capabilities.SupportsKeepAliveTimes
                ? $"yes, steps of {Units.Time(capabilities.TimeResolution)}, up to {Units.Time(capabilities.MaxIdleTime)} / {Units.Time(capabilities.MaxInterval)}"
                : $"no, the kernel's {Units.Time(capabilities.DefaultIdleTime)} / {Units.Time(capabilities.DefaultInterval)} stay")
            .Row("probe count (TCP_KEEPCNT)", capabilities.SupportsProbeCount ? $"yes, up to {Units.Number(capabilities.MaxProbeCount)}" : capabilities.FixedProbeCount is { } f ? $"no, fixed at {Units.Number(f)}" : "no")
            .Row("TCP_USER_TIMEOUT", capabilities.SupportsUserTimeout ? "yes (milliseconds)" : "no")
            .Row("read back", capabilities.CanReadBack ? "yes" : "no")
            .Row("limitations", capabilities.Limitations ?? "none");

    public static Table Applied(string profile, KeepAliveSettings applied)
    {
        var table = Plain.Table($"Profile '{profile}' on this machine (applied to a fresh socket, read back)", "option", "requested", "effective", "status", "why");
        foreach (var report in applied.Options)
        {
            table.Row(report.Option.ToString(), report.FormatRequested(), report.Format(report.Effective), report.Status.ToString(), report.Reason ?? string.Empty);
        }

        return table;
    }

    /// <summary>TCP_USER_TIMEOUT for people: "unsupported", "0 (OS default)" or a time.</summary>
    public static string UserTimeout(TimeSpan? value) =>
        value is null ? "unsupported" : value == TimeSpan.Zero ? "0 (OS default)" : Units.Time(value);
}
