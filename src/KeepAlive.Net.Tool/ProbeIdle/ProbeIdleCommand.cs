using System.CommandLine;
using System.Diagnostics;
using System.Net;
using KeepAlive.Net.Tool.Check;
using KeepAlive.Net.Tool.Cli;

namespace KeepAlive.Net.Tool.ProbeIdle;

/// <summary>
/// <c>keepalive probe-idle HOST:PORT</c>: how long the path to a TCP server keeps an idle flow, measured with silent
/// connections held in parallel for different times (bisecting), needing nothing from the server but an ACK.
/// </summary>
internal static class ProbeIdleCommand
{
    private static readonly TimeSpan DefaultMax = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan DefaultResolution = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(5);
    private const int DefaultConnections = 16;

    private static readonly KeepAliveRangeAttribute MaxRange = new("1s", "1d")
    {
        Example = "10m",
        MinimumReason = "the first round starts at 1s of silence; a path that forgets a flow sooner drops connections before their first request.",
        MaximumReason = "the longest idle timeout of a common NAT or load balancer is hours (Linux conntrack's 5 days for an established flow is not one to measure), and the run takes about as long as the value.",
    };

    private static readonly KeepAliveRangeAttribute ResolutionRange = new("10ms", "1h")
    {
        Example = "500ms",
        MinimumReason = "the answer to a probe takes a round trip and a scheduler wake-up, so finer bounds are noise.",
        MaximumReason = "bounds further apart say nothing a profile can use: idle timeouts are seconds to minutes.",
    };

    private static readonly KeepAliveRangeAttribute ConnectionsRange = new(1, 64)
    {
        Example = "16",
        MinimumReason = "each silent connection is one probe; with none nothing is measured.",
        MaximumReason = "each connection is a flow the middlebox must track; more than 64 at once looks like a scan.",
    };

