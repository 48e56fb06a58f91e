using System.Net;
using System.Text.RegularExpressions;
using KeepAlive.Net.Hosting.Tests.Packaging;
using KeepAlive.Net.Tests.TestSupport;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary>The examples the README tells a newcomer to run, run for real: built, started, answering, exiting 0.</summary>
public sealed partial class ExampleRunTests
{
    [Fact]
    public async Task WebApiExample_Smoke_PaysThroughBothProfilesAnswersThroughTheHubAndExits()
    {
        // What the README and Program.cs promise: "dotnet run --project examples/WebApi -- --smoke" starts Kestrel with the
        // "inbound" profile, calls /pay once (which calls /peer through the "payments" HttpClient), /hub once (a SignalR
        // client of the app's own hub, both with the "hub" profile) and /orders once (a gRPC channel with the "orders"
        // profile to the gRPC server the example starts), and exits.
        var (exitCode, output) = await RunExampleAsync("WebApi", "--smoke", "--urls", "http://127.0.0.1:0");

        exitCode.Should().Be(0, output);
        output.Should().Contain("Listening on http://127.0.0.1:", "--smoke --urls must keep the URL (the switch is removed before the host reads arguments)");
        output.Should().MatchRegex(@"Listening on (http://127\.0\.0\.1:\d+); try \1/pay, \1/hub, \1/orders and \1/connection",
            "the line a newcomer reads names every endpoint the README and Program.cs tell them to try, /hub and /orders included");
        output.Should().Contain("peer said 'paid'");
        output.Should().MatchRegex(@"inbound  \(Linux\): Linux: keep-alive on, idle 45s, interval 10s, probes 3, .*\(read back from the kernel\)",
            "the inbound connection carries the 'inbound' profile of appsettings.json, read back from the kernel");
        output.Should().MatchRegex(@"outgoing \(payments\): Linux: keep-alive on, idle 30s, interval 5s, probes 4, .*\(read back from the kernel\)",
            "the outgoing connection carries the 'payments' profile");
        output.Should().MatchRegex(@"hub said 'hello' on a connection with profile 'inbound': Linux: keep-alive on, idle 45s",
            "the SignalR hub answers its client, on a connection that carries the 'inbound' profile");
        output.Should().Contain("hub client: KeepAliveInterval 15s, ServerTimeout 30s", "the hub client takes Heartbeat:Interval and Timeout of the 'hub' profile, written as the library writes durations");
        output.Should().Contain("orders said 'order 42 confirmed' over a gRPC channel with profile 'orders'", "/orders calls the example's gRPC server through the 'orders' channel");
        output.Should().MatchRegex(@"HTTP connection to 127\.0\.0\.1:\d+ configured with KeepAlive profile 'orders': Linux: keep-alive on, idle 30s, interval 5s, probes 4, .*\(read back from the kernel\)",
            "the gRPC channel's connection carries the 'orders' profile's Tcp section (GrpcChannelOptions.UseKeepAlive), read back from the kernel");
        output.Should().NotContain("warn: KeepAlive.Net", "the example's profiles are the ones we recommend: no start-up warning");
        output.Should().NotContain("warn: Microsoft.AspNetCore.Server.Kestrel", "the gRPC server's listener does not take the example's Urls");

        // /connection, which the README and the example's first line tell a newcomer to try, is in the smoke run too: the
        // inbound connection's retirement age (Http:MaxConnectionAge 10m with 1m of jitter) in the library's duration form.
        var retired = Regex.Match(output, @"retired at age (\S+) or after 1000 requests; this is request \d+");
        retired.Success.Should().BeTrue(output);
        KeepAliveDuration.TryParse(retired.Groups[1].Value, out var age, out _).Should().BeTrue($"'{retired.Groups[1].Value}' is written as the configuration reads durations (10m27s113ms), not as a clock");
        age.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMinutes(9)).And.BeLessThanOrEqualTo(TimeSpan.FromMinutes(10), "Http:MaxConnectionAge 10m shortened by up to 1m of jitter");
    }

    [Fact]
    public async Task WorkerExample_FromTheRepositoryRoot_KeepsItsConnectionAndReportsHealthWithConfiguredThresholds()
    {
        // Run from the repository root, as the README says; the content root must still find the example's appsettings.json.
        // The scheduler's category at Debug (the example keeps it at Information) shows its start-up line, event 2011.
        var (exitCode, output) = await RunExampleAsync("Worker", "--Worker:RunFor=00:00:04", "--KeepAlive:Health:UnhealthyPeerDeadCount=5",
            "--Logging:LogLevel:KeepAlive.Net.HeartbeatScheduler=Debug");

        exitCode.Should().Be(0, output);
        output.Should().NotContain("BackgroundService failed").And.NotContain("is registered (registered: none)");
        output.Should().MatchRegex(@"Stopping after \d+ heartbeats", "the worker's connection heartbeated until it was told to stop");
        output.Should().Contain("Health check 'keepalive': Healthy");
        output.Should().Contain("UnhealthyPeerDeadCount=5", "the thresholds come from KeepAlive:Health, here overridden on the command line");
        output.Should().Contain("Heartbeat scheduler started (a timer thread and 2 standby threads", "the example's HeartbeatSchedulerOptions reach the host's scheduler");

        // The example's own lines write durations as the library does (KeepAliveDuration.Format), not as clocks or "12.345 ms".
        output.Should().Contain("a dead peer is detected after 50s").And.Contain("Heartbeat registered: WhenIdle every 1s, peer idle timeout AwsNlb (5m50s)");
        var own = OwnLines(output, "KeepAlive.Net.Examples.Worker.PaymentsConnection", "Heartbeat metrics", "  keepalive.");
        own.Should().Contain(static l => l.Contains("Stopping after", StringComparison.Ordinal)).And.Contain(static l => l.Contains("keepalive.heartbeat.lateness", StringComparison.Ordinal));
        own.SelectMany(static l => DurationText.NotReadBack(l)).Should().BeEmpty("every duration the example writes reads back as configuration (\"40ms\", \"1s\")");
        own.Where(static l => Clock().IsMatch(l)).Should().BeEmpty("a clock (00:00:50) is a second way to write a duration");

        // The count the example prints is the one its health check and metrics print after it: it used to read the count
        // while the heartbeat still ran, and printed "Stopping after 2 heartbeats" above "keepalive.heartbeat.sent 3" (the
        // run ends as a heartbeat comes due).
        var stopped = Regex.Match(output, @"Stopping after (\d+) heartbeats");
        var sent = Regex.Match(output, @"keepalive\.heartbeat\.sent\s+(\d+)");
        sent.Success.Should().BeTrue(output);
        stopped.Groups[1].Value.Should().Be(sent.Groups[1].Value, "the example reads its count once the heartbeat has stopped, as the metrics do (output: {0})", output);
    }

    [Fact]
    public async Task DataStoresExample_AgainstRealServers_EveryConnectionCarriesTheOneProfile()
    {
        // The example needs a Redis, a PostgreSQL, a RabbitMQ and a NATS: real ones, started here on free loopback ports and stopped after.
        using var redis = Servers.Redis(netns: null, IPAddress.Loopback, Servers.FreeLoopbackPort());
        using var postgres = Servers.Postgres(netns: null, IPAddress.Loopback, Servers.FreeLoopbackPort());
        using var rabbit = Servers.RabbitMq(netns: null, IPAddress.Loopback, Servers.FreeLoopbackPort());
        using var nats = Servers.Nats(netns: null, IPAddress.Loopback, Servers.FreeLoopbackPort());

        var (exitCode, output) = await RunExampleAsync("DataStores",
            $"--ConnectionStrings:Redis={redis.EndPoint},connectTimeout={ClientTimeouts.ConnectMs}",
            $"--ConnectionStrings:Postgres=Host=127.0.0.1;Port={postgres.EndPoint.Port};Username=postgres;Database=postgres;SSL Mode=Disable;Timeout={ClientTimeouts.ConnectSeconds}",
            $"--ConnectionStrings:RabbitMQ=amqp://guest:guest@{rabbit.EndPoint}/", $"--ConnectionStrings:Nats=nats://{nats.EndPoint}",
            "--DataStores:RunFor=00:00:03", "--DataStores:Every=00:00:01");

        exitCode.Should().Be(0, output);
        output.Should().MatchRegex(@"Round \d+: Redis visits = \d+, PostgreSQL now\(\) = .*, NATS round trip = \S+, RabbitMQ queued = \d+", "the worker used every store");
        output.Should().MatchRegex(@"StackExchange\.Redis connection .* configured with KeepAlive profile 'datastores': Linux: keep-alive on, idle 30s, interval 5s, probes 4, .*\(read back from the kernel\)",
            "every Redis socket carries the profile, read back from the kernel");
        output.Should().Contain("StackExchange.Redis uses KeepAlive profile 'datastores'").And.Contain("KeepAlive (PING when idle) every 1m from Heartbeat:Interval");
        output.Should().Contain("Npgsql uses KeepAlive profile 'datastores': Tcp Keepalive Time 30s and Tcp Keepalive Interval 5s")
            .And.Contain("Tcp:ProbeCount 4 cannot be applied");
        output.Should().MatchRegex(@"RabbitMQ\.Client connection .* configured with KeepAlive profile 'datastores': Linux: keep-alive on, idle 30s, interval 5s, probes 4, .*\(read back from the kernel\)",
            "the RabbitMQ socket carries the profile, read back from the kernel");
        output.Should().MatchRegex(@"NATS\.Net connection .* configured with KeepAlive profile 'datastores': Linux: keep-alive on, idle 30s, interval 5s, probes 4, .*\(read back from the kernel\)",
            "the NATS socket carries the profile, read back from the kernel");
        output.Should().Contain("RabbitMQ.Client uses KeepAlive profile 'datastores'").And.Contain("NATS.Net uses KeepAlive profile 'datastores'");
    }

    [Fact]
    public async Task PlainSocketsExample_ShowsEachSocketTypeTheRoundingTheValidatorAndARejectedValue()
    {
        // What the README's table promises for examples/PlainSockets: Socket, TcpClient, TcpListener, NetworkStream, rounding
        // reports, a rejected value; and TcpKeepAliveValidator.Validate, the public check without a socket, which no example used.
        var (exitCode, output) = await RunExampleAsync("PlainSockets");

        exitCode.Should().Be(0, output);
        output.Should().MatchRegex(@"listener +Linux: keep-alive on, idle 45s, interval 15s, probes 3");
        output.Should().MatchRegex(@"accepted +Linux: keep-alive on, idle 45s, interval 15s, probes 3", "an accepted socket inherits the listener's settings on Linux");
        output.Should().MatchRegex(@"tcp client +Linux: keep-alive on, idle 30s, interval 2s, probes 4", "2.5 s rounds down to whole seconds on Linux");
        output.Should().MatchRegex(@"validated +ProbeCount: .*500", "TcpKeepAliveValidator.Validate names the option and the value without a socket");
        output.Should().MatchRegex(@"rejected +.*500");
        output.Should().Contain("after reject  the connection still carries data: \"still connected\"");
    }

    [Fact]
    public async Task DataStoresExample_RedisNotListening_ReportsTheFailedStoreAndExitsOneWithoutCrashing()
    {
        // Run without the servers it needs, the example used to crash at start-up: ConnectionMultiplexer.Connect threw while
        // the host built the worker, "Unhandled exception. StackExchange.Redis.RedisConnectionException", exit code 134
        // (SIGABRT), where the worker's own catch says which store failed and exits 1.
        var closed = Servers.FreeLoopbackPort();

        var (exitCode, output) = await RunExampleAsync("DataStores",
            $"--ConnectionStrings:Redis=127.0.0.1:{closed},connectTimeout=1000",
            $"--ConnectionStrings:Postgres=Host=127.0.0.1;Port={closed};Username=postgres;SSL Mode=Disable;Timeout=1",
            "--DataStores:RunFor=00:00:03", "--DataStores:Every=00:00:01");

        exitCode.Should().Be(1, output);
        output.Should().Contain("A data store failed").And.NotContain("Unhandled exception");
    }

    [Theory]
    [InlineData("NATS")]
    [InlineData("RabbitMQ")]
    public async Task DataStoresExample_BrokerNotListening_ReportsTheFailedStoreAndExitsOneWithoutCrashing(string absent)
    {
        // The same for each broker, reached after Redis and PostgreSQL answered (NATS, then RabbitMQ): NATS.Net's NatsException
        // and RabbitMQ.Client's BrokerUnreachableException are the worker's to report, not the host's to crash on.
        using var redis = Servers.Redis(netns: null, IPAddress.Loopback, Servers.FreeLoopbackPort());
        using var postgres = Servers.Postgres(netns: null, IPAddress.Loopback, Servers.FreeLoopbackPort());
        using var nats = absent == "NATS" ? null : Servers.Nats(netns: null, IPAddress.Loopback, Servers.FreeLoopbackPort());
        var closed = Servers.FreeLoopbackPort();

        var (exitCode, output) = await RunExampleAsync("DataStores",
            $"--ConnectionStrings:Redis={redis.EndPoint},connectTimeout={ClientTimeouts.ConnectMs}",
            $"--ConnectionStrings:Postgres=Host=127.0.0.1;Port={postgres.EndPoint.Port};Username=postgres;Database=postgres;SSL Mode=Disable;Timeout={ClientTimeouts.ConnectSeconds}",
            $"--ConnectionStrings:Nats=nats://{nats?.EndPoint.ToString() ?? $"127.0.0.1:{closed}"}", $"--ConnectionStrings:RabbitMQ=amqp://guest:guest@127.0.0.1:{closed}/",
            "--DataStores:RunFor=00:00:03", "--DataStores:Every=00:00:01");

        exitCode.Should().Be(1, output);
        output.Should().Contain("A data store failed").And.NotContain("Unhandled exception");
        output.Should().Contain(absent == "NATS" ? "NATS.Client.Core.NatsException" : "RabbitMQ.Client.Exceptions.BrokerUnreachableException", "the store that failed is the one not listening");
    }

    /// <summary>
    /// The lines the example writes itself: the message lines of its own log categories (the line after the category's
    /// header) and its console lines, told by how they start.
    /// </summary>
    private static List<string> OwnLines(string output, string category, params string[] consoleStarts)
    {
        var lines = output.Split('\n');
        return [.. lines.Where((line, i) => (i > 0 && lines[i - 1].Contains(category, StringComparison.Ordinal)) || consoleStarts.Any(s => line.StartsWith(s, StringComparison.Ordinal)))];
    }

    [GeneratedRegex(@"\b\d{2}:\d{2}:\d{2}\b")]
    private static partial Regex Clock();

    /// <summary>Runs <c>dotnet run --project examples/NAME -- ARGS</c> from the repository root, as the README does.</summary>
    private static Task<(int ExitCode, string Output)> RunExampleAsync(string example, params string[] arguments) =>
        DotnetCli.RunAsync(RepositoryFiles.Root, TimeSpan.FromMinutes(5), ["run", "--project", RepositoryFiles.Path("examples", example), "--", .. arguments]);
}
