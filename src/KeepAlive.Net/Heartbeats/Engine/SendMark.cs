namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// Where a send reached the transport, packed in <see cref="Slot.SendMark"/> by <see cref="HeartbeatContext.ReportSendStarted"/>:
/// the lateness at that moment and whether it happened on a thread-pool thread (the callback hopped onto the pool). A plain
/// write by the send that owns the slot, so marking costs no compare-and-swap.
/// </summary>
internal static class SendMark
{
    private const int Marked = 1 << 30;
    private const int OnPool = 1 << 29;
    private const int MaxMicros = OnPool - 1;

    public static int Of(TimeSpan lateness, bool onThreadPool) =>
        Marked | (onThreadPool ? OnPool : 0) | (int)Math.Clamp(lateness.Ticks / TimeSpan.TicksPerMicrosecond, 0, MaxMicros);

    public static bool IsMarked(int mark) => (mark & Marked) != 0;

    public static bool IsOnThreadPool(int mark) => (mark & OnPool) != 0;

    public static TimeSpan Lateness(int mark) => TimeSpan.FromTicks((mark & MaxMicros) * TimeSpan.TicksPerMicrosecond);
}
