using KeepAlive.Net.Benchmarks.Accuracy;
using KeepAlive.Net.Benchmarks.Cli;

namespace KeepAlive.Net.Benchmarks.Soak;

/// <summary>Prints a soak's table and its targets.</summary>
internal static class SoakReport
{
    private const double BareSendFactor = 2;

    public static void Print(TextWriter output, SoakResult r)
    {
        var h = r.Lateness;
        var t = r.Totals;
        var ratio = r.CpuPerHeartbeat / r.CpuPerBareSend;
        output.WriteLine();
        output.WriteLine("| Connections | Driver | Window | Due | Sent | Missed | p50 | p90 | p99 | p99.9 | Max | CPU (this process) | CPU per heartbeat incl. send | CPU per bare send | ratio | Peer CPU | Lost |");
        output.WriteLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        output.WriteLine(
            $"| {r.Connections:N0} | {r.Options.Driver} | {r.Window.TotalSeconds:0.#} s | {t.Due:N0} | {t.Sent:N0} | {t.Missed:N0} | " +
            $"{Lateness.Human(h.PercentileMicroseconds(0.5))} | {Lateness.Human(h.PercentileMicroseconds(0.9))} | {Lateness.Human(h.PercentileMicroseconds(0.99))} | " +
            $"{Lateness.Human(h.PercentileMicroseconds(0.999))} | {Lateness.Human(h.MaxMicroseconds)} | {r.Cpu.TotalSeconds:0.00} s | {r.CpuPerHeartbeat:0.00} µs | {r.CpuPerBareSend:0.00} µs | {ratio:0.00}x | {r.Peer.CpuTime.TotalSeconds:0.00} s | {r.LostTotal:N0} |");
        output.WriteLine();
        output.WriteLine($"Bare send: {r.BaselineSends:N0} Socket.Send calls of the same byte on the same connections took {r.BaselineCpu.TotalMilliseconds:N0} ms of process CPU. Sends that failed: {r.SendFailures:N0}.");
        output.WriteLine($"Peer accepted {r.Peer.Accepted:N0} connections and received {r.Peer.BytesReceived:N0} of {r.BytesSent:N0} bytes sent (heartbeats and baseline).");
        TargetCheck.Print(output,
        [
            TargetCheck.AtMost($"CPU per heartbeat <= 2 x the bare send in the same run ({r.CpuPerHeartbeat:0.00} µs vs {r.CpuPerBareSend:0.00} µs)", ratio, BareSendFactor, "x"),
            TargetCheck.AtMost($"no connection lost ({r.Connections:N0} connections)", r.LostTotal, 0, " lost"),
            TargetCheck.AtMost("no heartbeat skipped (due times still in flight at the end not counted)", Math.Max(0, t.Missed - t.Unserved), 0, " skipped"),
            TargetCheck.AtMost("the peer received every byte sent", r.BytesSent - r.Peer.BytesReceived, 0, " bytes missing"),
        ], "issue 8");
    }
}
