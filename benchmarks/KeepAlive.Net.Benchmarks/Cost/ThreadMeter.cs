namespace KeepAlive.Net.Benchmarks.Cost;

/// <summary>
/// CPU time (nanoseconds) and times scheduled of this process's threads whose name starts with a prefix, read from
/// <c>/proc/self/task/*/schedstat</c> (Linux only). The process-wide CPU of an idle process moves by a few hundredths
/// of a point between runs (thread-pool workers retiring, tiering, the finalizer); this reading isolates a scheduler's own
/// threads, to the nanosecond.
/// </summary>
/// <param name="CpuNanoseconds">Time on a CPU, summed over the matching threads.</param>
/// <param name="TimesScheduled">Times the matching threads were put on a CPU.</param>
/// <param name="Threads">How many threads matched.</param>
/// <param name="Timestamp">When it was read (<see cref="System.Diagnostics.Stopwatch"/>); after <see cref="Since"/>, the ticks between the readings.</param>
internal readonly record struct ThreadMeter(long CpuNanoseconds, long TimesScheduled, int Threads, long Timestamp)
{
    /// <summary>Gets the CPU time as a percentage of one core over the time between the readings (after <see cref="Since"/>).</summary>
    public double PercentOfCore => Timestamp <= 0 ? 0 : 100 * (CpuNanoseconds / 1e9) / (Timestamp / (double)System.Diagnostics.Stopwatch.Frequency);

    /// <summary>The start of the names of KeepAlive.Net's scheduler threads as the kernel keeps them (15 characters).</summary>
    public const string SchedulerThreads = "KeepAlive.Net h";

    /// <summary>Reads the matching threads now; <see langword="null"/> where /proc is not available.</summary>
    public static ThreadMeter? Read(string prefix)
    {
        const string Tasks = "/proc/self/task";
        if (!OperatingSystem.IsLinux() || !Directory.Exists(Tasks))
        {
            return null;
        }

        long cpu = 0;
        long scheduled = 0;
        var threads = 0;
        foreach (var task in Directory.EnumerateDirectories(Tasks))
        {
            try
            {
                if (!File.ReadAllText(Path.Combine(task, "comm")).StartsWith(prefix, StringComparison.Ordinal))
                {
                    continue;
                }

                var fields = File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
                cpu += long.Parse(fields[0], System.Globalization.CultureInfo.InvariantCulture);
                scheduled += long.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture);
                threads++;
            }
            catch (IOException)
            {
                // the thread ended while being read
            }
        }

        return new ThreadMeter(cpu, scheduled, threads, System.Diagnostics.Stopwatch.GetTimestamp());
    }

    /// <summary>What the matching threads used between <paramref name="start"/> and this reading.</summary>
    public ThreadMeter Since(ThreadMeter start) =>
        new(CpuNanoseconds - start.CpuNanoseconds, TimesScheduled - start.TimesScheduled, Threads, Timestamp - start.Timestamp);
}
