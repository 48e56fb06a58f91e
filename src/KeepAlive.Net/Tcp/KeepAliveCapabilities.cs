namespace KeepAlive.Net;

/// <summary>What a platform's TCP keep-alive can do: units, limits, defaults and what it cannot do at all.</summary>
public sealed record KeepAliveCapabilities
{
    private static readonly Lazy<KeepAliveCapabilities> CurrentCapabilities = new(Detect);

    /// <summary>
    /// Gets the capabilities of the operating system this process runs on; on Linux its defaults are the sysctls of this
    /// process's network namespace (net.ipv4.tcp_keepalive_time, _intvl, _probes), read once, when first used.
    /// </summary>
    public static KeepAliveCapabilities Current => CurrentCapabilities.Value;

    /// <summary>Gets the backend that maps the options onto this platform's socket options.</summary>
    public required KeepAlivePlatform Platform { get; init; }

    /// <summary>Gets the smallest step the kernel takes for idle time and interval (1 s, or 1 ms on Windows before 1709).</summary>
    public required TimeSpan TimeResolution { get; init; }

    /// <summary>Gets the largest idle time the platform accepts.</summary>
    public required TimeSpan MaxIdleTime { get; init; }

    /// <summary>Gets the largest probe interval the platform accepts.</summary>
    public required TimeSpan MaxInterval { get; init; }

    /// <summary>Gets the largest probe count the platform accepts.</summary>
    public required int MaxProbeCount { get; init; }

    /// <summary>
    /// Gets a value indicating whether idle time and interval can be set; when not (an operating system with no known
    /// mapping), only SO_KEEPALIVE is written and both stay at <see cref="DefaultIdleTime"/> and <see cref="DefaultInterval"/>.
    /// </summary>
    public required bool SupportsKeepAliveTimes { get; init; }

    /// <summary>Gets a value indicating whether the probe count can be set; when not, see <see cref="FixedProbeCount"/>.</summary>
    public required bool SupportsProbeCount { get; init; }

    /// <summary>Gets the probe count the platform always uses when <see cref="SupportsProbeCount"/> is <see langword="false"/>.</summary>
    public int? FixedProbeCount { get; init; }

    /// <summary>Gets a value indicating whether TCP_USER_TIMEOUT (milliseconds) exists.</summary>
    public required bool SupportsUserTimeout { get; init; }

    /// <summary>Gets a value indicating whether effective values can be read back from the kernel.</summary>
    public required bool CanReadBack { get; init; }

    /// <summary>Gets a value indicating whether sockets accepted by a configured listener inherit its keep-alive settings.</summary>
    public required bool AcceptedSocketsInheritListenerSettings { get; init; }

    /// <summary>Gets the kernel's default idle time: in <see cref="Current"/> on Linux, net.ipv4.tcp_keepalive_time; from <see cref="For"/>, the platform's built-in default.</summary>
    public required TimeSpan DefaultIdleTime { get; init; }

    /// <summary>Gets the kernel's default probe interval: in <see cref="Current"/> on Linux, net.ipv4.tcp_keepalive_intvl; from <see cref="For"/>, the platform's built-in default.</summary>
    public required TimeSpan DefaultInterval { get; init; }

    /// <summary>Gets the kernel's default probe count: in <see cref="Current"/> on Linux, net.ipv4.tcp_keepalive_probes; from <see cref="For"/>, the platform's built-in default.</summary>
    public required int DefaultProbeCount { get; init; }

    /// <summary>Gets what this platform cannot do, in words.</summary>
    public required string Limitations { get; init; }

    /// <summary>
    /// Gets the idle time or interval the kernel is given for a requested one, as <c>ConfigureKeepAlive</c> writes it:
    /// rounded down to <see cref="TimeResolution"/> (so no probe is later than asked), and never below it.
    /// </summary>
    /// <param name="requested">The requested idle time or interval.</param>
    /// <returns>The time written, for example 7 s for 7.5 s where the kernel takes whole seconds.</returns>
    public TimeSpan TimeAsWritten(TimeSpan requested)
    {
        var step = TimeResolution.Ticks;
        return TimeSpan.FromTicks(Math.Max(step, requested.Ticks / step * step));
    }

