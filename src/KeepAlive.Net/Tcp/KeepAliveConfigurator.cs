using KeepAlive.Net.Diagnostics;
using KeepAlive.Net.Tcp.Backends;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.Tcp;

/// <summary>Validate, plan, apply, read back, report: the whole of ConfigureKeepAlive behind the socket seam.</summary>
internal static class KeepAliveConfigurator
{
    public static KeepAliveSettings Configure(ISocketOptionAccess socket, KeepAliveCapabilities capabilities, TcpKeepAliveOptions options, ILogger? logger)
    {
        var plan = KeepAlivePlan.Create(options, capabilities);
        var backend = KeepAliveBackends.For(capabilities.Platform);
        backend.Apply(socket, plan);
        var read = backend.Read(socket, capabilities, plan);
        var enabled = new PlannedValue(true, plan.Enabled ? 1 : 0, plan.Enabled ? 1 : 0, KeepAliveOptionStatus.Applied, null);
        var settings = read with
        {
            Options =
            [
                Report(KeepAliveOption.Enabled, enabled, read.Enabled ? 1 : 0),
                Report(KeepAliveOption.IdleTime, plan.Idle, Milliseconds(read.IdleTime)),
                Report(KeepAliveOption.Interval, plan.Interval, Milliseconds(read.Interval)),
                Report(KeepAliveOption.ProbeCount, plan.ProbeCount, read.ProbeCount),
                Report(KeepAliveOption.UserTimeout, plan.UserTimeout, Milliseconds(read.UserTimeout)),
            ],
        };
        settings = UserTimeoutReport.Explain(settings);

        if (logger is not null)
        {
            LogAdjustments(logger, settings, options);
        }

        return settings;
    }

    public static KeepAliveSettings Read(ISocketOptionAccess socket, KeepAliveCapabilities capabilities)
    {
        var read = KeepAliveBackends.For(capabilities.Platform).Read(socket, capabilities, null);
        var unsupported = capabilities.SupportsUserTimeout ? KeepAliveOptionStatus.NotChanged : KeepAliveOptionStatus.Unsupported;
        return read with
        {
            Options =
            [
                Report(KeepAliveOption.Enabled, null, read.Enabled ? 1 : 0, KeepAliveOptionStatus.NotChanged, null),
                Report(KeepAliveOption.IdleTime, null, Milliseconds(read.IdleTime), KeepAliveOptionStatus.NotChanged, null),
                Report(KeepAliveOption.Interval, null, Milliseconds(read.Interval), KeepAliveOptionStatus.NotChanged, null),
                Report(KeepAliveOption.ProbeCount, null, read.ProbeCount, KeepAliveOptionStatus.NotChanged, null),
                Report(KeepAliveOption.UserTimeout, null, Milliseconds(read.UserTimeout), unsupported, null),
            ],
        };
    }

    private static long? Milliseconds(TimeSpan? value) => value is { } v ? (long)v.TotalMilliseconds : null;

    // The status comes from the read-back: a value other than the one written is never reported as applied.
    private static KeepAliveOptionReport Report(KeepAliveOption option, PlannedValue planned, long? effective)
    {
        if (planned.Apply && effective is { } actual && actual != planned.Value)
        {
            var report = new KeepAliveOptionReport(option, KeepAliveOptionStatus.ReadBackDiffers, planned.Requested, effective, null) { RequestedTime = planned.RequestedTime };
            return report with
            {
                Reason = $"{report.Format(planned.Value)} was written, but the kernel reports {report.Format(actual)}: another thread or process changed it, or the kernel adjusted it. The effective value is what is in force.",
            };
        }

        return new KeepAliveOptionReport(option, planned.Status, planned.Requested, effective, planned.Reason) { RequestedTime = planned.RequestedTime };
    }

    private static KeepAliveOptionReport Report(KeepAliveOption option, long? requested, long? effective, KeepAliveOptionStatus status, string? reason) =>
        new(option, status, requested, effective, reason);

    private static void LogAdjustments(ILogger logger, KeepAliveSettings settings, TcpKeepAliveOptions options)
    {
        foreach (var report in settings.Options)
        {
            switch (report.Status)
            {
                case KeepAliveOptionStatus.Rounded:
                    Log.KeepAliveOptionRounded(logger, report.Option, settings.Platform, report.FormatRequested(), report.Format(report.Effective), report.Reason);
                    break;
                case KeepAliveOptionStatus.Overridden or KeepAliveOptionStatus.ReadBackDiffers:
                    Log.KeepAliveOptionNotAsWritten(logger, report.Option, settings.Platform, report.Status, report.Format(report.Effective), report.Reason);
                    break;
                case KeepAliveOptionStatus.FixedByPlatform:
                    Log.KeepAliveOptionFixedByPlatform(logger, report.Option, settings.Platform, report.FormatRequested(), report.Format(report.Effective), report.Reason);
                    break;
                case KeepAliveOptionStatus.Unsupported when report.Option != KeepAliveOption.UserTimeout || options.UserTimeout is not null:
                    Log.KeepAliveOptionUnsupported(logger, report.Option, settings.Platform, report.FormatRequested(), report.Reason);
                    break;
                default:
                    break;
            }
        }

        Log.KeepAliveConfigured(logger, settings);
    }
}
