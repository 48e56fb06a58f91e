using KeepAlive.Net.Hosting.Configuration;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>
/// The sane range of every duration in a profile, and why. These are stricter than what the kernel or the scheduler
/// would take: they refuse values nobody means (a heartbeat every tick, a user timeout of days) at start-up and reload.
/// </summary>
internal static class ProfileDurationLimits
{
    private const string WholeSeconds = "the kernel counts keep-alive times in whole seconds, so 1 s is the earliest it can probe.";

    public static readonly DurationLimits TcpIdleTime = new(
        TimeSpan.FromSeconds(1), WholeSeconds,
        TimeSpan.FromHours(2), "the kernel's own default is 2 h, and middleboxes forget idle flows within minutes (AWS ALB 60 s, GCP Cloud NAT 20 min), so a longer idle time protects nothing.",
        "30s");

    public static readonly DurationLimits TcpInterval = new(
        TimeSpan.FromSeconds(1), WholeSeconds,
        TimeSpan.FromHours(1), "each unanswered probe waits one interval, so a dead peer would go unnoticed for hours.",
        "10s");

    public static readonly DurationLimits TcpUserTimeout = new(
        TimeSpan.FromSeconds(1), "a shorter TCP_USER_TIMEOUT aborts healthy connections on the first lost segment (a retransmission waits at least 200 ms, often about 1 s).",
        TimeSpan.FromHours(1), "the kernel's own retransmission limit gives up after about 15 min; a longer user timeout only keeps a dead connection around longer.",
        "45s")
    {
        ZeroMeans = "keeps the operating system's default",
    };

    public static readonly DurationLimits HeartbeatInterval = new(
        TimeSpan.FromMilliseconds(100), "every heartbeat wakes a scheduler thread and sends a packet; faster than 10 a second burns CPU (an interval of one tick kept a core busy with 56,000 heartbeats in 2 s) and no middlebox forgets a flow that fast.",
        TimeSpan.FromHours(1), "the longest common middlebox idle timeout is GCP Cloud NAT's 20 min, so a rarer heartbeat keeps nothing alive.",
        "10s");

    public static readonly DurationLimits HeartbeatTimeout = new(
        TimeSpan.FromMilliseconds(100), "the peer must have time to answer at least one heartbeat, and heartbeats are at least 100 ms apart.",
        TimeSpan.FromDays(1), "a peer silent for more than a day is long dead; liveness that slow detects nothing.",
        "30s");

    public static readonly DurationLimits PeerIdleTimeout = new(
        TimeSpan.FromSeconds(1), "no peer or middlebox forgets a flow in under a second, and heartbeats must be a fraction of it.",
        TimeSpan.FromDays(1), "no middlebox keeps an idle flow for a day (GCP Cloud NAT, the longest preset, forgets after 20 min).",
        "350s");

    public static readonly DurationLimits DriftWarningThreshold = new(
        TimeSpan.FromMilliseconds(1), "lateness below a millisecond is ordinary scheduling noise; a warning for it would flood the log.",
        TimeSpan.FromHours(1), "a heartbeat an hour late has long lost its connection; warn well before that.",
        "1s");

    public static readonly DurationLimits Jitter = new(
        TimeSpan.Zero, "a negative jitter would fire heartbeats early.",
        TimeSpan.FromHours(1), "jitter must stay below the interval, and intervals are at most 1 h.",
        "100ms");

    public static readonly DurationLimits BlockedCallbackThreshold = new(
        TimeSpan.FromMilliseconds(1), "every send takes some microseconds; below a millisecond every send would be reported as blocked.",
        TimeSpan.FromHours(1), "a send blocked for an hour has long lost its connection; report it well before that.",
        "1s");
}
