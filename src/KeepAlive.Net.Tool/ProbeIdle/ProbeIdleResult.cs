using System.Globalization;
using System.Net;
using KeepAlive.Net.Tool.Check;
using KeepAlive.Net.Tool.Cli;

namespace KeepAlive.Net.Tool.ProbeIdle;

/// <summary>What <c>probe-idle</c> found: the bounds on the path's idle timeout, how flows were forgotten, and a profile for it.</summary>
internal sealed class ProbeIdleResult(HostAndPort target, IPEndPoint peer, IdleSearch search, TimeSpan took)
{
    /// <summary>The middle of the bracket, or <see langword="null"/> when nothing was forgotten up to the maximum.</summary>
    public TimeSpan? IdleTimeout => search.UpperBound is { } upper ? (search.LowerBound + upper) / 2 : null;

    /// <summary>Heartbeat:PeerIdleTimeout's floor, as the library declares it: a budget is never longer than measured, so below it there is no profile.</summary>
    private static readonly TimeSpan BudgetFloor = KeepAliveDuration.Parse(Durations.RangeOf<HeartbeatOptions>("Heartbeat:PeerIdleTimeout").Minimum);

    /// <summary>Why there is no profile although the path forgets idle flows, or <see langword="null"/>.</summary>
    public string? NoProfile => search.UpperBound is not null && search.LowerBound < BudgetFloor
        ? $"No profile can keep this flow: it survived at most {Units.AtMost(search.LowerBound)} of silence, under {KeepAliveDuration.Format(BudgetFloor)}, the floor of Heartbeat:PeerIdleTimeout (a budget is never longer than measured). Fix: raise the idle timeout of the server or middlebox, or send the first request as soon as the connection opens."
        : null;

    /// <summary>
    /// Why nothing was measured (exit code <see cref="ExitCodes.NothingToJudge"/>): the server closed the connections at
    /// once, or kept sending data so that none went silent; or <see langword="null"/>.
    /// </summary>
    public string? NothingToJudge => search.ServerTalkedWithin is { } talked
        ? $"Nothing to judge: {target} kept sending data: a connection to it was not silent for {Units.Time(talked)} within twice that ({Probes}{(search.LowerBound > TimeSpan.Zero ? $"; the longest silence kept: {Units.AtMost(search.LowerBound)}" : string.Empty)}). Its own traffic keeps such flows alive on the path, so their idle timeout cannot be measured here. Fix: probe a port behind the same middlebox whose server waits silently for the client (most request/response servers){(talked > IdleSearch.FirstRung ? $", or a --max under {Units.Time(talked)}" : string.Empty)}. Exit code {ExitCodes.NothingToJudge}."
        : search.ClosedAtOnce > 0
        ? $"Nothing to judge: {target} closed the connection at once ({Units.Number(search.ClosedAtOnce)} of {Units.Count(search.Outcomes.Count, "connection")}, each within {Units.Time(search.Outcomes.Where(static o => o.Verdict == ProbeVerdict.ClosedAtOnce).Max(static o => o.Silence))} of its last packet, under {Units.Time(IdleProbe.AtOnce)} plus two round trips): not an idle timeout, so none was measured. The server turns connections away: nothing listens behind a proxy or port forward, or it refuses this client or is full. Fix: check that {target} is the service you mean and that it accepts this client{(search.Outcomes.Any(static o => o.Survived) ? "; some connections held their silence, so it may limit connections per client: try --connections 1" : string.Empty)}, then run probe-idle again. Exit code {ExitCodes.NothingToJudge}."
        : null;

    public ProfileSuggestion? Suggestion => search.UpperBound is null || NoProfile is not null ? null : ProfileSuggestion.For(search.LowerBound);

    public void WriteText(TextWriter output)
    {
        if (NothingToJudge is { } nothing)
        {
            output.WriteLine(nothing);
            return;
        }

        if (search.UpperBound is not { } upper)
        {
            output.WriteLine($"Result: nothing on the path to {target} forgot an idle flow for up to {Units.AtMost(search.LowerBound)} (the longest silence tried; {Probes}). Try a longer --max to look further.");
            return;
        }

        output.WriteLine($"Result: the path to {target} forgets an idle flow after {Units.AtMost(search.LowerBound)} to {Units.AtLeast(upper)} of silence (about {Units.Time(IdleTimeout)}): {How(search.ForgottenBy)}. {Probes}.");
        if (search.Inconsistent > 0)
        {
            output.WriteLine($"Note: {Units.Count(search.Inconsistent, "connection")} survived longer silences than {Units.AtMost(upper)}: the path does not forget at one fixed time (several middleboxes, or a lost segment).");
        }

        if (Suggestion is not { } suggestion)
        {
            output.WriteLine(NoProfile);
            return;
        }

        output.WriteLine(suggestion.Refused is null
            ? $"Suggested profile (checked by the library's validation; {KeptBy(suggestion)}):"
            : $"A profile for it (the library refuses it as it is: {suggestion.Refused}):");
        output.WriteLine(suggestion.Json());
    }

