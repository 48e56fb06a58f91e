using System.Buffers.Binary;

namespace KeepAlive.Net.Tcp.Backends;

/// <summary>
/// Windows before 10 1709: idle time and interval go together, in milliseconds, through
/// SIO_KEEPALIVE_VALS (struct tcp_keepalive { u_long onoff, keepalivetime, keepaliveinterval; },
/// 12 bytes little-endian). The probe count is fixed at 10 and nothing but SO_KEEPALIVE can be read back.
/// </summary>
internal sealed class WindowsLegacyKeepAliveBackend : IKeepAliveBackend
{
    private static readonly NativeOptionNames Names = NativeOptionNames.Windows;

    public void Apply(ISocketOptionAccess socket, KeepAlivePlan plan)
    {
        if (!plan.Enabled || (!plan.Idle.Apply && !plan.Interval.Apply))
        {
            // Off, or on with both times kept as they are (UnsetValues = KeepCurrent): only SO_KEEPALIVE is written.
            socket.SetInt32(Names.SolSocket, Names.SoKeepAlive, plan.Enabled ? 1 : 0);
            return;
        }

        Span<byte> values = stackalloc byte[12];
        BinaryPrimitives.WriteUInt32LittleEndian(values, 1);
        BinaryPrimitives.WriteUInt32LittleEndian(values[4..], checked((uint)plan.Idle.Value));
        BinaryPrimitives.WriteUInt32LittleEndian(values[8..], checked((uint)plan.Interval.Value));
        socket.IoControl(NativeOptionNames.SioKeepAliveVals, values);
    }

    public KeepAliveSettings Read(ISocketOptionAccess socket, KeepAliveCapabilities capabilities, KeepAlivePlan? applied) => new()
    {
        Platform = capabilities.Platform,
        Enabled = socket.GetInt32(Names.SolSocket, Names.SoKeepAlive) != 0,
        IdleTime = applied is { Enabled: true, Idle.Apply: true } ? TimeSpan.FromMilliseconds(applied.Idle.Value) : null,
        Interval = applied is { Enabled: true, Interval.Apply: true } ? TimeSpan.FromMilliseconds(applied.Interval.Value) : null,
        ProbeCount = capabilities.FixedProbeCount,
        UserTimeout = null,
        IsReadBackFromKernel = false,
    };
}
