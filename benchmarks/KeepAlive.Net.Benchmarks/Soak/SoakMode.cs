using System.Diagnostics;
using KeepAlive.Net.Benchmarks.Accuracy;
using KeepAlive.Net.Benchmarks.Cost;
using KeepAlive.Net.Benchmarks.Heartbeats;

namespace KeepAlive.Net.Benchmarks.Soak;

/// <summary>
/// Real loopback connections to a peer process. Each driver (our socket heartbeat, the hand-written paced heartbeat...)
/// is measured alone in turn, on the same connections and registered the same way (a burst, or spread over an interval):
/// heartbeats sent and missed, lateness, CPU per heartbeat and memory per protected connection. Then a bare-send baseline.
/// </summary>
internal static class SoakMode
{
    private const int BaselineMaxRounds = 20;
    private static readonly byte[] Payload = [0x2A];

    public static bool Run(SoakOptions options, TextWriter output)
    {
        var count = Math.Min(options.Connections, FileDescriptorLimit.MaxConnections(FileDescriptorLimit.Current()));
        if (count < options.Connections)
        {
            output.WriteLine($"[soak] WARNING: this process may open {FileDescriptorLimit.Current():N0} files and keeps {FileDescriptorLimit.Reserve} for itself, so it runs {count:N0} connections instead of {options.Connections:N0}. Raise the limit to run them all: `ulimit -n {options.Connections + FileDescriptorLimit.Reserve}` in the shell that starts this (the hard limit bounds it; as root raise it in /etc/security/limits.conf or with LimitNOFILE= for a service).");
        }

        if (count <= 0)
        {
            output.WriteLine("[soak] The open-file limit leaves no room for a single connection; raise it with ulimit -n.");
            return false;
        }

        using var peer = SoakPeerProcess.Start(options.PeerReads);
        var connecting = Stopwatch.GetTimestamp();
        var kernelBefore = KernelMemory.Read();
        var managedBefore = ProtectionMemory.LiveBytes();
        using var connections = SoakConnections.ConnectAsync(count, peer.Port).GetAwaiter().GetResult();
        Thread.Sleep(200); // let the peer finish accepting: both ends are counted
        var kernel = KernelMemory.Read().PerItemSince(kernelBefore, count);
        var socketManaged = (ProtectionMemory.LiveBytes() - managedBefore) / (double)count;
        output.WriteLine($"[soak] {count:N0} loopback connections open with keep-alive configured in {Stopwatch.GetElapsedTime(connecting).TotalSeconds:0.0} s; peer process on port {peer.Port}, reading {(options.PeerReads == SoakPeerReads.AtStop ? "nothing until the soak stops" : "as data arrives")} (--peer-reads {SoakCommand.Format(options.PeerReads)}); registered as a {options.Registration.ToString().ToLowerInvariant()}; {options.Duration.TotalSeconds:0.#} s at {options.Interval.TotalMilliseconds:0.#} ms per driver: {string.Join(", ", options.Drivers)}");

        var runs = new List<SoakRun>();
        foreach (var driver in options.Drivers)
        {
            ProcessMeter.Settle(TimeSpan.FromMilliseconds(500));
            runs.Add(RunDriver(options, driver, connections, output));
        }

        ProcessMeter.Settle(TimeSpan.FromMilliseconds(200));
        output.WriteLine($"[soak] bare-send baseline: Socket.Send of the same byte, round-robin over the {count:N0} connections, for at most {options.SendBaseline.TotalSeconds:0.#} s or {BaselineMaxRounds} rounds");
        var baselineStart = ProcessMeter.Read();
        var sends = connections.SendLoop(options.SendBaseline, BaselineMaxRounds);
        var baselineCpu = ProcessMeter.Read().Cpu - baselineStart.Cpu;

        var lost = connections.CountLost();
        var received = peer.Stop(connections.BytesSent);
        var result = new SoakResult(options, count, runs, sends, baselineCpu, lost, received, connections.BytesSent, connections.SendFailures, kernel, socketManaged);
        SoakReport.Print(output, result);
        return runs.All(r => r.Totals.Sent > 0) && sends > 0 && result.BytesMissing == 0;
    }

