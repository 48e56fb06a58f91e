using System.Globalization;
using KeepAlive.Net.Tool.Analyze.Application;
using KeepAlive.Net.Tool.Cli;

namespace KeepAlive.Net.Tool.Analyze;

/// <summary>Turns what a walk through a flow collected into its report and a verdict in plain words.</summary>
internal static class FlowVerdict
{
    // Below this, a RST answering the first segment after a pause is no idle timeout's: none is shorter than a second.
    private const double MinimumForgottenSilence = 1.0;

    /// <param name="walk">What the walk through the flow collected.</param>
    /// <param name="frames">Its HTTP/2 or WebSocket keep-alive frames, or <see langword="null"/>.</param>
    /// <param name="client">The client's address and port.</param>
    /// <param name="server">The server's address and port.</param>
    /// <param name="packets">The flow's segments.</param>
    /// <param name="settings">The heartbeat interval and idle timeout given.</param>
    /// <param name="captureEnd">The time of the capture's last segment, in seconds from its first frame.</param>
    /// <param name="onlyFrom">The side whose segments alone the capture holds, or <see langword="null"/> when it holds both directions.</param>
    public static FlowReport Build(FlowWalk walk, KeepAliveFrames? frames, string client, string server, int packets, AnalysisSettings settings, double captureEnd, System.Net.IPEndPoint? onlyFrom)
    {
        // One direction captured: no answer could show, so none that is missing says anything of the peer.
        var oneWay = onlyFrom is not null;
        var late = LateHeartbeats(walk, settings.HeartbeatInterval);
        var end = walk.End is null ? "open" : walk.End.Has(TcpFlags.Rst) ? "rst" : "fin";
        double? endAfterIdle = walk.End is { } last ? last.Time - LastDataBefore(walk, last) : null;
        // Gone silent: the sender repeated itself unanswered; segments of a burst the capture ended on are no silence.
        // Captured one way, only the sender's own word counts: the same segment retransmitted again and again to the end.
        var silent = end == "open" && (oneWay ? walk.RetransmittedAtEnd >= 2 : walk.Unanswered >= 2 && walk.UnansweredRepeats);
        // Silent from its SYN on (the connect and its retransmissions): no connection was ever made, so none was forgotten.
        var unansweredSyn = silent && !oneWay && walk.FirstUnanswered is { } first && first.Has(TcpFlags.Syn) && !first.Has(TcpFlags.Ack) ? first : null;
        var parts = new List<string>();
        var finding = false;
        var idleTimeout = settings.IdleTimeout?.TotalSeconds;

        // The idle time of the prober the verdict is about: when both sides probe, the one whose probes went unanswered.
        var deadPeer = oneWay ? null : DeadPeer(walk, end, captureEnd);
        var firstProbeAfterIdle = deadPeer is { } dead ? walk.FirstProbeAfterIdleOf(dead) : walk.FirstProbeAfterIdle;
        var afterLast = captureEnd - (walk.LastTime ?? captureEnd);
        if (onlyFrom is { } only)
        {
            var judged = silent ? "its answers cannot be seen" : Text($"whether the {walk.NamedOther(only)} answered, and so whether it is alive, cannot be judged");
            parts.Add(Text($"the capture holds one direction of this flow only, the {walk.Named(only)}'s: its segments acknowledge the {walk.NamedOther(only)}'s, and none of those was captured (a filter such as 'src host', or a mirror port that sees one way), so {judged}, and the gaps and silences are the {walk.Named(only)}'s alone. Fix: capture both directions, e.g. 'tcpdump -i any -w FILE tcp port {server.Split(':')[^1]}'"));
        }

        if (deadPeer is { } prober)
        {
            finding = true;
            // The capture, not the prober, stopped when it ends before the next probe was due: the count is a floor.
            var captureStopped = end == "open" && CaptureStoppedWhileProbing(walk, captureEnd, prober);
            var lateAnswer = walk.LateAnswer is { } answer
                ? Text($"; the {walk.NamedOther(prober)} answered (frame {answer.Frame}) {Units.Seconds(answer.Time - walk.End!.Time)} after that reset: it was alive, but its answers came later than the {walk.Named(prober)}'s keep-alive waits (idle plus count times interval), or the path delayed or lost them")
                : string.Empty;
            var how = end == "rst"
                ? Text($"its kernel reset the connection {Units.Seconds(endAfterIdle)} after the last data{lateAnswer}")
                : captureStopped
                    ? Text($"the capture ended {Units.Seconds(afterLast)} after the last probe, before the next was due: the kernel was still probing (Linux resets the connection when it gives up)")
                    : Text($"the probes stopped {Units.Seconds(walk.End is null && walk.LastTime is { } t && walk.LastDataTime is { } d ? t - d : null)} after the last data: the kernel gave up");
            parts.Add(Text($"dead peer: {Units.Count(walk.MaxUnansweredProbes, "keep-alive probe")} from the {walk.Named(prober)} went unanswered and {how} (implies idle {Units.Seconds(firstProbeAfterIdle)}, interval {Units.Seconds(walk.ProbeInterval)}, count {(captureStopped ? "at least " : string.Empty)}{walk.MaxUnansweredProbes})"));
        }
        else if (end == "rst")
        {
            finding = true;
            parts.Add(Reset(walk, endAfterIdle, idleTimeout));
        }
        else if (unansweredSyn is { } syn)
        {
            finding = true;
            parts.Add(Text($"connection never established: the {walk.Named(syn.Source)}'s SYN (frame {syn.Frame}) went unanswered, {walk.Unanswered} times over {Units.Seconds(walk.LastTime - syn.Time)} (the kernel's retransmissions): nothing at {syn.Destination} answered, so a firewall drops it, the host is down or unreachable, or its listener's accept queue is full"));
        }
        else if (silent && oneWay)
        {
            finding = true;
            var retransmitted = walk.FirstRetransmittedAtEnd!;
            parts.Add(Text($"went silent: the {walk.Named(retransmitted.Source)} retransmitted the same segment {walk.RetransmittedAtEnd} times until the capture ended (frames {retransmitted.Frame} to {walk.LastFrame}, over {Units.Seconds(walk.LastTime - retransmitted.Time)}): its kernel got no acknowledgment, its own word even in a capture of one direction, so the {walk.NamedOther(retransmitted.Source)}, or a middlebox such as a NAT or load balancer, forgot the connection, or the path broke"));
        }
        else if (silent && walk.MaxUnansweredProbes == 0)
        {
            finding = true;
            var beyond = idleTimeout is { } t && walk.SilenceBeforeUnanswered >= t
                ? Text($" (longer than the idle timeout of {Units.Seconds(t)})")
                : string.Empty;
            parts.Add(Text($"went silent: {walk.Unanswered} segments from the {walk.Named(walk.UnansweredFrom!)} sent after {Units.Seconds(walk.SilenceBeforeUnanswered)} idle{beyond} were never answered: the peer, or a middlebox such as a NAT or load balancer, forgot the connection"));
        }

        if (late.Count > 0)
        {
            finding = true;
            var worst = late.MaxBy(static l => l.Gap)!;
            parts.Add(Text($"{late.Count} late heartbeat{(late.Count == 1 ? string.Empty : "s")}: the worst left at {Units.Seconds(worst.At)} from {worst.From}, {Units.Seconds(worst.Gap)} after the previous data ({Units.Seconds(worst.Late)} late for a {Units.Seconds(settings.HeartbeatInterval!.Value.TotalSeconds)} interval)"));
        }

        if (idleTimeout is { } timeout && walk.MaxSilence >= timeout && !silent && end != "rst" && !oneWay)
        {
            finding = true;
            parts.Add(Text($"the flow was silent for {Units.Seconds(walk.MaxSilence)}, at least the idle timeout of {Units.Seconds(timeout)}"));
        }

        // Silent from its last segment while the capture went on: a middlebox with that timeout has forgotten it since.
        if (idleTimeout is { } limit && end == "open" && !silent && deadPeer is null && !oneWay && captureEnd - walk.LastTime >= limit)
        {
            finding = true;
            parts.Add(Text($"the flow was silent for {Units.Seconds(captureEnd - walk.LastTime)} from its last segment (frame {walk.LastFrame}) to the end of the capture, at least the idle timeout of {Units.Seconds(limit)}: a middlebox with that timeout has forgotten it, so its next segment is dropped or reset"));
        }

        if (frames is not null)
        {
            finding |= frames.Finding;
            parts.Add(frames.Describe());
        }

        if (walk.ZeroWindowProber is { } windowProber)
        {
            finding = true;
            parts.Add(Text($"the {walk.NamedOther(windowProber)} stopped reading: its receive window is zero ({Units.Count(walk.ZeroWindowProbeFrames.Count, "zero-window probe")} from the {walk.Named(windowProber)}, the first at frame {walk.ZeroWindowProbeFrames[0]}): its application does not read its socket, so the flow is stalled, not idle"));
        }

        if (walk.ProbeFrames.Count > 0 && onlyFrom is { } sender)
        {
            parts.Add(Text($"{Units.Count(walk.ProbeFrames.Count, "keep-alive probe")} from the {walk.Named(sender)}, their answers not in the capture"));
        }
        else if (walk.ProbeFrames.Count > 0 && deadPeer is null)
        {
            var cut = end == "open" && walk.TrailingUnansweredProbes > 0
                ? Text($"; the capture ended {Units.Seconds(afterLast)} after the last probe, before its answer or the next probe, so it shows nothing of the peer")
                : string.Empty;
            parts.Add(Text($"{Units.Count(walk.ProbeFrames.Count, "keep-alive probe")}, {walk.AnsweredProbes} answered, {walk.ProbeFrames.Count - walk.AnsweredProbes} unanswered (first after {Units.Seconds(walk.FirstProbeAfterIdle)} idle){cut}"));
        }

        if (end == "fin")
        {
            parts.Add(Text($"closed with FIN by the {walk.Named(walk.End!.Source)}"));
        }
        else if (end == "open" && !silent)
        {
            parts.Add("still open at the end of the capture");
        }

        var maxGap = MaxDataGap(walk);
        return new FlowReport
        {
            Client = client,
            Server = server,
            Packets = packets,
            KeepAliveProbes = walk.ProbeFrames.Count,
            KeepAliveAcks = walk.ProbeAnswers,
            ProbeFrames = walk.ProbeFrames,
            ZeroWindowProbeFrames = walk.ZeroWindowProbeFrames,
            ProbeInterval = oneWay ? null : walk.ProbeInterval,
            FirstProbeAfterIdle = firstProbeAfterIdle,
            AnsweredProbes = oneWay ? null : walk.AnsweredProbes,
            UnansweredInARow = oneWay ? null : walk.MaxUnansweredProbes,
            MaxDataGap = maxGap,
            MaxSilence = walk.MaxSilence,
            LateHeartbeats = late,
            End = end,
            EndedBy = walk.End is { } e ? walk.Side(e.Source) : null,
            EndAfterIdle = endAfterIdle,
            UnansweredAtEnd = oneWay ? null : walk.Unanswered,
            OnlyFrom = onlyFrom is { } from ? walk.Side(from) : null,
            SilenceAfterIdle = silent && !oneWay && unansweredSyn is null ? walk.SilenceBeforeUnanswered : null,
            Retransmissions = walk.Retransmissions,
            ResetAfterIdle = walk.ResetAnswer?.Silence,
            ResetBy = end != "rst" || deadPeer is not null ? null
                : walk.ResetAnswer is { FromAnotherDevice: true } ? "middlebox" : walk.Side(walk.End!.Source),
            ResetTtl = end == "rst" ? (walk.End!.Ttl, walk.UsualTtl(walk.IsClient(walk.End.Source))) : null,
            Application = frames,
            Finding = finding,
            Verdict = (finding ? "FINDING: " : "ok: ") + string.Join("; ", parts),
        };
    }

