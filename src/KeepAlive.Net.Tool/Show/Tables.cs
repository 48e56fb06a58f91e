using System.Globalization;
using Spectre.Console;

namespace KeepAlive.Net.Tool.Show;

/// <summary>The tables <c>show</c> and <c>check</c> print.</summary>
internal static class Tables
{
    public static Table Machine(KeepAliveCapabilities capabilities, KernelDefaults kernel)
    {
        var table = Titled("This machine", "setting", "value");
        table.AddRow("operating system", Markup.Escape(System.Runtime.InteropServices.RuntimeInformation.OSDescription));
        table.AddRow("keep-alive backend", capabilities.Platform.ToString());
        if (kernel.Available)
        {
            table.AddRow("net.ipv4.tcp_keepalive_time", Time(kernel.KeepAliveTime));
            table.AddRow("net.ipv4.tcp_keepalive_intvl", Time(kernel.KeepAliveInterval));
            table.AddRow("net.ipv4.tcp_keepalive_probes", Number(kernel.KeepAliveProbes));
            table.AddRow("net.ipv4.tcp_retries2", kernel.Retries2 is { } r
                ? Number(r) + $" (data in flight is retransmitted for about {Time(KernelDefaults.RetransmissionTimeout(r))})"
                : "unavailable");
        }
        else
        {
            table.AddRow("kernel sysctls", Markup.Escape(kernel.Source));
        }

        return table;
    }

    public static Table Settings(string title, KeepAliveSettings settings)
    {
        var table = Titled(title, "setting", "value");
        table.AddRow("SO_KEEPALIVE", settings.Enabled ? "on" : "off");
        table.AddRow("idle time", Time(settings.IdleTime));
        table.AddRow("interval", Time(settings.Interval));
        table.AddRow("probe count", Number(settings.ProbeCount));
        table.AddRow("user timeout", settings.UserTimeout is null ? "unsupported" : settings.UserTimeout == TimeSpan.Zero ? "0 (OS default)" : Time(settings.UserTimeout));
        table.AddRow("read back from the kernel", settings.IsReadBackFromKernel ? "yes" : "no (this platform echoes what was set)");
        return table;
    }

    public static Table Capabilities(KeepAliveCapabilities capabilities)
    {
        var table = Titled("What this platform supports", "option", "support");
        table.AddRow("idle time / interval", $"yes, steps of {Time(capabilities.TimeResolution)}, up to {Time(capabilities.MaxIdleTime)} / {Time(capabilities.MaxInterval)}");
        table.AddRow("probe count (TCP_KEEPCNT)", capabilities.SupportsProbeCount ? $"yes, up to {Number(capabilities.MaxProbeCount)}" : capabilities.FixedProbeCount is { } f ? $"no, fixed at {Number(f)}" : "no");
        table.AddRow("TCP_USER_TIMEOUT", capabilities.SupportsUserTimeout ? "yes (milliseconds)" : "no");
        table.AddRow("read back", capabilities.CanReadBack ? "yes" : "no");
        table.AddRow("limitations", Markup.Escape(capabilities.Limitations ?? "none"));
        return table;
    }

    public static Table Applied(string profile, KeepAliveSettings applied)
    {
        var table = Titled($"Profile '{Markup.Escape(profile)}' on this machine (applied to a fresh socket, read back)", "option", "requested", "effective", "status", "why");
        foreach (var report in applied.Options)
        {
            table.AddRow(report.Option.ToString(), Markup.Escape(report.Format(report.Requested)), Markup.Escape(report.Format(report.Effective)),
                report.Status.ToString(), Markup.Escape(report.Reason ?? string.Empty));
        }

        return table;
    }

    /// <summary>A duration for people, to the millisecond: "50s", "3s500ms".</summary>
    public static string Time(TimeSpan? value) =>
        value is { } v ? KeepAliveDuration.Format(TimeSpan.FromMilliseconds(Math.Round(v.TotalMilliseconds))) : "unknown";

    public static string Number(int? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "unknown";

    private static Table Titled(string title, params string[] columns) =>
        new Table { Title = new TableTitle(title) }.AddColumns(columns);
}