    private static SoakRun RunDriver(SoakOptions options, SoakDriver driver, SoakConnections connections, TextWriter output)
    {
        var count = connections.Count;
        var memory = MeasureMemory(options, driver, connections);
        using var library = driver.IsOurs ? new LibraryLateness() : null;
        WarmUp(options, driver, connections);
        var tracker = new LatenessTracker(count, options.Interval, measuredWindow: true);
        var start = SoakStretch.Mark.Read(0);
        tracker.StartWindow(start.Meter.Timestamp); // from the first heartbeat on: a burst's first second counts
        library?.Start();
        SoakStretch.Mark firstRound, end;
        TrackerTotals totals;
        string name;
        using (var contender = CreateDriver(options, driver, connections, tracker.Beat))
        {
            name = contender.Name;
            Register(options, tracker, contender);
            SleepUntil(start.Meter.Timestamp, LibraryLateness.FirstRound);
            firstRound = SoakStretch.Mark.Read(tracker.Histogram.Count);
            SleepUntil(start.Meter.Timestamp, options.Duration);
            end = SoakStretch.Mark.Read(tracker.Histogram.Count);
            totals = tracker.Close();
        }

        var run = new SoakRun(
            driver, name, Stopwatch.GetElapsedTime(start.Meter.Timestamp, end.Meter.Timestamp), totals, tracker.Histogram, library?.Histogram, library?.First, end.Meter.Cpu - start.Meter.Cpu, memory,
            SoakStretch.Between(start, firstRound), SoakStretch.Between(firstRound, end));
        output.WriteLine($"[soak] {name}: {totals.Sent:N0} of {totals.Due:N0} heartbeats, {run.CpuPerHeartbeat:0.00} µs CPU each, p99 {Lateness.Human(tracker.Histogram.PercentileMicroseconds(0.99))} from the registration's phase{(library is null ? string.Empty : $", p99 {Lateness.Human(library.Histogram.PercentileMicroseconds(0.99))} from the due time (the library's own; first {LibraryLateness.FirstRound.TotalSeconds:0} s p99 {Lateness.Human(library.First.PercentileMicroseconds(0.99))}, later p99 {Lateness.Human(library.Later.PercentileMicroseconds(0.99))} max {Lateness.Human(library.Later.MaxMicroseconds)})")}; {memory.ManagedBytes:0} B managed and {memory.ResidentBytes:0} B resident per connection");
        output.WriteLine($"[soak]   the process, first {LibraryLateness.FirstRound.TotalSeconds:0} s: {run.FirstRound}; after: {run.Later}");
        return run;
    }

    private static void SleepUntil(long start, TimeSpan elapsed)
    {
        var left = elapsed - Stopwatch.GetElapsedTime(start);
        if (left > TimeSpan.Zero)
        {
            Thread.Sleep(left);
        }
    }

    /// <summary>Warms the driver up on the first connections (<see cref="Accuracy.WarmUp"/>) before it is measured, so the burst meets a process that has compiled its send path.</summary>
    private static void WarmUp(SoakOptions options, SoakDriver driver, SoakConnections connections)
    {
        var tracker = new LatenessTracker(Math.Min(Accuracy.WarmUp.Registrations, connections.Count), options.Interval);
        Accuracy.WarmUp.Run(options.Interval, [(tracker, CreateDriver(options, driver, connections, tracker.Beat))]);
    }

    private static void Register(SoakOptions options, LatenessTracker tracker, Contender contender)
    {
        if (options.Registration == SoakRegistration.Spread)
        {
            RegistrationRamp.Run([(tracker, contender)], options.Interval);
            return;
        }

        RegistrationRamp.AddAtOnce(tracker, contender, contender.Registrations);
    }

    // What protecting the connections adds, without the benchmark's own wrappers: our registrations exactly as a user makes
    // them (RegisterSocket), or the hand-written heartbeat's per-connection entry.
    private static ProtectionMemory MeasureMemory(SoakOptions options, SoakDriver driver, SoakConnections connections)
    {
        if (driver.IsOurs)
        {
            using var scheduler = new HeartbeatScheduler();
            var heartbeat = new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = TimeSpan.FromHours(1) };
            var registrations = new HeartbeatRegistration[connections.Count];
            return ProtectionMemory.Measure(
                connections.Count,
                () =>
                {
                    for (var i = 0; i < registrations.Length; i++)
                    {
                        registrations[i] = scheduler.RegisterSocket(connections.SocketAt(i), Payload, heartbeat);
                    }
                },
                () => Array.ForEach(registrations, r => r.Dispose()));
        }

        return driver.Name == SoakDriver.PacedName ? new ProtectionMemory(PacedContender.BytesPerConnection, double.NaN) : new ProtectionMemory(double.NaN, double.NaN);
    }

    private static Contender CreateDriver(SoakOptions options, SoakDriver driver, SoakConnections connections, Action<int> beat) => driver switch
    {
        { Kind: { } kind } => Contenders.Create(kind, connections.Count, options.Interval, i =>
        {
            beat(i);
            connections.Send(i);
        }),
        { Name: SoakDriver.PacedName } => new PacedContender(connections.Count, options.Interval, i =>
        {
            beat(i);
            connections.Send(i);
        }),
        _ => new SchedulerContender(connections.Count, options.Interval, beat, connections.HeartbeatFor, "KeepAlive.Net socket heartbeat"),
    };
}
