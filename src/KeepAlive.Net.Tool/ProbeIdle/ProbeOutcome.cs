namespace KeepAlive.Net.Tool.ProbeIdle;

/// <summary>What became of one silent connection.</summary>
internal enum ProbeVerdict
{
    /// <summary>The segment sent after the silence was acknowledged: the path still knew the flow.</summary>
    Alive,

    /// <summary>Nothing acknowledged the segment within the bound: a middlebox dropped it silently.</summary>
    Dropped,

    /// <summary>The segment was answered with a RST: something that forgot the flow reset it.</summary>
    Reset,

    /// <summary>The server closed the connection (FIN) while it was silent: the server's own idle timeout.</summary>
    ClosedByServer,

    /// <summary>
    /// The server closed the connection (FIN or RST) at once, before any idle period worth the name
    /// (<see cref="IdleProbe.AtOnce"/>): it turns connections away, which is not an idle timeout.
    /// </summary>
    ClosedAtOnce,

    /// <summary>The server kept sending data, so the connection was never silent that long: its own traffic keeps the flow alive, and the silence tells nothing.</summary>
    ServerTalks,
}

/// <summary>One probe: how long the connection was really silent, and what answered the segment after it.</summary>
/// <param name="Planned">The silence the search asked for.</param>
/// <param name="Silence">The silence measured (at least <paramref name="Planned"/>; for a close by the server, until its FIN).</param>
/// <param name="Verdict">What happened.</param>
internal sealed record ProbeOutcome(TimeSpan Planned, TimeSpan Silence, ProbeVerdict Verdict)
{
    /// <summary>Gets a value indicating whether the path or the server forgot the flow after this silence.</summary>
    public bool Forgotten => Verdict is ProbeVerdict.Dropped or ProbeVerdict.Reset or ProbeVerdict.ClosedByServer;

    /// <summary>Gets a value indicating whether the flow outlived this silence.</summary>
    public bool Survived => Verdict == ProbeVerdict.Alive;

    public string Describe() => Verdict switch
    {
        ProbeVerdict.Alive => "still known (acknowledged)",
        ProbeVerdict.Dropped => "forgotten: no ACK (dropped silently)",
        ProbeVerdict.Reset => "forgotten: answered with a RST",
        ProbeVerdict.ServerTalks => "never silent that long: the server kept sending data",
        ProbeVerdict.ClosedAtOnce => "closed by the server at once, before any idle period: not an idle timeout",
        _ => "closed by the server (FIN) while silent",
    };
}
