namespace KeepAlive.Net.Benchmarks.Heartbeats;

/// <summary>Bytes per item: retained on the heap after a full collection, and allocated while creating them.</summary>
internal sealed record MemoryResult(string Name, int Count, double RetainedPerItem, double AllocatedPerItem);