    /// <summary>How many probes in how many rounds, and how long they took.</summary>
    private string Probes => $"{Units.Count(search.Outcomes.Count, "probe")} in {Units.Count(search.Rounds, "round")}, {Units.Time(TimeSpan.FromSeconds(Math.Round(took.TotalSeconds, 1)))}";

    /// <summary>Writes <c>--json</c>; every time as a <see cref="TimeSpan"/>, to the millisecond, so a bound reads as the outcome it comes from.</summary>
    /// <param name="output">Where to write.</param>
    /// <param name="stopped">For a run stopped by Ctrl-C or SIGTERM, the line that says so (<see cref="ToolApp.WriteCancelled"/>); else <see langword="null"/>.</param>
    public void WriteJson(TextWriter output, string? stopped = null) => JsonOutput.Write(output, json =>
    {
        if (stopped is not null)
        {
            ToolApp.WriteCancelled(json, stopped);
        }
        else
        {
            json.WriteBoolean("cancelled", false);
        }

        json.WriteString("target", target.ToString());
        json.WriteString("address", peer.ToString());
        json.Seconds("idleTimeout", IdleTimeout);
        json.Seconds("lowerBound", search.LowerBound);
        json.Seconds("upperBound", search.UpperBound);
        json.WriteNumber("probes", search.Outcomes.Count);
        json.WriteNumber("rounds", search.Rounds);
        json.StringOrNull("forgottenBy", search.ForgottenBy is { } forgotten ? JsonName(forgotten) : null);
        json.Seconds("serverTalkedWithin", search.ServerTalkedWithin);
        json.WriteNumber("closedAtOnce", search.ClosedAtOnce);
        json.Seconds("max", search.Max);
        json.Seconds("resolution", search.Resolution);
        json.WriteNumber("inconsistent", search.Inconsistent);
        json.Seconds("took", took);
        json.WriteStartArray("outcomes");
        foreach (var outcome in search.Outcomes.OrderBy(static o => o.Silence))
        {
            json.WriteStartObject();
            json.Seconds("silence", outcome.Silence);
            json.WriteString("verdict", JsonName(outcome.Verdict));
            json.WriteEndObject();
        }

        json.WriteEndArray();
        if (Suggestion is { } suggestion)
        {
            json.WriteStartObject("suggestedProfile");
            json.WriteStartObject("Tcp");
            if (suggestion.Tcp is { } tcp)
            {
                json.WriteString("IdleTime", KeepAliveDuration.Format(tcp.IdleTime));
                json.WriteString("Interval", KeepAliveDuration.Format(tcp.Interval));
                json.WriteNumber("ProbeCount", tcp.ProbeCount);
            }
            else
            {
                json.WriteBoolean("Enabled", false);
            }

            json.WriteEndObject();
            json.WriteStartObject("Heartbeat");
            json.WriteString("Interval", KeepAliveDuration.Format(suggestion.HeartbeatInterval));
            json.WriteString("PeerIdleTimeout", KeepAliveDuration.Format(suggestion.PeerIdleTimeout));
            json.WriteEndObject();
            json.WriteEndObject();
            json.StringOrNull("suggestionRefused", suggestion.Refused);
        }
        else
        {
            json.WriteNull("suggestedProfile");
            json.StringOrNull("suggestionRefused", NoProfile);
        }
    });

    /// <summary>
    /// What keeps the flow with the suggested profile. A server's own idle timeout counts what its application reads,
    /// which the kernel's keep-alive probes are not: only the heartbeat keeps such a connection.
    /// </summary>
    private string KeptBy(ProfileSuggestion suggestion) =>
        search.ForgottenBy == ProbeVerdict.ClosedByServer
            ? "the server closes idle connections itself, and OS keep-alive probes carry nothing its application reads, so only the heartbeat, every third of the timeout, keeps them open"
            : suggestion.Tcp is null
                ? KeepAliveSuggestion.TooShort(new PeerIdleTimeout(suggestion.PeerIdleTimeout))
                : "OS keep-alive beats the timeout, the heartbeat keeps a third of it";

    /// <summary>A verdict as the JSON names it, in <c>forgottenBy</c> and in each outcome alike.</summary>
    private static string JsonName(ProbeVerdict verdict) => verdict switch
    {
        ProbeVerdict.Alive => "alive",
        ProbeVerdict.Dropped => "silence",
        ProbeVerdict.Reset => "reset",
        ProbeVerdict.ServerTalks => "server-talks",
        ProbeVerdict.ClosedAtOnce => "closed-at-once",
        _ => "server-fin",
    };

    private static string How(ProbeVerdict? verdict) => verdict switch
    {
        ProbeVerdict.Reset => "the first segment after that was answered with a RST (a load balancer such as AWS NLB, or the server, forgot the flow and resets it)",
        ProbeVerdict.ClosedByServer => "the server itself closes connections idle that long (FIN)",
        _ => "the first segment after that got no ACK (something on the path, a NAT or stateful firewall, forgot the flow and drops it silently)",
    };
}