    public static Command Create(ToolConsole console)
    {
        var endpoint = HostAndPort.Argument("HOST:PORT of any TCP server behind the path to measure, e.g. db.internal:5432 or [::1]:5000.");
        var max = Durations.Option("--max", $"The longest silence to try (default {KeepAliveDuration.Format(DefaultMax)}); the run can take about this long.", MaxRange);
        var resolution = Durations.Option("--resolution", $"Stop when the bounds are this close (default {KeepAliveDuration.Format(DefaultResolution)}).", ResolutionRange);
        var connections = Durations.WholeNumber("--connections", $"Silent connections held at once (default {DefaultConnections}).", "count", ConnectionsRange);
        var json = JsonOutput.Option();
        var command = new Command("probe-idle", "Measure how long the path to a TCP server keeps an idle flow (NAT, firewall, load balancer), and suggest a profile for it.")
        {
            endpoint, max, resolution, connections, json,
        };
        command.Validators.Add(result =>
        {
            // The values as typed: a value its own parser refused has said so already.
            var (maxText, finestText) = (Typed(result, max) ?? KeepAliveDuration.Format(DefaultMax), Typed(result, resolution));
            if (finestText is not null && ResolutionRange.TryParse(finestText, out TimeSpan finest, out _)
                && MaxRange.TryParse(maxText, out TimeSpan longest, out _) && finest >= longest)
            {
                result.AddError(Refusals.Text("--resolution", $"{finestText} is not shorter than --max {maxText}, so the first round would end the search with bounds no narrower than the ladder's.", $"give a --resolution below --max, for example {ResolutionRange.Example}."));
            }
        });
        command.SetAction((result, cancellationToken) => RunAsync(console, result.GetValue(endpoint)!,
            new IdleSearch(result.GetValue(max) ?? DefaultMax, result.GetValue(resolution) ?? DefaultResolution, result.GetValue(connections) ?? DefaultConnections),
            result.GetValue(json), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ToolConsole console, HostAndPort target, IdleSearch search, bool json, CancellationToken cancellationToken)
    {
        console.Platform.RequireLinux("probe-idle", "sees a segment acknowledged through TCP_INFO");

        var address = await Target.ResolveAsync(target, cancellationToken);
        var peer = new IPEndPoint(address, target.Port);
        var progress = json ? console.Error : console.Out;
        var started = Stopwatch.GetTimestamp();
        await progress.WriteLineAsync($"Probing how long the path to {target} ({peer}) keeps an idle flow, up to {KeepAliveDuration.Format(search.Max)}: silent connections, then one byte each; no ACK or a RST means the flow was forgotten.");
        try
        {
            while (search.NextRound() is { Count: > 0 } silences)
            {
                await RoundAsync(peer, target, silences, search, progress, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (json && cancellationToken.IsCancellationRequested)
        {
            // The text showed each probe as it came; the JSON, written at the end, would be missing: it holds what was
            // measured until then, marked cancelled (the search did not end, so no bound is final).
            var stopped = ToolApp.Stopped("probe-idle", $"the search did not end, and the JSON holds the {Units.Count(search.Outcomes.Count, "probe")} measured until then");
            await console.Error.WriteLineAsync(stopped);
            new ProbeIdleResult(target, peer, search, Stopwatch.GetElapsedTime(started)).WriteJson(console.Out, stopped);
            return ExitCodes.Interrupted;
        }

        var result = new ProbeIdleResult(target, peer, search, Stopwatch.GetElapsedTime(started));
        if (json)
        {
            result.WriteJson(console.Out);
            if (result.NothingToJudge is { } nothing)
            {
                await console.Error.WriteLineAsync(nothing);
            }
        }
        else
        {
            result.WriteText(console.Out);
        }

        return result.NothingToJudge is not null ? ExitCodes.NothingToJudge : result.IdleTimeout is null ? ExitCodes.Fine : ExitCodes.Finding;
    }

    /// <summary>Holds one connection per silence at once; a forgotten one cancels the longer ones (they would be forgotten too).</summary>
    private static async Task RoundAsync(IPEndPoint peer, HostAndPort target, IReadOnlyList<TimeSpan> silences, IdleSearch search, TextWriter progress, CancellationToken cancellationToken)
    {
        var probes = new List<IdleProbe>();
        try
        {
            foreach (var silence in silences)
            {
                probes.Add(await IdleProbe.ConnectAsync(peer, target, cancellationToken));
            }

            // Announced once every connection is made: a refused port is refused before any round is said to start.
            await progress.WriteLineAsync($"Round {search.Rounds}: {Units.Count(silences.Count, "connection")} silent for {string.Join(", ", silences.Select(static s => Units.Time(s)))}.");

            var cancels = silences.Select(_ => CancellationTokenSource.CreateLinkedTokenSource(cancellationToken)).ToList();
            var ackBound = AckBound(probes[0]);
            var gate = new Lock();
            var round = Stopwatch.GetTimestamp();
            var running = silences.Select((silence, i) => Task.Run(async () =>
            {
                var outcome = await probes[i].RunAsync(silence, ackBound, cancels[i].Token);
                if (outcome is null)
                {
                    return;
                }

                lock (gate)
                {
                    search.Record(outcome);
                    progress.WriteLine($"  silent {Units.Time(outcome.Silence)}: {outcome.Describe()}");
                    if (!outcome.Survived)
                    {
                        // Forgotten, or the server never goes silent that long: a longer silence would end alike.
                        for (var longer = i + 1; longer < silences.Count; longer++)
                        {
                            cancels[longer].Cancel();
                        }
                    }
                }
            }, CancellationToken.None)).ToList();
            var all = Task.WhenAll(running);
            // Interrupted, the delay ends at once: stop ticking (the probes return as soon as they see it), and start no next round.
            while (await Task.WhenAny(all, Task.Delay(ProgressEvery, cancellationToken)) != all && !cancellationToken.IsCancellationRequested)
            {
                lock (gate)
                {
                    var waiting = running.Count(static t => !t.IsCompleted);
                    progress.WriteLine($"  waiting: {Units.Time(TimeSpan.FromSeconds(Math.Round(Stopwatch.GetElapsedTime(round).TotalSeconds)))} into the round, {Units.Count(waiting, "connection")} still silent (the longest for {Units.Time(silences[^1])}).");
                }
            }

            await all;
            cancels.ForEach(static c => c.Dispose());
            cancellationToken.ThrowIfCancellationRequested();
        }
        finally
        {
            probes.ForEach(static p => p.Dispose());
        }
    }

    private static string? Typed(System.CommandLine.Parsing.CommandResult result, Option option) =>
        result.GetResult(option) is { Tokens: [var typed, ..] } ? typed.Value : null;

    /// <summary>How long an ACK may take: a second, plus a few round trips of a slow path.</summary>
    private static TimeSpan AckBound(IdleProbe probe) =>
        TimeSpan.FromSeconds(1) + (4 * (probe.RoundTrip ?? TimeSpan.Zero));
}