    /// <summary>
    /// A RST that ended the flow. When it answered the first segments after a silence, the flow had been forgotten: by a
    /// middlebox when the RST's TTL differs from the endpoint's own segments (another device sent it), else by the
    /// endpoint or a middlebox as many hops away. A RST out of the blue is the endpoint (or a middlebox) closing.
    /// </summary>
    private static string Reset(FlowWalk walk, double? endAfterIdle, double? idleTimeout)
    {
        var rst = walk.End!;
        var side = walk.Named(rst.Source);
        var usual = walk.UsualTtl(walk.IsClient(rst.Source));
        if (walk.RefusedSyn is { } syn)
        {
            return Text($"connection refused: the {side} answered the {walk.Named(syn.Source)}'s SYN (frame {syn.Frame}) with a RST (frame {rst.Frame}): nothing listened on port {rst.Source.Port}, or a firewall refused it");
        }

        if (walk.ResetAnswer is not { } answer)
        {
            var beyond = idleTimeout is { } t && endAfterIdle >= t
                ? Text($", longer than the idle timeout of {Units.Seconds(t)}: the signature of a middlebox or peer idle timeout")
                : string.Empty;
            var ttl = usual is { } u && rst.Ttl > 0 && u != rst.Ttl ? Text($" (its TTL {rst.Ttl} differs from the {side}'s {u}: a middlebox sent it)") : string.Empty;
            return Text($"reset by the {side} after {Units.Seconds(endAfterIdle)} without data{ttl}{beyond}");
        }

        if (answer.Silence < MinimumForgottenSilence)
        {
            return Text($"reset by the {side} (frame {rst.Frame}) in answer to the {walk.Named(answer.First.Source)}'s segment (frame {answer.First.Frame}), sent {Units.Seconds(answer.Silence)} after the traffic before it: no silence in which an idle timeout could forget the flow; the {side} (or a middlebox) refused it, as an application that closes with data unread or aborts its socket does");
        }

        var who = answer.FromAnotherDevice
            ? Text($"a middlebox (the RST's TTL {rst.Ttl} differs from the {side}'s {answer.UsualTtl}: another device sent it in the {side}'s name)")
            : Text($"the {side}, or a middlebox as many hops away (the RST's TTL {rst.Ttl} matches the {side}'s)");
        var timeout = idleTimeout is { } limit
            ? answer.Silence >= limit ? Text($", longer than the idle timeout of {Units.Seconds(limit)}") : Text($", shorter than the idle timeout of {Units.Seconds(limit)}")
            : string.Empty;
        var first = answer.First;
        var asked = walk.ProbeFrames.Contains(first.Frame) ? "keep-alive probe" : "segment";
        return Text($"forgotten and reset after {Units.Seconds(answer.Silence)} idle{timeout}: the first {asked} after that silence (frame {first.Frame}, from the {walk.Named(first.Source)}) was answered with a RST (frame {rst.Frame}, {Units.Seconds(rst.Time - first.Time)} later{(answer.Answered > 1 ? Text($", after {answer.Answered} tries") : string.Empty)}) from {who}: what a middlebox that resets flows idle longer than its timeout does (as AWS NLB does)");
    }

