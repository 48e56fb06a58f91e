namespace KeepAlive.Net.Tcp;

/// <summary>One planned option: whether it is written, the request, the value given to the kernel, and why they differ.</summary>
/// <param name="Apply">Whether the backend writes the option.</param>
/// <param name="Requested">The requested value in the option's unit (milliseconds or probes).</param>
/// <param name="Value">The value written, in the option's unit.</param>
/// <param name="Status">How the value relates to the request.</param>
/// <param name="Reason">Why it differs, or null.</param>
internal readonly record struct PlannedValue(bool Apply, long? Requested, long Value, KeepAliveOptionStatus Status, string? Reason);
