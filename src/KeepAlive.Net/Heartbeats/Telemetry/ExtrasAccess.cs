namespace KeepAlive.Net.Heartbeats;

/// <summary>Where a stream's <see cref="SlotExtras"/> live: in the slot table for a registration, or owned by a <see cref="DriftMonitor"/>.</summary>
internal readonly struct ExtrasAccess
{
    private readonly SlotTable? _table;
    private readonly int _slot;
    private readonly SlotExtras? _owned;

    public ExtrasAccess(SlotTable table, int slot)
    {
        _table = table;
        _slot = slot;
    }

    public ExtrasAccess(SlotExtras owned) => _owned = owned;

    public SlotExtras? Get() => _owned ?? _table!.ExtrasOf(_slot);

    public SlotExtras GetOrAdd() => _owned ?? _table!.GetOrAddExtras(_slot);
}
