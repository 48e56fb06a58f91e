namespace KeepAlive.Net;

/// <summary>What <c>ConfigureKeepAlive</c> does with a <see cref="TcpKeepAliveOptions"/> field that was never set.</summary>
public enum TcpKeepAliveUnsetValues
{
    /// <summary>
    /// An unset field is written with the library's default (idle 30 s, interval 10 s, 3 probes, user timeout derived).
    /// This is what <c>new TcpKeepAliveOptions()</c> gives, and what every earlier version did.
    /// </summary>
    UseDefaults = 0,

    /// <summary>
    /// An unset field is not written: the socket keeps its current value (inherited from a listener, set by someone
    /// else, or the kernel's default), reported as <see cref="KeepAliveOptionStatus.NotChanged"/>, as Go's
    /// <c>KeepAliveConfig</c> does with -1. <see cref="TcpKeepAliveOptions.Enabled"/> is always written.
    /// </summary>
    KeepCurrent,
}
