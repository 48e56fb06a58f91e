using System.Diagnostics;
using KeepAlive.Net.Benchmarks.Accuracy;
using KeepAlive.Net.Benchmarks.Cli;

namespace KeepAlive.Net.Benchmarks.Soak;

/// <summary>
/// <c>soak</c>: N real loopback TCP connections to a peer process, each heartbeating one byte per interval for
/// the duration. Prints lateness percentiles, heartbeats due and sent, this process's CPU time, and checks that
/// no connection was lost and the peer received every byte.
/// </summary>
internal static class SoakMode
{
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

        var tracker = new LatenessTracker(count, options.Interval);
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();
        TrackerTotals totals;
        using (var contender = Contenders.Create(options.Driver, count, options.Interval, i =>
        {
            tracker.Beat(i);
            connections.Send(i);
        }))
        {
            RegistrationRamp.Run([(tracker, contender)], options.Interval);
            var left = options.Duration - Stopwatch.GetElapsedTime(started);
            if (left > TimeSpan.Zero)
            {
                Thread.Sleep(left);
            }

            totals = tracker.Close();
        }

        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var lost = connections.CountLost();
        var received = peer.Stop(connections.BytesSent);
        Print(output, options, count, totals, tracker.Histogram, cpu, lost, received, connections.BytesSent);
        return totals.Sent > 0;
    }

    private static void Print(TextWriter output, SoakOptions options, int count, TrackerTotals totals, LatenessHistogram histogram, TimeSpan cpu, int lost, PeerReport peer, long bytesSent)
    {
        var cpuPerBeat = totals.Sent == 0 ? double.NaN : cpu.TotalMilliseconds * 1000 / totals.Sent;
        output.WriteLine();
        output.WriteLine("| Connections | Driver | Duration | Due | Sent | Missed | p50 | p90 | p99 | p99.9 | Max | CPU (this process) | CPU per heartbeat incl. send | Peer CPU | Lost |");
        output.WriteLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        output.WriteLine(
            $"| {count:N0} | {options.Driver} | {options.Duration.TotalSeconds:0.#} s | {totals.Due:N0} | {totals.Sent:N0} | {totals.Missed:N0} | " +
            $"{Lateness.Human(histogram.PercentileMicroseconds(0.5))} | {Lateness.Human(histogram.PercentileMicroseconds(0.9))} | {Lateness.Human(histogram.PercentileMicroseconds(0.99))} | " +
            $"{Lateness.Human(histogram.PercentileMicroseconds(0.999))} | {Lateness.Human(histogram.MaxMicroseconds)} | {cpu.TotalSeconds:0.00} s | {cpuPerBeat:0.0} µs | {peer.CpuTime.TotalSeconds:0.00} s | {lost + peer.ClosedEarly:N0} |");
        output.WriteLine();
        output.WriteLine($"Peer accepted {peer.Accepted:N0} connections and received {peer.BytesReceived:N0} of {bytesSent:N0} heartbeat bytes sent.");
        TargetCheck.Print(output,
        [
            TargetCheck.AtMost($"no connection lost ({count:N0} connections)", lost + peer.ClosedEarly, 0, " lost"),
            TargetCheck.AtMost("the peer received every heartbeat byte sent", bytesSent - peer.BytesReceived, 0, " bytes missing"),
        ]);
    }
}
