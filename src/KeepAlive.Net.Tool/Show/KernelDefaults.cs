namespace KeepAlive.Net.Tool.Show;

/// <summary>The kernel's system-wide keep-alive defaults: on Linux the sysctls in /proc/sys/net/ipv4; elsewhere unavailable.</summary>
internal sealed record KernelDefaults(TimeSpan? KeepAliveTime, TimeSpan? KeepAliveInterval, int? KeepAliveProbes, int? Retries2, string Source)
{
    public bool Available => KeepAliveTime is not null;

    public static KernelDefaults Read()
    {
        if (!OperatingSystem.IsLinux())
        {
            return new KernelDefaults(null, null, null, null,
                $"unavailable on {System.Runtime.InteropServices.RuntimeInformation.OSDescription}: the sysctls exist on Linux only; a fresh socket's values are shown instead");
        }

        var time = KernelSysctls.Read(KernelSysctls.KeepAliveTime);
        var interval = KernelSysctls.Read(KernelSysctls.KeepAliveInterval);
        return new KernelDefaults(
            time is { } t ? TimeSpan.FromSeconds(t) : null,
            interval is { } i ? TimeSpan.FromSeconds(i) : null,
            KernelSysctls.Read(KernelSysctls.KeepAliveProbes),
            KernelSysctls.Read(KernelSysctls.Retries2),
            $"read from {KernelSysctls.Directory.TrimEnd('/')} (sysctl net.ipv4.{KernelSysctls.KeepAliveTime}, _intvl, _probes, {KernelSysctls.Retries2})");
    }
}
