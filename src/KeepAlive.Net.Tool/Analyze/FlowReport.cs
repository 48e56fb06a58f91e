namespace KeepAlive.Net.Tool.Analyze;

/// <summary>What one TCP flow in a capture shows; serialized as one element of <c>flows</c> in <c>analyze --json</c>.</summary>
internal sealed record FlowReport
{
    public required string Client { get; init; }

    public required string Server { get; init; }

    /// <summary>Gets a value indicating whether <see cref="Client"/> and <see cref="Server"/> are guessed (no handshake in the capture) rather than known from the SYN.</summary>
    public bool RolesGuessed { get; init; }

    /// <summary>Gets how <see cref="Client"/> and <see cref="Server"/> were told apart: the handshake, or the guess and its basis.</summary>
    public string RolesBasis { get; init; } = string.Empty;

    public required int Packets { get; init; }

    public required int KeepAliveProbes { get; init; }

    public required int KeepAliveAcks { get; init; }

    /// <summary>
    /// The side whose segments alone the capture holds ("client" or "server"), or <see langword="null"/> when it holds
    /// both: its segments acknowledge the other side's, none of which was captured (a filter such as <c>src host</c>, a
    /// mirror port that sees one way). No answer can show in such a capture, so none is counted as missing.
    /// </summary>
    public string? OnlyFrom { get; init; }

    /// <summary>
    /// Probes the other side answered (with anything but a RST): <see cref="KeepAliveProbes"/> minus this is
    /// <see cref="UnansweredProbes"/>; <see langword="null"/> when the capture holds one direction (<see cref="OnlyFrom"/>).
    /// </summary>
    public required int? AnsweredProbes { get; init; }

    /// <summary>Frame numbers of the probes, comparable with tshark's <c>tcp.analysis.keep_alive</c>.</summary>
    public required IReadOnlyList<long> ProbeFrames { get; init; }

    /// <summary>Frame numbers of the probes sent into a zero window: the other side stopped reading (tshark calls Linux's <c>tcp.analysis.keep_alive</c>).</summary>
    public IReadOnlyList<long> ZeroWindowProbeFrames { get; init; } = [];

    /// <summary>The median time between unanswered probes in a row: the kernel's probe interval.</summary>
    public double? ProbeInterval { get; init; }

    /// <summary>How long the prober had heard nothing when it sent its first probe: the kernel's idle time.</summary>
    public double? FirstProbeAfterIdle { get; init; }

    /// <summary>Probes that got no answer: <see cref="KeepAliveProbes"/> minus <see cref="AnsweredProbes"/> (<see langword="null"/> when that is).</summary>
    public int? UnansweredProbes => KeepAliveProbes - AnsweredProbes;

    /// <summary>The longest run of probes in a row that got no answer (the prober's count, when the flow died); <see langword="null"/> with <see cref="OnlyFrom"/>.</summary>
    public int? UnansweredInARow { get; init; }

    public required double MaxDataGap { get; init; }

    /// <summary>The longest time without any packet in either direction.</summary>
    public required double MaxSilence { get; init; }

    public required IReadOnlyList<LateHeartbeat> LateHeartbeats { get; init; }

    public required string End { get; init; }

    /// <summary>Who sent the FIN or RST that ended the flow ("client" or "server"), or <see langword="null"/> when open.</summary>
    public string? EndedBy { get; init; }

    public double? EndAfterIdle { get; init; }

    /// <summary>Segments at the end of the capture that the other side never answered (retransmissions or probes into silence); <see langword="null"/> with <see cref="OnlyFrom"/>.</summary>
    public int? UnansweredAtEnd { get; init; }

    /// <summary>For an open flow that went silent: how long it had been idle before the first unanswered segment.</summary>
    public double? SilenceAfterIdle { get; init; }

    public int Retransmissions { get; init; }

    /// <summary>For a flow reset in answer to segments sent after a silence (forgotten, then reset): that silence.</summary>
    public double? ResetAfterIdle { get; init; }

    /// <summary>Who sent that RST: "middlebox" when its TTL differs from the endpoint's own segments, else "server" or "client" (or a middlebox as far away).</summary>
    public string? ResetBy { get; init; }

    /// <summary>The TTL of the RST that ended the flow, and the TTL its sender's other segments had.</summary>
    public (int Reset, int? Usual)? ResetTtl { get; init; }

    /// <summary>HTTP/2 or WebSocket keep-alive and shutdown frames, when the flow carries either in clear.</summary>
    public Application.KeepAliveFrames? Application { get; init; }

    public required bool Finding { get; init; }

    public required string Verdict { get; init; }
}
