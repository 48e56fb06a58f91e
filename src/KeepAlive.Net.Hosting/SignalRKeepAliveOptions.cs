namespace KeepAlive.Net.Hosting;

/// <summary>
/// The SignalR layer of a keep-alive profile (the <c>SignalR</c> section): SignalR's own keep-alive messages and timeouts,
/// for the client (<c>hubConnectionBuilder.UseKeepAlive</c>, KeepAlive.Net.SignalR) and the server
/// (<c>services.AddSignalR().UseKeepAlive</c>, KeepAlive.Net.AspNetCore). Every value is optional and overrides the
/// fixed mapping from the <c>Heartbeat</c> section: <c>Heartbeat:Interval</c> is the keep-alive interval on both sides,
/// <c>Heartbeat:Timeout</c> the client's <c>ServerTimeout</c> and the hub's <c>ClientTimeoutInterval</c>. What neither
/// section sets keeps SignalR's defaults (15 s and 30 s). A plain type: Hosting does not depend on SignalR.
/// </summary>
public class SignalRKeepAliveOptions
{
    private const string Floor = "SignalR sends its keep-alive message from a timer on the thread pool; faster only adds traffic, no middlebox forgets a flow that fast.";
    private const string TimeoutFloor = "the timeout must cover at least two keep-alive intervals, and intervals start at 1s.";
    private const string TimeoutCeiling = "a peer silent for an hour is long dead; the kernel's keep-alive (the Tcp section) finds it sooner.";

    /// <summary>Gets or sets how often each side sends a SignalR ping message when it has sent nothing else (client and hub <c>KeepAliveInterval</c>).</summary>
    /// <value>The default value is <see langword="null"/>: <c>Heartbeat:Interval</c> when the profile sets it, else SignalR's 15 seconds.</value>
    [KeepAliveRange("1s", "1h", Example = "15s", MinimumReason = Floor,
        MaximumReason = "the longest common middlebox idle timeout is 20m; rarer keep-alive messages keep nothing alive.")]
    public TimeSpan? KeepAliveInterval { get; set; }

    /// <summary>Gets or sets how long the client waits for any message from the hub before it closes the connection (client <c>ServerTimeout</c>). At least twice <see cref="KeepAliveInterval"/>.</summary>
    /// <value>The default value is <see langword="null"/>: <c>Heartbeat:Timeout</c> when the profile sets it, else SignalR's 30 seconds.</value>
    [KeepAliveRange("1s", "1h", Example = "30s", MinimumReason = TimeoutFloor, MaximumReason = TimeoutCeiling)]
    public TimeSpan? ServerTimeout { get; set; }

    /// <summary>Gets or sets how long the hub waits for any message from a client before it closes the connection (hub <c>ClientTimeoutInterval</c>). At least twice <see cref="KeepAliveInterval"/>.</summary>
    /// <value>The default value is <see langword="null"/>: <c>Heartbeat:Timeout</c> when the profile sets it, else SignalR's 30 seconds.</value>
    [KeepAliveRange("1s", "1h", Example = "30s", MinimumReason = TimeoutFloor, MaximumReason = TimeoutCeiling)]
    public TimeSpan? ClientTimeoutInterval { get; set; }
}
