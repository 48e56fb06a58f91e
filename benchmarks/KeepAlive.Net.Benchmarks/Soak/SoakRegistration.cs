namespace KeepAlive.Net.Benchmarks.Soak;

/// <summary>How the soak's connections are registered with their heartbeat.</summary>
internal enum SoakRegistration
{
    /// <summary>All in a tight loop, as after a restart or a reconnect storm: without a spread they would all fall due at one instant.</summary>
    Burst,

    /// <summary>Evenly over one interval (random phases, as connections made over time).</summary>
    Spread,
}
