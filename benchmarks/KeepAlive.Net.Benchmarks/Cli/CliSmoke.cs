using System.CommandLine;

namespace KeepAlive.Net.Benchmarks.Cli;

/// <summary>
/// The smoke's check of the command line itself: a bare-number duration is refused with a message that shows the
/// fix (<c>10s</c>), typed durations, counts and lists parse, an unknown list item and an unknown option are refused.
/// </summary>
internal static class CliSmoke
{
    public static bool Run(TextWriter output)
    {
        var root = BenchmarkCli.CreateRoot();
        (string[] Args, string? ErrorMustContain)[] cases =
        [
            (["accuracy", "--duration", "10"], "10s"),
            (["soak", "--interval", "1.5"], "1.5s"),
            (["accuracy", "--duration", "10s", "--registrations", "1_000", "--load", "none,threadpool"], null),
            (["cost", "--registrations", "1000,10_000", "--window", "00:00:02", "--contenders", "keepalive,wheel-1ms"], null),
            (["cost", "--contenders", "keepalive,quartz"], "quartz"),
            (["memory", "--registrations", "0"], "positive"),
            (["soak", "--no-such-option", "1"], "--no-such-option"),
        ];
        var failures = 0;
        foreach (var (args, mustContain) in cases)
        {
            var errors = root.Parse(args).Errors.Select(e => e.Message).ToList();
            var ok = mustContain is null ? errors.Count == 0 : errors.Any(e => e.Contains(mustContain, StringComparison.Ordinal));
            output.WriteLine($"[cli] {(ok ? "ok" : "WRONG")}: {string.Join(' ', args)} -> {(errors.Count == 0 ? "accepted" : string.Join(" | ", errors))}");
            failures += ok ? 0 : 1;
        }

        return failures == 0;
    }
}