    /// <summary>Gets the capabilities of a given backend, for documentation and for tests of other platforms.</summary>
    /// <param name="platform">The backend.</param>
    /// <returns>Its capabilities.</returns>
    public static KeepAliveCapabilities For(KeepAlivePlatform platform)
    {
        var portable = new KeepAliveCapabilities
        {
            Platform = platform,
            TimeResolution = TimeSpan.FromSeconds(1),
            MaxIdleTime = TimeSpan.FromSeconds(32767),
            MaxInterval = TimeSpan.FromSeconds(32767),
            MaxProbeCount = 127,
            SupportsKeepAliveTimes = true,
            SupportsProbeCount = true,
            SupportsUserTimeout = false,
            CanReadBack = true,
            AcceptedSocketsInheritListenerSettings = true,
            DefaultIdleTime = TimeSpan.FromSeconds(7200),
            DefaultInterval = TimeSpan.FromSeconds(75),
            DefaultProbeCount = 9,
            Limitations = "No TCP_USER_TIMEOUT: data in flight to a dead peer is bounded only by the kernel's retransmission limit.",
        };

        return platform switch
        {
            KeepAlivePlatform.Linux => portable with
            {
                SupportsUserTimeout = true,
                Limitations = "Idle time and interval are whole seconds.",
            },
            KeepAlivePlatform.MacOS => portable with
            {
                DefaultProbeCount = 8,
                AcceptedSocketsInheritListenerSettings = false,
                Limitations = portable.Limitations + " Sockets accepted by a configured listener inherit SO_KEEPALIVE, TCP_KEEPINTVL and TCP_KEEPCNT but not the idle time (TCP_KEEPALIVE), so they first probe after the system's 2 h, and keep-alive on a listening socket has kept listeners from accepting (dotnet/runtime#46728): configure each accepted socket.",
            },
            KeepAlivePlatform.FreeBsd => portable with { DefaultProbeCount = 8 },
            KeepAlivePlatform.Windows => portable with
            {
                DefaultInterval = TimeSpan.FromSeconds(1),
                DefaultProbeCount = 10,
                MaxProbeCount = 255,
            },
            KeepAlivePlatform.WindowsLegacy => portable with
            {
                TimeResolution = TimeSpan.FromMilliseconds(1),
                MaxIdleTime = TimeSpan.FromMilliseconds(int.MaxValue),
                MaxInterval = TimeSpan.FromMilliseconds(int.MaxValue),
                MaxProbeCount = 10,
                SupportsProbeCount = false,
                FixedProbeCount = 10,
                CanReadBack = false,
                DefaultInterval = TimeSpan.FromSeconds(1),
                DefaultProbeCount = 10,
                Limitations = portable.Limitations + " Idle time and interval are set together through SIO_KEEPALIVE_VALS; the probe count is fixed at 10; values cannot be read back.",
            },
            _ => portable with
            {
                SupportsKeepAliveTimes = false,
                SupportsProbeCount = false,
                CanReadBack = false,
                Limitations = "Unknown operating system: only SO_KEEPALIVE is switched on; idle time, interval and probe count keep the kernel's values.",
            },
        };
    }

    /// <summary>
    /// The capabilities of this platform, with the defaults a socket nobody configured has where the calling thread runs: on
    /// Linux its network namespace's sysctls (tuned on many hosts: net.ipv4.tcp_keepalive_time 600 on Kubernetes nodes), the
    /// compiled-in defaults where one cannot be read.
    /// </summary>
    internal static KeepAliveCapabilities Detect()
    {
        var capabilities = For(DetectPlatform());
        return capabilities.Platform != KeepAlivePlatform.Linux ? capabilities : capabilities with
        {
            DefaultIdleTime = Seconds(KernelSysctls.KeepAliveTime) ?? capabilities.DefaultIdleTime,
            DefaultInterval = Seconds(KernelSysctls.KeepAliveInterval) ?? capabilities.DefaultInterval,
            DefaultProbeCount = KernelSysctls.Read(KernelSysctls.KeepAliveProbes) is { } probes and > 0 ? probes : capabilities.DefaultProbeCount,
        };

        static TimeSpan? Seconds(string sysctl) => KernelSysctls.Read(sysctl) is { } seconds and > 0 ? TimeSpan.FromSeconds(seconds) : null;
    }

    internal static KeepAlivePlatform DetectPlatform()
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsAndroid())
        {
            return KeepAlivePlatform.Linux;
        }

        if (OperatingSystem.IsMacOS() || OperatingSystem.IsMacCatalyst() || OperatingSystem.IsIOS() || OperatingSystem.IsTvOS())
        {
            return KeepAlivePlatform.MacOS;
        }

        if (OperatingSystem.IsFreeBSD())
        {
            return KeepAlivePlatform.FreeBsd;
        }

        if (OperatingSystem.IsWindows())
        {
            // TCP_KEEPIDLE and TCP_KEEPINTVL through setsockopt arrived with Windows 10 1709 (build 16299).
            return OperatingSystem.IsWindowsVersionAtLeast(10, 0, 16299) ? KeepAlivePlatform.Windows : KeepAlivePlatform.WindowsLegacy;
        }

        return KeepAlivePlatform.Unknown;
    }
}
