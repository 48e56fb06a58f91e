namespace KeepAlive.Net.Tcp;

/// <summary>One planned option: whether it is written, the request, the value given to the kernel, and why they differ.</summary>
/// <param name="Apply">Whether the backend writes the option.</param>
/// <param name="Requested">The requested value in the option's unit (milliseconds or probes).</param>
/// <param name="Value">The value written, in the option's unit.</param>
/// <param name="Status">How the value relates to the request.</param>
/// <param name="Reason">Why it differs, or null.</param>
/// <param name="RequestedTime">The requested time, exactly (sub-millisecond values included), for the time options.</param>
internal readonly record struct PlannedValue(bool Apply, long? Requested, long Value, KeepAliveOptionStatus Status, string? Reason, TimeSpan? RequestedTime = null)
{
    /// <summary>A field left unset with <see cref="TcpKeepAliveUnsetValues.KeepCurrent"/>: not written, the socket keeps its value.</summary>
    public static PlannedValue KeepCurrent { get; } = new(false, null, 0, KeepAliveOptionStatus.NotChanged,
        "Not set (UnsetValues = KeepCurrent): the socket keeps its current value.");
}
