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

    // ---- Hosting: KeepAlive.Net.Hosting (3000-3099) and KeepAlive.Net.AspNetCore (3100-3199) ----

    /// <summary>A keep-alive profile's values changed on a configuration reload; new connections use them, existing ones keep theirs.</summary>
    public const int ProfileReloaded = 3000;

    /// <summary>An HttpClient connection was configured with a keep-alive profile; the message carries the effective settings.</summary>
    public const int HttpConnectionConfigured = 3001;

    /// <summary>Keep-alive could not be applied to a Kestrel connection, which was accepted without it.</summary>
    public const int KestrelConnectionKeepAliveFailed = 3100;

    /// <summary>A Kestrel connection was configured with a keep-alive profile; the message carries the effective settings.</summary>
    public const int KestrelConnectionConfigured = 3101;

    /// <summary>A Kestrel connection has no socket (for example a named pipe or an in-memory transport), so keep-alive was not applied.</summary>
    public const int KestrelConnectionWithoutSocket = 3102;
}
