namespace KeepAlive.Net;

/// <summary>One keep-alive setting, as reported in <see cref="KeepAliveSettings.Options"/>.</summary>
public enum KeepAliveOption
{
    /// <summary>SO_KEEPALIVE, keep-alive on or off.</summary>
    Enabled = 0,

    /// <summary>Idle time before the first probe.</summary>
    IdleTime,

    /// <summary>Time between probes.</summary>
    Interval,

    /// <summary>Unanswered probes before the connection is dropped.</summary>
    ProbeCount,

    /// <summary>TCP_USER_TIMEOUT, the bound on unacknowledged data.</summary>
    UserTimeout,
}
