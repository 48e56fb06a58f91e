using System.Diagnostics;
using KeepAlive.Net.Benchmarks.Accuracy;
using KeepAlive.Net.Benchmarks.Cost;
using KeepAlive.Net.Benchmarks.Heartbeats;

namespace KeepAlive.Net.Benchmarks.Soak;

/// <summary>
/// <c>soak</c>: N real loopback TCP connections to a peer process, each heartbeating one byte per interval for
/// the duration (measured after the registration ramp of one interval); then, on the same connections, the bare-send baseline (a tight loop of <c>Socket.Send</c> of the
/// same byte). Prints lateness, heartbeats due and sent, CPU per heartbeat next to CPU per bare send and their
/// ratio, and checks that no connection was lost and the peer received every byte.
/// </summary>
internal static class SoakMode
{
    private const int BaselineMaxRounds = 20;

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

        using var peer = SoakPeerProcess.Start();
        var connecting = Stopwatch.GetTimestamp();
        using var connections = SoakConnections.ConnectAsync(count, peer.Port).GetAwaiter().GetResult();
        output.WriteLine($"[soak] {count:N0} loopback connections open with keep-alive configured in {Stopwatch.GetElapsedTime(connecting).TotalSeconds:0.0} s; peer process on port {peer.Port}; driver {options.Driver}; {options.Duration.TotalSeconds:0.#} s at {options.Interval.TotalMilliseconds:0.#} ms");

        var tracker = new LatenessTracker(count, options.Interval, measuredWindow: true);
        var started = Stopwatch.GetTimestamp();
        ProcessMeter window;
        ProcessMeter end;
        TrackerTotals totals;
        using (var contender = CreateDriver(options, connections, tracker.Beat))
        {
            RegistrationRamp.Run([(tracker, contender)], options.Interval);
            window = ProcessMeter.Read();
            tracker.StartWindow(window.Timestamp);
            var left = options.Duration - Stopwatch.GetElapsedTime(started);
            if (left > TimeSpan.Zero)
            {
                Thread.Sleep(left);
            }

            end = ProcessMeter.Read();
            totals = tracker.Close();
        }

        var cpu = end.Cpu - window.Cpu;
        ProcessMeter.Settle(TimeSpan.FromMilliseconds(200));
        output.WriteLine($"[soak] bare-send baseline: Socket.Send of the same byte, round-robin over the {count:N0} connections, for at most {options.SendBaseline.TotalSeconds:0.#} s or {BaselineMaxRounds} rounds");
        var baselineStart = ProcessMeter.Read();
        var sends = connections.SendLoop(options.SendBaseline, BaselineMaxRounds);
        var baselineCpu = ProcessMeter.Read().Cpu - baselineStart.Cpu;

        var lost = connections.CountLost();
        var received = peer.Stop(connections.BytesSent);
        SoakReport.Print(output, new SoakResult(options, count, Stopwatch.GetElapsedTime(window.Timestamp, end.Timestamp), totals, tracker.Histogram, cpu, sends, baselineCpu, lost, received, connections.BytesSent, connections.SendFailures));
        return totals.Sent > 0 && sends > 0;
    }

    private static Contender CreateDriver(SoakOptions options, SoakConnections connections, Action<int> beat) => options.Driver.Kind is { } kind
        ? Contenders.Create(kind, connections.Count, options.Interval, i =>
        {
            beat(i);
            connections.Send(i);
        })
        : new SchedulerContender(connections.Count, options.Interval, beat, connections.HeartbeatFor, "KeepAlive.Net socket heartbeat");
}
