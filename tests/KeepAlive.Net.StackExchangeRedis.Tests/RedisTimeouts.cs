namespace KeepAlive.Net.StackExchangeRedis.Tests;

/// <summary>The time these tests give StackExchange.Redis to connect, declared once for every test that connects.</summary>
internal static class RedisTimeouts
{
    /// <summary>
    /// 30 s, for a loaded 2-core CI machine: no test here measures the connect, and 5 s was once too short for the handshake
    /// (CI, 2026-12-06: "It was not possible to connect to the redis server(s)" on loopback, while other test classes ran).
    /// </summary>
    public const int ConnectMs = 30_000;
}
