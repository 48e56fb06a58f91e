namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// Every registration's <see cref="Slot"/>, in pages that never move, the shared <see cref="BeatSettings"/> and the rare
/// <see cref="SlotExtras"/>. Allocating, freeing, settings and extras take one lock; a slot takes none (its phase says who owns it).
/// </summary>
internal sealed class SlotTable(TimeProvider timeProvider)
{
    public const int PageSize = 1024;
    private const int PageShift = 10;

    private readonly Lock _lock = new();
    private readonly Dictionary<BeatSettingsKey, int> _settingsByKey = [];
    private readonly Stack<int> _freeSettings = new();
    private readonly Stack<int> _freeSlots = new();
    private readonly Dictionary<int, SlotExtras> _extras = [];
    private Slot[][] _pages = [];
    private BeatSettings?[] _settings = new BeatSettings?[4];
    private int _used;
    private long _minTolerance = long.MaxValue;

    /// <summary>Gets the smallest coalescing tolerance among the settings in use (<see cref="long.MaxValue"/> when none).</summary>
    public long MinToleranceTicks => Volatile.Read(ref _minTolerance);

    public ref Slot this[int slot] => ref Volatile.Read(ref _pages)[slot >> PageShift][slot & (PageSize - 1)];

    public BeatSettings SettingsOf(in Slot slot) => Volatile.Read(ref _settings)[slot.Settings]!;

    /// <summary>Takes a free slot with settings shared by equal options (validated when new).</summary>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public int Allocate(HeartbeatOptions options, out BeatSettings settings)
    {
        var key = BeatSettings.KeyOf(options); // never throws: its derived values are null when out of range (HeartbeatOptions.LatenessBudget)
        lock (_lock)
        {
            if (!_settingsByKey.TryGetValue(key, out var index))
            {
                HeartbeatOptionsValidator.ThrowIfInvalid(options);
                index = _freeSettings.Count > 0 ? _freeSettings.Pop() : Room(ref _settings, _settingsByKey.Count);
                _settings[index] = new BeatSettings(key, timeProvider);
                _settingsByKey.Add(key, index);
                Volatile.Write(ref _minTolerance, Math.Min(_minTolerance, _settings[index]!.ToleranceTicks));
            }

            settings = _settings[index]!;
            settings.References++;
            var slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : Grow();
            this[slot].Settings = index;
            return slot;
        }
    }

    /// <summary>Returns a slot to the free list. Only the owner of the timer loop frees, so no slot is reused while it is being examined.</summary>
    public void Free(int slot)
    {
        ref var entry = ref this[slot];
        lock (_lock)
        {
            var settings = _settings[entry.Settings]!;
            if (--settings.References == 0)
            {
                _settingsByKey.Remove(settings.Key);
                _settings[entry.Settings] = null;
                _freeSettings.Push(entry.Settings);
                Volatile.Write(ref _minTolerance, _settings.Min(static s => s?.ToleranceTicks ?? long.MaxValue));
            }

            if (_extras.Remove(slot) && BurstRoom.Trimmed(_extras.Capacity, _extras.Count) < _extras.Capacity)
            {
                _extras.TrimExcess();
            }
            entry = default;
            _freeSlots.Push(slot);
        }
    }

    public SlotExtras? ExtrasOf(int slot)
    {
        if ((Volatile.Read(ref this[slot].State) & SlotState.HasExtras) == 0)
        {
            return null;
        }

        lock (_lock)
        {
            return _extras.GetValueOrDefault(slot);
        }
    }

    /// <summary>Cancels every registration's token (the scheduler stops); the callbacks run outside the lock.</summary>
    public void CancelAll()
    {
        SlotExtras[] all;
        lock (_lock)
        {
            all = [.. _extras.Values];
        }

        foreach (var extras in all)
        {
            extras.Cancel();
        }
    }

    /// <summary>The extras of a slot the caller holds a claim on (the engine, for a send it runs), made if needed.</summary>
    public SlotExtras GetOrAddExtras(int slot)
    {
        lock (_lock)
        {
            return GetOrAddExtrasLocked(slot);
        }
    }

    /// <summary>
    /// The extras of a slot for its registration's handle, made if needed; <see langword="null"/> once the slot is not
    /// <paramref name="owner"/>'s (freed, or taken by another registration, since the handle looked). Checked under the lock
    /// that <see cref="Free"/> takes, so no extras are made for a free slot or handed to another registration's handle.
    /// </summary>
    public SlotExtras? GetOrAddExtras(int slot, HeartbeatRegistration owner)
    {
        lock (_lock)
        {
            return ReferenceEquals(this[slot].Handle, owner) ? GetOrAddExtrasLocked(slot) : null;
        }
    }

    private SlotExtras GetOrAddExtrasLocked(int slot)
    {
        if (!_extras.TryGetValue(slot, out var extras))
        {
            extras = new SlotExtras();
            _extras.Add(slot, extras);
            SlotState.Update(ref this[slot].State, SlotState.HasExtras, 0);
        }

        return extras;
    }

    private int Grow()
    {
        var page = Room(ref _pages, _used >> PageShift);
        _pages[page] ??= new Slot[PageSize];
        return _used++;
    }

    // Makes room for index in an array other threads read without the lock: a doubled copy, published whole.
    private static int Room<T>(ref T[] array, int index)
    {
        if (index >= array.Length)
        {
            var bigger = new T[Math.Max(4, array.Length * 2)];
            Array.Copy(array, bigger, array.Length);
            Volatile.Write(ref array, bigger);
        }

        return index;
    }
}
