using KeepAlive.Net.Benchmarks.Accuracy;

using KeepAlive.Net.Benchmarks.Cost;

namespace KeepAlive.Net.Benchmarks.Soak;

/// <summary>
/// What sends the soak's heartbeats: <c>socket</c> is KeepAlive.Net's built-in socket heartbeat
/// (<see cref="SocketHeartbeat.Create"/>, an asynchronous send from the scheduler); <c>paced</c> the hand-written
/// heartbeat (<see cref="PacedContender"/>); the others are the accuracy contenders (<see cref="Contenders.DriverNames"/>)
/// calling a plain <c>Socket.Send</c> from their callback.
/// </summary>
internal sealed record SoakDriver(string Name, ContenderKind? Kind)
{
    public const string SocketName = "socket";
    public const string PacedName = "paced";
    public const string Names = $"{SocketName}, {PacedName}, {Contenders.DriverNames}";

    public bool IsOurs => Name == SocketName;

    public static SoakDriver Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        SocketName => new SoakDriver(SocketName, null),
        PacedName => new SoakDriver(PacedName, null),
        "scheduler" or "timer" or "periodic" or "delay" => new SoakDriver(name.Trim().ToLowerInvariant(), Contenders.Parse(name.Trim())),
        _ => throw new ArgumentException($"Unknown driver '{name}': use {Names}."),
    };

    public override string ToString() => Name;
}
