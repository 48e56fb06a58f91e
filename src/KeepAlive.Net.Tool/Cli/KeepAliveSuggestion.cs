using System.Globalization;

namespace KeepAlive.Net.Tool.Cli;

/// <summary>
/// What OS keep-alive to set for a known peer idle timeout, for <c>doctor</c>'s fixes and <c>probe-idle</c>'s profile:
/// the library's defaults when they beat it (they beat every preset), else about half the timeout before the first
/// probe and a third of the rest between probes, in whole seconds as the kernel takes them. Whether settings beat a
/// timeout is the library's one rule, <see cref="PeerIdleTimeout.IsBeatenByKeepAlive"/>.
/// </summary>
internal static class KeepAliveSuggestion
{
    /// <summary>The options, or <see langword="null"/> when no whole-second keep-alive beats the timeout (2 s or less).</summary>
    public static TcpKeepAliveOptions? For(PeerIdleTimeout peer)
    {
        var defaults = new TcpKeepAliveOptions();
        if (peer.IsBeatenByKeepAlive(defaults.IdleTime, defaults.Interval))
        {
            return defaults;
        }

        var idle = WholeSeconds(peer.Value / 2);
        var interval = WholeSeconds((peer.Value - idle) / 3);
        return peer.IsBeatenByKeepAlive(idle, interval)
            ? new TcpKeepAliveOptions { IdleTime = idle, Interval = interval, ProbeCount = defaults.ProbeCount }
            : null;
    }

    public static bool IsLibraryDefault(TcpKeepAliveOptions options)
    {
        var defaults = new TcpKeepAliveOptions();
        return options.IdleTime == defaults.IdleTime && options.Interval == defaults.Interval && options.ProbeCount == defaults.ProbeCount;
    }

    /// <summary>The one call that applies the options to a socket, as C#.</summary>
    public static string Code(TcpKeepAliveOptions options) => IsLibraryDefault(options)
        ? $"socket.ConfigureKeepAlive(new TcpKeepAliveOptions()) (the library's defaults: idle {Units.Time(options.IdleTime)}, interval {Units.Time(options.Interval)}, {Units.Count(options.ProbeCount, "probe")})"
        : string.Create(CultureInfo.InvariantCulture,
            $"socket.ConfigureKeepAlive(new TcpKeepAliveOptions {{ IdleTime = TimeSpan.FromSeconds({options.IdleTime.TotalSeconds}), Interval = TimeSpan.FromSeconds({options.Interval.TotalSeconds}), ProbeCount = {options.ProbeCount} }})");

    /// <summary>Why nothing can be suggested for a timeout this short.</summary>
    public static string TooShort(PeerIdleTimeout peer) =>
        $"no TCP keep-alive beats an idle timeout of {Units.Time(peer.Value)}: the kernel counts keep-alive in whole seconds, so the first probe and its retry take at least 2s; send an application heartbeat more often than every {Units.Time(peer.Value / 2)} instead";

    private static TimeSpan WholeSeconds(TimeSpan value) => TimeSpan.FromSeconds(Math.Max(1, Math.Floor(value.TotalSeconds)));
}
