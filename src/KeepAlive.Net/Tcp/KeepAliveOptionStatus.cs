namespace KeepAlive.Net;

/// <summary>What happened to one requested keep-alive setting.</summary>
public enum KeepAliveOptionStatus
{
    /// <summary>Applied exactly as requested.</summary>
    Applied = 0,

    /// <summary>Applied after rounding to what the platform can express; the report says to what.</summary>
    Rounded,

    /// <summary>Derived from the other settings because it was not given (TCP_USER_TIMEOUT).</summary>
    Derived,

    /// <summary>Not touched: the operating system's default stays in force.</summary>
    OsDefault,

    /// <summary>The platform fixes this value; it cannot be changed (the probe count on Windows before 1709).</summary>
    FixedByPlatform,

    /// <summary>The platform has no such option; the report says why.</summary>
    Unsupported,

    /// <summary>
    /// Not applied: keep-alive was disabled, the field was left unset with <see cref="TcpKeepAliveUnsetValues.KeepCurrent"/>
    /// (the socket keeps its value), or the settings were only read back (GetKeepAlive).
    /// </summary>
    NotChanged,

    /// <summary>
    /// Written and read back, but another setting decides instead: on Linux an explicit TCP_USER_TIMEOUT replaces the
    /// probe count (the kernel resets the connection at the first probe after the user timeout, whatever the count).
    /// The report's reason and <see cref="KeepAliveSettings.DeadPeerDetectionTime"/> say what the kernel will do.
    /// </summary>
    Overridden,

    /// <summary>
    /// The kernel reports a value other than the one written (another thread or process changed it between the write
    /// and the read-back, or the kernel adjusted it): <see cref="KeepAliveOptionReport.Effective"/> is what is in force.
    /// </summary>
    ReadBackDiffers,
}
