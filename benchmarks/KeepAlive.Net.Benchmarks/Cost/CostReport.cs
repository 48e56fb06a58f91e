using System.Globalization;
using System.Text;
using KeepAlive.Net.Benchmarks.Accuracy;

namespace KeepAlive.Net.Benchmarks.Cost;

/// <summary>Writes the cost rows as one markdown table (with ratios against KeepAlive.Net) and as CSV.</summary>
internal static class CostReport
{
    public static string Markdown(IReadOnlyList<CostResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine("| Registrations | Contender | CPU, % of a core | CPU µs / fire | Fires delivered / expected | p50 | p99 | Max | Bytes / registration | Bytes / fire | Register all | ours ÷ this, CPU / fire | ours ÷ this, bytes / registration |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            var ours = Ours(results, r);
            var fired = r.Scenario != CostScenario.Empty;
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {Size(r)} | {r.Contender} | {r.CpuPercent:0.000} | {Number(r.CpuMicrosecondsPerFire)} | {(fired ? $"{r.Delivered:N0} / {r.Expected:N0}" : "-")} | {Late(r, r.P50)} | {Late(r, r.P99)} | {Late(r, r.Max)} | {Number(r.BytesPerRegistration)} | {Number(r.BytesPerFire)} | {(r.RegisterAll is { } t ? $"{t.TotalMilliseconds:N0} ms" : "-")} | {Ratio(ours?.CpuMicrosecondsPerFire, r.CpuMicrosecondsPerFire)} | {Ratio(ours?.BytesPerRegistration, r.BytesPerRegistration)} |");
        }

        return text.ToString();
    }

    public static string Csv(IReadOnlyList<CostResult> results)
    {
        var text = new StringBuilder("scenario,registrations,contender,is_ours,cpu_percent_of_core,cpu_us_per_fire,fires_delivered,fires_expected,p50_ms,p99_ms,max_ms,bytes_per_registration,bytes_per_fire,register_all_ms\n");
        foreach (var r in results)
        {
            var fired = r.Scenario != CostScenario.Empty;
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{r.Scenario.ToString().ToLowerInvariant()},{r.Registrations},{r.Contender},{r.IsOurs},{r.CpuPercent:0.####},{Csv(r.CpuMicrosecondsPerFire)},{(fired ? r.Delivered : string.Empty)},{(fired ? r.Expected : string.Empty)},{(fired ? Lateness.Milliseconds(r.P50) : string.Empty)},{(fired ? Lateness.Milliseconds(r.P99) : string.Empty)},{(fired ? Lateness.Milliseconds(r.Max) : string.Empty)},{Csv(r.BytesPerRegistration)},{Csv(r.BytesPerFire)},{r.RegisterAll?.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture)}");
        }

        return text.ToString();
    }

    /// <summary>KeepAlive.Net's row in the same scenario and size as <paramref name="result"/>; null for our own row or when we did not run.</summary>
    public static CostResult? Ours(IReadOnlyList<CostResult> results, CostResult result) => result.IsOurs
        ? null
        : results.FirstOrDefault(r => r.IsOurs && r.Scenario == result.Scenario && r.Registrations == result.Registrations);

    private static string Size(CostResult r) => r.Scenario switch
    {
        CostScenario.Empty => "0 (empty)",
        CostScenario.Idle => $"{r.Registrations} (idle)",
        _ => r.Registrations.ToString("N0", CultureInfo.InvariantCulture),
    };

    private static string Late(CostResult r, long microseconds) => r.Lateness is null ? "-" : Lateness.Human(microseconds);

    private static string Number(double value) => double.IsNaN(value) ? "-" : value.ToString(value >= 100 ? "N0" : "0.##", CultureInfo.InvariantCulture);

    private static string Csv(double value) => double.IsNaN(value) ? string.Empty : value.ToString("0.####", CultureInfo.InvariantCulture);

    private static string Ratio(double? ours, double theirs) => ours is { } o && !double.IsNaN(o) && !double.IsNaN(theirs) && theirs > 0
        ? (o / theirs).ToString("0.##", CultureInfo.InvariantCulture) + "x"
        : "-";
}
