namespace KeepAlive.Net;

/// <summary>The keep-alive backends KeepAlive.Net knows; each maps the options onto its own socket options.</summary>
public enum KeepAlivePlatform
{
    /// <summary>An operating system without a known keep-alive mapping; only SO_KEEPALIVE is used.</summary>
    Unknown = 0,

    /// <summary>Linux: TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT in seconds, TCP_USER_TIMEOUT in milliseconds.</summary>
    Linux,

    /// <summary>macOS and other Apple systems: TCP_KEEPALIVE (idle), TCP_KEEPINTVL, TCP_KEEPCNT in seconds.</summary>
    MacOS,

    /// <summary>FreeBSD: TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT in seconds.</summary>
    FreeBsd,

    /// <summary>Windows 10 1709 and later: TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT through setsockopt, in seconds.</summary>
    Windows,

    /// <summary>Windows before 10 1709: SIO_KEEPALIVE_VALS through WSAIoctl, in milliseconds; the probe count is fixed at 10.</summary>
    WindowsLegacy,
}
