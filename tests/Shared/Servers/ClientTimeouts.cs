namespace KeepAlive.Net.Tests.TestSupport;

/// <summary>How long the tests give a client (Redis, PostgreSQL, NATS) to connect, declared once for every test that connects.</summary>
internal static class ClientTimeouts
{
    /// <summary>
    /// 30 s, for a loaded 2-core CI machine: no test measures the connect (a test that does bounds it itself), and 5 s was once
    /// too short (CI, 2026-12-06: StackExchange.Redis "It was not possible to connect to the redis server(s)" on loopback,
    /// while other test classes ran; NATS.Net's first TLS handshake of a process once took over 5 s).
    /// </summary>
    public const int ConnectSeconds = 30;

    /// <summary>The connect timeout in milliseconds, for the clients that take it so (StackExchange.Redis ConnectTimeout).</summary>
    public const int ConnectMs = ConnectSeconds * 1000;

    /// <summary>The connect timeout as a <see cref="TimeSpan"/>; also how long a test waits for a connection it does not measure.</summary>
    public static readonly TimeSpan Connect = TimeSpan.FromSeconds(ConnectSeconds);
}
