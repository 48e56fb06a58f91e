namespace KeepAlive.Net.Heartbeats;

/// <summary>Where a registration's heartbeat is; changed with Interlocked so that nothing starts after Dispose.</summary>
internal static class RegistrationState
{
    public const int Scheduled = 0;
    public const int Queued = 1;
    public const int Running = 2;
    public const int Disposed = 3;
}
