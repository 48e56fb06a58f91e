namespace KeepAlive.Net.Tool;

/// <summary>The tool's exit codes, a contract for scripts.</summary>
internal static class ExitCodes
{
    /// <summary>Everything looked fine.</summary>
    public const int Fine = 0;

    /// <summary>A finding: a dead or killed connection, a late heartbeat.</summary>
    public const int Finding = 1;

    /// <summary>Bad input: a file that is not a capture or was cut, an unknown host, a refused port, a bad profile.</summary>
    public const int BadInput = 2;

    /// <summary>
    /// Nothing to judge: <c>doctor</c> found no connection it could judge (the process holds no TCP socket, or only
    /// listening, connecting or closed ones), <c>analyze</c> no TCP flow in the capture (or only flows captured one way), <c>probe-idle</c> no silence it
    /// could hold (the server closes its connections at once, or keeps sending data on them). Neither fine (nothing was checked) nor a finding.
    /// </summary>
    public const int NothingToJudge = 3;

    /// <summary>Stopped by Ctrl-C or SIGTERM before the command finished (128 + SIGINT, as a shell reports it).</summary>
    public const int Interrupted = 130;

    /// <summary>
    /// An internal error: the tool failed in a way it does not expect (a bug, not the input). It says so in one line on
    /// standard error, then the stack trace to report (70, EX_SOFTWARE of sysexits.h).
    /// </summary>
    public const int InternalError = 70;

    /// <summary>
    /// Every exit code with its meaning in the words of the root <c>--help</c> ("Exit codes: 0 fine, 1 a finding ..."), in
    /// ascending order: the codes are the constants above, so help never names one they do not.
    /// </summary>
    public static IReadOnlyList<(int Code, string Meaning)> Meanings { get; } =
    [
        (Fine, "fine"),
        (Finding, "a finding (dead or killed connection, late heartbeat, unprotected connection, a path that forgets idle flows)"),
        (BadInput, "bad input"),
        (NothingToJudge, "nothing to judge (doctor: no connection; analyze: no TCP flow, or only flows captured one way; probe-idle: no silence could be held)"),
        (InternalError, "an internal error (a bug: please report it)"),
        (Interrupted, "stopped by Ctrl-C or SIGTERM (check: its hold cut short, no pass)"),
    ];

    /// <summary>Gets <see cref="Meanings"/> as the root <c>--help</c> lists them: "0 fine, 1 a finding (...), ..., 130 stopped by Ctrl-C or SIGTERM (...)".</summary>
    public static string Listed { get; } = string.Join(", ", Meanings.Select(static m => $"{m.Code} {m.Meaning}"));
}
