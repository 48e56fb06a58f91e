using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using KeepAlive.Net.Tests.TestSupport;
using KeepAlive.Net.Tool.Check;
using KeepAlive.Net.Tool.ProbeIdle;
using KeepAlive.Net.Tool.Tests.Support;
using KeepAlive.Net.Tool.Tests.Wire;

namespace KeepAlive.Net.Tool.Tests.ProbeIdle;

/// <summary>
/// <c>probe-idle</c> through the routed lab: a conntrack NAT whose established timeout is known must be found between
/// the bounds, a middlebox that resets forgotten flows named as such, and a path with no middlebox reported as keeping
/// flows at least as long as it was asked to look.
/// </summary>
[Collection(WireCollection.Name)]
public sealed class ProbeIdleTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    public async Task ProbeIdle_ThroughConntrackNat_BoundsBracketTheEstablishedTimeoutWithinOneSecond(int natIdleTimeoutSeconds)
    {
        using var lab = RoutedLab.Create(natIdleTimeoutSeconds);
        using var server = Server.Start(lab);

        using var result = await ProbeAsync(lab, "--max", "10s", "--json");

        result.ExitCode.Should().Be(1, "a path that forgets idle flows is a finding");
        var (lower, upper) = Bounds(result.Root);
        // Each bound is a silence measured by the prober, from its last packet to the byte it sent; the NAT counts from
        // the same packet, give or take scheduling (0.1 s).
        lower.Should().BeLessThanOrEqualTo(natIdleTimeoutSeconds + 0.1, "the flow survived this long, so the NAT keeps it longer");
        upper.Should().BeGreaterThanOrEqualTo(natIdleTimeoutSeconds - 0.1, "the flow was forgotten after this long");
        (upper - lower).Should().BeLessThanOrEqualTo(1);
        result.Root.GetProperty("idleTimeout").GetDouble().Should().BeApproximately(natIdleTimeoutSeconds, 1);
        result.Root.GetProperty("forgottenBy").GetString().Should().Be("silence", "the NAT drops segments of a forgotten flow");
        result.Root.GetProperty("target").GetString().Should().Be(RoutedLab.ServerEndPoint.ToString());
        result.Root.GetProperty("probes").GetInt32().Should().BeGreaterThan(2);
        var profile = result.Root.GetProperty("suggestedProfile");
        profile.GetProperty("Heartbeat").GetProperty("PeerIdleTimeout").GetString().Should().EndWith("s");
        result.Root.GetProperty("suggestionRefused").ValueKind.Should().Be(JsonValueKind.Null, "the library accepts the suggested profile");
        result.Error.Should().Contain("Round 1:").And.Contain("silent").And.Contain("forgotten", "progress is reported while it waits");
    }

    [Fact]
    public async Task ProbeIdle_MiddleboxAnswersForgottenFlowsWithReset_ReportsTheResetAndTheBounds()
    {
        using var lab = RoutedLab.Create(natIdleTimeoutSeconds: 3);
        lab.ResetForgottenFlows();
        using var server = Server.Start(lab);

        using var result = await ProbeAsync(lab, "--max", "8s", "--json");

        result.ExitCode.Should().Be(1);
        var (lower, upper) = Bounds(result.Root);
        lower.Should().BeLessThanOrEqualTo(3.1);
        upper.Should().BeGreaterThanOrEqualTo(2.9);
        (upper - lower).Should().BeLessThanOrEqualTo(1);
        result.Root.GetProperty("forgottenBy").GetString().Should().Be("reset");
    }

    [Fact]
    public async Task ProbeIdle_NoMiddlebox_ReportsNoTimeoutUpToMaxAndExitsZero()
    {
        using var lab = RoutedLab.Create();
        using var server = Server.Start(lab);

        using var result = await ProbeAsync(lab, "--max", "3s", "--json");

        result.ExitCode.Should().Be(0);
        result.Root.GetProperty("idleTimeout").ValueKind.Should().Be(JsonValueKind.Null);
        result.Root.GetProperty("upperBound").ValueKind.Should().Be(JsonValueKind.Null);
        result.Root.GetProperty("lowerBound").GetDouble().Should().BeGreaterThanOrEqualTo(3);
        result.Root.GetProperty("suggestedProfile").ValueKind.Should().Be(JsonValueKind.Null);
        result.Root.GetProperty("outcomes").EnumerateArray().Should().OnlyContain(static o => o.GetProperty("verdict").GetString() == "alive");
    }

    [Fact]
    public async Task ProbeIdle_TextOutput_SaysTheBoundsAndPrintsAProfileTheLibraryAccepts()
    {
        using var lab = RoutedLab.Create(natIdleTimeoutSeconds: 4);
        using var server = Server.Start(lab);

        var run = await ToolRun.RunAsync(["ip", "netns", "exec", lab.Client], TimeSpan.FromMinutes(2), "probe-idle", RoutedLab.ServerEndPoint.ToString(), "--max", "6s");

        output.WriteLine(run.Interleaved);
        run.ExitCode.Should().Be(1);
        var bounds = Regex.Match(run.Output, @"forgets an idle flow after (?<low>\S+) to (?<high>\S+) of silence");
        bounds.Success.Should().BeTrue("the result states the bounds: {0}", run.Output);
        KeepAliveDuration.Parse(bounds.Groups["low"].Value).Should().BeLessThan(KeepAliveDuration.Parse(bounds.Groups["high"].Value), "both bounds are written as the configuration reads them");
        run.Output.Should().Contain("Suggested profile (checked by the library's validation").And.Contain("\"probed\": {").And.Contain("\"PeerIdleTimeout\"");
    }

    [Fact]
    public void ProbeIdle_Json_BoundsAreWrittenAsTheOutcomesTheyComeFrom()
    {
        // lowerBound is the longest silence survived, upperBound the shortest forgotten: they read 2.123457 and 4.567891
        // while the outcomes they are read from said 2.123 and 4.568, so no outcome matched its bound.
        var search = new IdleSearch(TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(500), 2);
        search.Record(new ProbeOutcome(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2.1234567), ProbeVerdict.Alive));
        search.Record(new ProbeOutcome(TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(4.5678912), ProbeVerdict.Dropped));
        var result = new ProbeIdleResult(HostAndPort.Parse("127.0.0.1:9"), new IPEndPoint(IPAddress.Loopback, 9), search, TimeSpan.FromSeconds(5));
        using var json = new StringWriter();

        result.WriteJson(json);

        using var document = JsonDocument.Parse(json.ToString());
        var root = document.RootElement;
        var silences = root.GetProperty("outcomes").EnumerateArray().Select(static o => o.GetProperty("silence").GetDouble()).ToList();
        silences.Should().Equal(2.123, 4.568);
        root.GetProperty("lowerBound").GetDouble().Should().Be(silences[0]);
        root.GetProperty("upperBound").GetDouble().Should().Be(silences[1]);
        root.GetProperty("idleTimeout").GetDouble().Should().Be(3.346, "the middle of the bracket, to the same millisecond");
    }

    [Theory]
    [InlineData(2, 3.5, 500)]
    [InlineData(16, 350, 500)]
    [InlineData(4, 0.3, 100)]
    [InlineData(8, 1199.5, 1000)]
    public void IdleSearch_PathForgettingAtAFixedTime_ConvergesToABracketNoWiderThanTheResolution(int connections, double timeoutSeconds, int resolutionMs)
    {
        var timeout = TimeSpan.FromSeconds(timeoutSeconds);
        var search = new IdleSearch(TimeSpan.FromMinutes(30), TimeSpan.FromMilliseconds(resolutionMs), connections);

        for (var round = 0; round < 20 && search.NextRound() is { Count: > 0 } silences; round++)
        {
            silences.Count.Should().BeInRange(1, connections);
            foreach (var silence in silences)
            {
                search.Record(new ProbeOutcome(silence, silence, silence >= timeout ? ProbeVerdict.Dropped : ProbeVerdict.Alive));
            }
        }

        search.Done.Should().BeTrue();
        search.LowerBound.Should().BeLessThan(timeout);
        search.UpperBound.Should().BeGreaterThanOrEqualTo(timeout);
        (search.UpperBound!.Value - search.LowerBound).Should().BeLessThanOrEqualTo(TimeSpan.FromMilliseconds(resolutionMs));
        search.Inconsistent.Should().Be(0);
    }

    [Theory]
    [InlineData("--connections", "0", "'0' is below the floor of 1")]
    [InlineData("--connections", "abc", "'abc' is not a whole number")]
    [InlineData("--max", "10", "\"10s\"")]
    [InlineData("--max", "100d", "at most \"1d\"")]
    [InlineData("--resolution", "99999999999999999999d", "at most \"1h\"")]
    public async Task ProbeIdle_BadOption_ExitsTwo(string option, string value, string hint)
    {
        var (exitCode, _, error) = await ToolRun.InProcessAsync("probe-idle", "127.0.0.1:9", option, value);

        exitCode.Should().Be(2);
        error.Should().Contain(hint);
    }

    [Fact]
    public async Task ProbeIdle_ServerClosingIdleConnectionsWithinASecond_SaysNoProfileCanKeepThemInsteadOfALongerBudget()
    {
        string text, json;
        int exitCode;
        // 300 ms: a close within 100 ms (plus two round trips) is the server turning the connection away, not an idle timeout.
        await using (var server = ClosingServer.Start(TimeSpan.FromMilliseconds(300)))
        {
            // A --max of 5000500us read "up to 5s" (rounded as a measured time), which is not the maximum given.
            (exitCode, text, _) = await ToolRun.InProcessAsync("probe-idle", server.EndPoint, "--max", "5000500us");
            (_, json, _) = await ToolRun.InProcessAsync("probe-idle", server.EndPoint, "--max", "5s", "--json");
        }

        output.WriteLine(text);
        exitCode.Should().Be(1);
        text.Should().Contain("keeps an idle flow, up to 5s500us:").And.Contain("closes connections idle that long").And.Contain("No profile can keep this flow")
            .And.Contain("under 1s").And.NotContain("\"PeerIdleTimeout\"");
        using var document = JsonDocument.Parse(json);
        document.RootElement.GetProperty("upperBound").GetDouble().Should().BeLessThan(1);
        document.RootElement.GetProperty("suggestedProfile").ValueKind.Should().Be(JsonValueKind.Null);
        document.RootElement.GetProperty("suggestionRefused").GetString().Should().Contain("No profile can keep this flow");
        // One word per outcome in the whole object: a forgotten probe's verdict is named as forgottenBy names it (it was 'closedbyserver').
        var forgottenBy = document.RootElement.GetProperty("forgottenBy").GetString();
        forgottenBy.Should().Be("server-fin");
        document.RootElement.GetProperty("outcomes").EnumerateArray().Select(static o => o.GetProperty("verdict").GetString())
            .Should().Contain(forgottenBy).And.OnlyContain(static v => v == "alive" || v == "server-fin");
    }

    [Fact]
    public async Task ProbeIdle_ServerClosingEachConnectionAtOnce_SaysItIsNotAnIdleTimeoutAndExitsThree()
    {
        // A server that accepts and closes at once (nothing behind a proxy or port forward, a client turned away) read as
        // "forgets an idle flow after 0 s to 22 ms of silence (about 11 ms)": no silence was ever held, so nothing was measured.
        string text, json, jsonError;
        int exitCode, jsonExitCode;
        await using (var server = ClosingServer.Start(TimeSpan.Zero))
        {
            (exitCode, text, _) = await ToolRun.InProcessAsync("probe-idle", server.EndPoint, "--max", "5s");
            (jsonExitCode, json, jsonError) = await ToolRun.InProcessAsync("probe-idle", server.EndPoint, "--max", "5s", "--json");
        }

        output.WriteLine(text);
        exitCode.Should().Be(3, "nothing was judged: no idle period was ever held");
        text.Should().Contain("closed the connection at once").And.Contain("not an idle timeout").And.Contain("Fix:")
            .And.NotContain("forgets an idle flow").And.NotContain("No profile can keep this flow");
        jsonExitCode.Should().Be(3);
        jsonError.Should().Contain("closed the connection at once");
        using var document = JsonDocument.Parse(json);
        document.RootElement.GetProperty("idleTimeout").ValueKind.Should().Be(JsonValueKind.Null);
        document.RootElement.GetProperty("upperBound").ValueKind.Should().Be(JsonValueKind.Null);
        document.RootElement.GetProperty("forgottenBy").ValueKind.Should().Be(JsonValueKind.Null);
        document.RootElement.GetProperty("closedAtOnce").GetInt32().Should().BeGreaterThan(0);
        document.RootElement.GetProperty("outcomes").EnumerateArray().Select(static o => o.GetProperty("verdict").GetString())
            .Should().Contain("closed-at-once").And.NotContain("server-fin");
    }

    [Fact]
    public async Task ProbeIdle_ServerClosingIdleConnectionsItself_SaysOnlyTheHeartbeatKeepsThemNotOsKeepAlive()
    {
        // A server's own idle timeout (Redis 'timeout', PgBouncer's client_idle_timeout) counts what its application
        // reads: the kernel's keep-alive probes carry nothing it reads, so they do not keep such a connection.
        string text;
        int exitCode;
        await using (var server = ClosingServer.Start(TimeSpan.FromSeconds(2.5)))
        {
            (exitCode, text, _) = await ToolRun.InProcessAsync("probe-idle", server.EndPoint, "--max", "5s");
        }

        output.WriteLine(text);
        exitCode.Should().Be(1);
        text.Should().Contain("closes connections idle that long").And.Contain("\"PeerIdleTimeout\"")
            .And.NotContain("OS keep-alive beats the timeout").And.Contain("only the heartbeat");
    }

    [Fact]
    public async Task ProbeIdle_ServerThatKeepsSendingData_EndsSayingTheSilenceCannotBeHeldInsteadOfWaitingForEver()
    {
        // A server sending a byte every 300 ms (its own pings, a stream) restarted every probe's silence: probe-idle waited
        // for ever ("waiting: 15 s into the round, 11 connections still silent" with --max 3s).
        string text, json, jsonError;
        int exitCode, jsonExitCode;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await using (var server = ClosingServer.Talking(TimeSpan.FromMilliseconds(300)))
        {
            (exitCode, text, _) = await ToolRun.InProcessAsync("probe-idle", server.EndPoint, "--max", "3s", "--connections", "4")
                .WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
            (jsonExitCode, json, jsonError) = await ToolRun.InProcessAsync("probe-idle", server.EndPoint, "--max", "3s", "--connections", "4", "--json")
                .WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        }

        output.WriteLine(text);
        exitCode.Should().Be(3, "nothing was measured, which is not 'fine' (0): exit code 3 as doctor and analyze say when there is nothing to judge");
        text.Should().Contain("Nothing to judge:").And.Contain("kept sending data").And.Contain("cannot be measured").And.NotContain("nothing on the path");
        jsonExitCode.Should().Be(3);
        jsonError.Should().Contain("Nothing to judge:", "with --json the sentence goes to standard error, as doctor's and analyze's");
        using var document = JsonDocument.Parse(json);
        document.RootElement.GetProperty("serverTalkedWithin").GetDouble().Should().Be(1, "the shortest rung, 1 s, could not be held");
        document.RootElement.GetProperty("upperBound").ValueKind.Should().Be(JsonValueKind.Null);
        document.RootElement.GetProperty("outcomes").EnumerateArray().Select(static o => o.GetProperty("verdict").GetString()).Should().Contain("server-talks");
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(60), "each run ends within a few times the shortest silence");
    }

    [Theory]
    [InlineData("5s", "1h")]
    [InlineData("2s", "2s")]
    public async Task ProbeIdle_ResolutionNotBelowMax_ExitsTwoNamingBoth(string max, string resolution)
    {
        var (exitCode, _, error) = await ToolRun.InProcessAsync("probe-idle", "127.0.0.1:9", "--max", max, "--resolution", resolution);

        exitCode.Should().Be(2);
        error.Should().Contain($"--resolution: {resolution} is not shorter than --max {max}").And.Contain("Fix:");
    }

    [Fact]
    public async Task ProbeIdle_Help_WritesDefaultsAsTheFlagsTakeThem()
    {
        var (_, help, _) = await ToolRun.InProcessAsync("probe-idle", "--help");

        help.Should().Contain("(default 10m)").And.Contain("(default 500ms)");
    }

    [Fact]
    public async Task ProbeIdle_NothingListens_ExitsTwo()
    {
        using var closed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        closed.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        var port = ((System.Net.IPEndPoint)closed.LocalEndPoint!).Port;

        var (exitCode, output, error) = await ToolRun.InProcessAsync("probe-idle", $"127.0.0.1:{port}", "--max", "2s");

        exitCode.Should().Be(2);
        error.Should().Contain("connection refused");
        output.Should().NotContain("Round 1", "no connection was made, so no round started and none is announced");
    }

    /// <summary>A loopback server that closes (FIN) every connection it accepts once it has been silent for its idle timeout, or keeps talking on it.</summary>
    private sealed class ClosingServer : IAsyncDisposable
    {
        private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        private readonly CancellationTokenSource _stop = new();
        private Task _closing = Task.CompletedTask;

        public string EndPoint => _listener.LocalEndPoint!.ToString()!;

        public static ClosingServer Start(TimeSpan idle) => Start(async (socket, _) =>
        {
            await Task.Delay(idle, CancellationToken.None);
            socket.Shutdown(SocketShutdown.Both);
        });

        /// <summary>A server that sends one byte on every connection every <paramref name="every"/> until it stops.</summary>
        public static ClosingServer Talking(TimeSpan every) => Start(async (socket, stop) =>
        {
            try
            {
                while (true)
                {
                    await Task.Delay(every, stop);
                    await socket.SendAsync(new byte[] { (byte)'.' }, SocketFlags.None, stop);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
            }
        });

        private static ClosingServer Start(Func<Socket, CancellationToken, Task> each)
        {
            var server = new ClosingServer();
            server._listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
            server._listener.Listen(64);
            server._closing = ServeEachAsync(server._listener, each, server._stop.Token);
            return server;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _closing;
            _stop.Dispose();
            _listener.Dispose();
        }
    }

    /// <summary>Accepts every connection and hands it to <paramref name="each"/>, until stopped; then waits for every one to end.</summary>
    private static async Task ServeEachAsync(Socket listener, Func<Socket, CancellationToken, Task> each, CancellationToken cancellationToken)
    {
        var held = new List<Task>();
        try
        {
            while (true)
            {
                var socket = await listener.AcceptAsync(cancellationToken);
                held.Add(Task.Run(async () =>
                {
                    using (socket)
                    {
                        await each(socket, cancellationToken);
                    }
                }, CancellationToken.None));
            }
        }
        catch (OperationCanceledException)
        {
        }

        await Task.WhenAll(held);
    }

    private async Task<JsonRun> ProbeAsync(RoutedLab lab, params string[] args)
    {
        var run = await ToolRun.RunAsync(["ip", "netns", "exec", lab.Client], TimeSpan.FromMinutes(2), ["probe-idle", RoutedLab.ServerEndPoint.ToString(), .. args]);
        output.WriteLine(run.Interleaved);
        return new JsonRun(run.ExitCode, JsonDocument.Parse(run.Output), run.Error);
    }

    private static (double Lower, double Upper) Bounds(JsonElement root) =>
        (root.GetProperty("lowerBound").GetDouble(), root.GetProperty("upperBound").GetDouble());

    private sealed class JsonRun(int exitCode, JsonDocument json, string error) : IDisposable
    {
        public int ExitCode { get; } = exitCode;

        public JsonElement Root => json.RootElement;

        public string Error { get; } = error;

        public void Dispose() => json.Dispose();
    }

    /// <summary>A server in the lab that accepts and holds every connection, saying nothing: any TCP server will do.</summary>
    private sealed class Server : IDisposable
    {
        private readonly Socket _listener;
        private readonly List<Socket> _accepted = [];
        private readonly Task _accepting;

        private Server(Socket listener)
        {
            _listener = listener;
            _accepting = AcceptAsync();
        }

        public static Server Start(RoutedLab lab) => new(lab.Listen());

        public void Dispose()
        {
            _listener.Dispose();
            _accepting.Wait(TimeSpan.FromSeconds(5));
            lock (_accepted)
            {
                _accepted.ForEach(static s => s.Dispose());
            }
        }

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var socket = await _listener.AcceptAsync();
                    lock (_accepted)
                    {
                        _accepted.Add(socket);
                    }
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        }
    }

    [Fact]
    public void ProbeIdle_Text_BoundsAreRoundedSoTheyNeverContradictTheVerdict()
    {
        // Survived 999.6 ms, forgotten after 1000.4 ms: the text said "forgets an idle flow after 1s to 1s of silence" and
        // "it survived at most 1s of silence, under 1s", a figure at the floor its verdict says it is under.
        var search = new IdleSearch(TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(500), 2);
        search.Record(new ProbeOutcome(TimeSpan.FromMilliseconds(900), TimeSpan.FromTicks(9_996_000), ProbeVerdict.Alive));
        search.Record(new ProbeOutcome(TimeSpan.FromSeconds(1), TimeSpan.FromTicks(10_004_000), ProbeVerdict.Dropped));

        var text = WriteText(search);

        text.Should().Contain("forgets an idle flow after 999ms to 1s1ms of silence").And.Contain("it survived at most 999ms of silence, under 1s,");
    }

    [Fact]
    public void ProbeIdle_TextNothingForgotten_SaysNoLongerSilenceThanWasSurvived()
    {
        // A silence of 2000.6 ms survived read "forgot an idle flow for up to 2s1ms", a millisecond more than was held.
        var search = new IdleSearch(TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(500), 1);
        search.Record(new ProbeOutcome(TimeSpan.FromSeconds(2), TimeSpan.FromTicks(20_006_000), ProbeVerdict.Alive));

        var text = WriteText(search);

        text.Should().Contain("forgot an idle flow for up to 2s (the longest silence tried;");
    }

    private static string WriteText(IdleSearch search)
    {
        using var text = new StringWriter();
        new ProbeIdleResult(HostAndPort.Parse("127.0.0.1:9"), new IPEndPoint(IPAddress.Loopback, 9), search, TimeSpan.FromSeconds(5)).WriteText(text);
        return text.ToString();
    }
}
