namespace KeepAlive.Net;

/// <summary>
/// Stable event ids of every log message KeepAlive.Net writes, for filtering and alerting.
/// Ids 1000-1999 belong to OS keep-alive, 2000-2999 to heartbeats, 3000-3999 to hosting.
/// </summary>
public static class KeepAliveEventIds
{
    /// <summary>Keep-alive was configured on a socket; the message carries the effective settings.</summary>
    public const int KeepAliveConfigured = 1000;

    /// <summary>A keep-alive value was rounded to what the platform can express.</summary>
    public const int KeepAliveOptionRounded = 1001;

    /// <summary>A requested keep-alive option does not exist on this platform.</summary>
    public const int KeepAliveOptionUnsupported = 1002;

    /// <summary>A keep-alive option is fixed by the platform and could not be changed.</summary>
    public const int KeepAliveOptionFixedByPlatform = 1003;
}
