using System.Globalization;
using System.Net;

namespace KeepAlive.Net.Tests.TestSupport;

/// <summary>How to start each real server the client packages are tested against, with its own data directory and ports.</summary>
internal static class Servers
{
    public const int RedisPort = 6379;
    public const int PostgresPort = 5432;
    public const int RabbitMqPort = 5672;
    public const int NatsPort = 4222;
    private const string PostgresBin = "/usr/lib/postgresql/15/bin";

    // FreeLoopbackPort's ports: below the ephemeral range, and below the ports the Tool tests bind for a client (20000 up).
    private const int FirstLoopbackPort = 10_000;
    private const int LoopbackPortCount = 10_000;
    private static int _loopbackPortCursor = Random.Shared.Next(LoopbackPortCount);

    /// <summary>redis-server, no persistence, no protected mode (the client reaches it through the NAT).</summary>
    public static ServerProcess Redis(string? netns, IPAddress address, int port = RedisPort)
    {
        var data = ServerProcess.CreateDataDirectory("redis");
        return ServerProcess.Start("redis-server", netns, new IPEndPoint(address, port), data, TimeSpan.FromSeconds(30), null,
            "redis-server", "--bind", address.ToString(), "--port", Port(port), "--save", string.Empty, "--appendonly", "no",
            "--protected-mode", "no", "--dir", data, "--daemonize", "no");
    }

    /// <summary>PostgreSQL 15: initdb and postgres as the postgres user (PostgreSQL refuses root), trust authentication, user postgres.</summary>
    public static ServerProcess Postgres(string? netns, IPAddress address, int port = PostgresPort)
    {
        TestEnvironment.Require(File.Exists(Path.Combine(PostgresBin, "postgres")), $"PostgreSQL 15 is not installed ({PostgresBin}): apt-get install postgresql");
        var data = ServerProcess.CreateDataDirectory("postgres", owner: "postgres");
        var cluster = Path.Combine(data, "cluster");
        var init = NetworkNamespace.Run("runuser", "-u", "postgres", "--", Path.Combine(PostgresBin, "initdb"), "-D", cluster, "-A", "trust", "-U", "postgres", "--no-sync");
        if (init.ExitCode != 0)
        {
            throw new InvalidOperationException("initdb failed: " + init.Output);
        }

        File.AppendAllText(Path.Combine(cluster, "pg_hba.conf"), "host all all 0.0.0.0/0 trust\n");
        var server = ServerProcess.Start("postgres", netns, new IPEndPoint(address, port), data, TimeSpan.FromSeconds(60), null,
            "runuser", "-u", "postgres", "--", Path.Combine(PostgresBin, "postgres"), "-D", cluster, "-p", Port(port),
            "-c", $"listen_addresses={address}", "-k", data, "-c", "fsync=off");

        // PostgreSQL listens before it takes connections: until it logs this line, a connection gets 57P03 "the database
        // system is starting up" (seen once in CI, on a test's first connection).
        if (!SpinWait.SpinUntil(() => server.Output.Contains("database system is ready to accept connections", StringComparison.Ordinal), TimeSpan.FromSeconds(60)))
        {
            server.Dispose();
            throw new InvalidOperationException("postgres listened but did not become ready within 60 s: " + server.Output);
        }

        return server;
    }

