using KeepAlive.Net.Benchmarks.Accuracy;
using KeepAlive.Net.Benchmarks.Cli;

namespace KeepAlive.Net.Benchmarks.Soak;

/// <summary>What one soak run does: how many loopback connections, for how long, how often each heartbeats, and with what.</summary>
internal sealed record SoakOptions(int Connections, TimeSpan Duration, TimeSpan Interval, ContenderKind Driver)
{
    public static SoakOptions Parse(CliArguments args) => new(
        args.Allow("connections", "duration", "interval", "driver").GetInt32("connections", 10_000),
        args.GetDuration("duration", TimeSpan.FromSeconds(60)),
        args.GetDuration("interval", TimeSpan.FromSeconds(1)),
        Contenders.Parse(args.GetString("driver", Contenders.DefaultDriver)));
}
