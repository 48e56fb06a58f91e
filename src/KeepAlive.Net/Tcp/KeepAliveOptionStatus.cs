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

    /// <summary>Not applied because keep-alive was disabled, or only read back (GetKeepAlive).</summary>
    NotChanged,
}