    /// <summary>
    /// rabbitmq-server with its own node name, data and log directories, AMQP and distribution ports, and no plugins;
    /// the guest user may connect from anywhere. Erlang starts slowly (about 10 s on 2 cores).
    /// </summary>
    public static ServerProcess RabbitMq(string? netns, IPAddress address, int port = RabbitMqPort)
    {
        const string server = "/usr/lib/rabbitmq/bin/rabbitmq-server";
        TestEnvironment.Require(File.Exists(server), "rabbitmq-server is not installed: apt-get install rabbitmq-server");
        var data = ServerProcess.CreateDataDirectory("rabbitmq");
        File.WriteAllText(Path.Combine(data, "rabbitmq.conf"), $"listeners.tcp.default = {address}:{Port(port)}\nloopback_users = none\n");
        File.WriteAllText(Path.Combine(data, "enabled_plugins"), "[].\n");
        var node = string.Create(CultureInfo.InvariantCulture, $"kaclients{Environment.ProcessId}x{Random.Shared.Next(1_000_000)}@localhost");
        var environment = new Dictionary<string, string>
        {
            ["HOME"] = data,
            ["RABBITMQ_NODENAME"] = node,
            ["RABBITMQ_NODE_PORT"] = Port(port),
            ["RABBITMQ_DIST_PORT"] = Port(port + 20000),
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(data, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(data, "log"),
            ["RABBITMQ_CONFIG_FILE"] = Path.Combine(data, "rabbitmq"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(data, "enabled_plugins"),
            ["RABBITMQ_PID_FILE"] = Path.Combine(data, "rabbitmq.pid"),
        };
        return ServerProcess.Start("rabbitmq-server", netns, new IPEndPoint(address, port), data, TimeSpan.FromSeconds(90), environment, server);
    }

    /// <summary>nats-server on one address and port.</summary>
    public static ServerProcess Nats(string? netns, IPAddress address, int port = NatsPort) =>
        Nats(netns, address, port, ServerProcess.CreateDataDirectory("nats"), []);

    /// <summary>
    /// nats-server on one address and port that requires TLS from every client (<c>tls { cert_file, key_file }</c>), with a
    /// certificate for <paramref name="address"/> signed by an authority made for this server: clients trust
    /// <see cref="TestCertificates.CaFile"/> (<paramref name="certificates"/>, removed with the server's data directory).
    /// Its monitoring endpoint (<c>/connz</c> names each client connection's TLS version) listens on <paramref name="monitoring"/>.
    /// </summary>
    public static ServerProcess NatsWithTls(string? netns, IPAddress address, int port, IPEndPoint monitoring, out TestCertificates certificates)
    {
        var data = ServerProcess.CreateDataDirectory("nats-tls");
        certificates = TestCertificates.Create(data, address);
        var configuration = Path.Combine(data, "nats.conf");
        File.WriteAllText(configuration, $"http: \"{monitoring}\"\ntls {{\n  cert_file: \"{certificates.CertFile}\"\n  key_file: \"{certificates.KeyFile}\"\n  timeout: 5\n}}\n");
        return Nats(netns, address, port, data, ["-c", configuration]);
    }

    /// <summary>nats-server on one address and port that also takes NATS over plain WebSockets (<c>ws://</c>, no TLS) on <paramref name="webSocket"/>.</summary>
    public static ServerProcess NatsWithWebSocket(string? netns, IPAddress address, int port, IPEndPoint webSocket)
    {
        var data = ServerProcess.CreateDataDirectory("nats-ws");
        var configuration = Path.Combine(data, "nats.conf");
        File.WriteAllText(configuration, $"websocket {{\n  listen: \"{webSocket}\"\n  no_tls: true\n}}\n");
        return Nats(netns, address, port, data, ["-c", configuration]);
    }

    /// <summary>
    /// A free TCP port on this host's loopback, for a server the test starts outside any namespace. The server binds it
    /// later (seconds later for PostgreSQL, after initdb), so it is taken below the kernel's ephemeral range (32768-60999
    /// by default): a port the kernel handed out for a bind to port 0 (every Kestrel, listener and probe of the tests
    /// running meanwhile, in this process and the other test processes) could be handed out again to one of them before the
    /// server binds it, which then fails to start or, worse, the test talks to another test's listener. No port is taken
    /// twice by one process; the range starts at a random place in each, and a port found in use is skipped.
    /// </summary>
    public static int FreeLoopbackPort()
    {
        for (var tried = 0; tried < LoopbackPortCount; tried++)
        {
            var port = FirstLoopbackPort + (int)((uint)Interlocked.Increment(ref _loopbackPortCursor) % LoopbackPortCount);
            using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            try
            {
                probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (System.Net.Sockets.SocketException)
            {
                // In use (another process's server, or this process's in TIME_WAIT): the next one.
            }
        }

        throw new InvalidOperationException($"no free loopback port from {FirstLoopbackPort} to {FirstLoopbackPort + LoopbackPortCount - 1}");
    }

    private static ServerProcess Nats(string? netns, IPAddress address, int port, string data, string[] more) =>
        ServerProcess.Start("nats-server", netns, new IPEndPoint(address, port), data, TimeSpan.FromSeconds(30), null,
            "nats-server", ["-a", address.ToString(), "-p", Port(port), .. more]);

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);
}