    /// <summary>
    /// The prober whose keep-alive probes went unanswered until the flow ended: by the prober's own RST (Linux resets
    /// when it gives up), or with the capture ending on unanswered probes. One unanswered probe the capture ended on
    /// before the next was due is none: its answer may be the very next frame (a capture stopped by a count or a file
    /// rotation), and only the prober's next probe shows the first went unanswered.
    /// </summary>
    private static System.Net.IPEndPoint? DeadPeer(FlowWalk walk, string end, double captureEnd)
    {
        if (walk.TrailingUnansweredProbes == 0 || walk.UnansweredFrom is not { } prober)
        {
            return null;
        }

        return end == "rst" && walk.End!.Source.Equals(prober) ? prober
            : end == "open" && (walk.TrailingUnansweredProbes > 1 || !CaptureStoppedWhileProbing(walk, captureEnd, prober)) ? prober
            : null;
    }

    /// <summary>Whether the capture ended before <paramref name="prober"/>'s next probe was due (within 1.5 probe intervals, or idle times, of the flow's last segment).</summary>
    private static bool CaptureStoppedWhileProbing(FlowWalk walk, double captureEnd, System.Net.IPEndPoint prober) =>
        captureEnd - (walk.LastTime ?? captureEnd) < 1.5 * (walk.ProbeInterval ?? walk.FirstProbeAfterIdleOf(prober) ?? 0);

    private static List<LateHeartbeat> LateHeartbeats(FlowWalk walk, TimeSpan? interval)
    {
        var late = new List<LateHeartbeat>();
        if (interval is not { } period || period <= TimeSpan.Zero)
        {
            return late;
        }

        var seconds = period.TotalSeconds;
        for (var i = 1; i < walk.Data.Count; i++)
        {
            var gap = walk.Data[i].Time - walk.Data[i - 1].Time;
            if (gap >= seconds * AnalysisSettings.LateFactor)
            {
                late.Add(new LateHeartbeat(walk.Data[i].Time, gap, gap - seconds, walk.Data[i].From.ToString(), walk.Data[i].Frame));
            }
        }

        return late;
    }

    private static double MaxDataGap(FlowWalk walk)
    {
        var max = 0.0;
        for (var i = 1; i < walk.Data.Count; i++)
        {
            max = Math.Max(max, walk.Data[i].Time - walk.Data[i - 1].Time);
        }

        return max;
    }

    private static double LastDataBefore(FlowWalk walk, TcpSegment end)
    {
        var before = walk.Data.LastOrDefault(d => d.Frame < end.Frame);
        return before.From is null ? walk.FirstTime : before.Time;
    }

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
