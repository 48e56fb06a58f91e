using System.Net;
using System.Net.Sockets;
using System.Text;
using KeepAlive.Net.Tests.TestSupport;
using KeepAlive.Net.Tool.Tests.Support;

namespace KeepAlive.Net.Tool.Tests.Check;

/// <summary><c>check</c> against real peers on loopback: a peer that stays, one that resets, one that closes, and bad targets.</summary>
public sealed class CheckLoopbackTests : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public CheckLoopbackTests()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(4);
    }

    private string Target => _listener.LocalEndPoint!.ToString()!;

    [Fact]
    public async Task Check_PeerStaysUp_HoldsSendsHeartbeatsAndExitsZero()
    {
        var received = new StringBuilder();
        var server = Task.Run(async () =>
        {
            using var peer = await _listener.AcceptAsync();
            var buffer = new byte[256];
            int count;
            while ((count = await peer.ReceiveAsync(buffer, SocketFlags.None)) > 0)
            {
                lock (received)
                {
                    received.Append(Encoding.UTF8.GetString(buffer, 0, count));
                }
            }
        });

        var (exitCode, output, error) = await ToolRun.InProcessAsync("check", Target, "--idle", "1s", "--interval", "1s", "--count", "3",
            "--hold", "2500ms", "--heartbeat", "ping\n", "--every", "200ms");

        exitCode.Should().Be(0, output + error);
        output.Should().Contain("ALIVE: the connection was held for").And.Contain("Heartbeats:");
        output.Should().Contain("idle time").And.Contain("read back from the kernel");
        if (OperatingSystem.IsLinux())
        {
            output.Should().Contain("state=ESTABLISHED").And.Contain("probes=");
        }

        lock (received)
        {
            received.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().HaveCountGreaterThanOrEqualTo(5).And.OnlyContain(static line => line == "ping");
        }

        await server.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Check_HeartbeatEveryUnderHalfAShortPeerIdleTimeout_IsTheProfilesHeartbeatIntervalNotTheDefault10s()
    {
        // --every is Heartbeat:Interval, but the profile was validated with the library's 10 s: 'Interval is 10s, over the
        // limit of 2s500ms ... Fix: set Interval to at most 2s500ms' and exit 2, though the heartbeat ran every second.
        var server = Task.Run(async () =>
        {
            using var peer = await _listener.AcceptAsync();
            var buffer = new byte[256];
            while (await peer.ReceiveAsync(buffer, SocketFlags.None) > 0)
            {
            }
        });

        var (exitCode, output, error) = await ToolRun.InProcessAsync("check", Target, "--idle", "1s", "--interval", "1s",
            "--peer-idle-timeout", "5s", "--hold", "1500ms", "--heartbeat", "ping", "--every", "1s");

        exitCode.Should().Be(0, output + error);
        output.Should().Contain("Heartbeat every 1s:").And.Contain("ALIVE:");
        await server.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Check_PeerIdleTimeoutWithoutHeartbeat_IsNotJudgedOnTheDefault10sInterval()
    {
        // Flags alone describe the path, not a heartbeat profile: without --heartbeat nothing is sent, yet the profile was
        // validated with the library's default 10 s interval: 'Heartbeat:Interval: Interval is 10s, over the limit of
        // 1s500ms ...' and exit 2, for a value nobody set. (A --settings file's profile is judged as the application that
        // reads it judges it: Check_ProfileFromSettingsWithoutHeartbeat_IsRefusedAsShowAndTheApplicationRefuseIt.)
        var server = Task.Run(async () =>
        {
            using var peer = await _listener.AcceptAsync();
            var buffer = new byte[256];
            while (await peer.ReceiveAsync(buffer, SocketFlags.None) > 0)
            {
            }
        });

        var (exitCode, output, error) = await ToolRun.InProcessAsync("check", Target, "--count", "1", "--hold", "1s",
            "--peer-idle-timeout", "3s", "--idle", "1s", "--interval", "1s");

        exitCode.Should().Be(0, output + error);
        error.Should().NotContain("Heartbeat:Interval");
        output.Should().Contain("ALIVE:").And.Contain("Peer idle timeout 3s").And.NotContain("Heartbeat every 10s");
        await server.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData("""{ "Tcp": { "IdleTime": "1s", "Interval": "1s" }, "Heartbeat": { "Interval": "10s", "PeerIdleTimeout": "3s" } }""", "", "KeepAlive:Profiles:p:Heartbeat:Interval: Interval is 10s, over the limit of 1s500ms")]
    [InlineData("""{ "Tcp": { "IdleTime": "1s", "Interval": "1s" }, "Heartbeat": { "PeerIdleTimeout": "3s" } }""", "--heartbeat|ping|--every|2s", "Heartbeat:Interval: Interval is 2s, over the limit of 1s500ms")]
    public async Task Check_HeartbeatIntervalSetInTheFileOrByAFlag_IsStillJudgedAgainstThePeerIdleTimeout(string profile, string flags, string message)
    {
        var folder = Directory.CreateTempSubdirectory("keepalive-check-");
        try
        {
            var settings = Path.Combine(folder.FullName, "appsettings.json");
            await File.WriteAllTextAsync(settings, $$"""{ "KeepAlive": { "Profiles": { "p": {{profile}} } } }""", TestContext.Current.CancellationToken);

            var (exitCode, _, error) = await ToolRun.InProcessAsync(["check", Target, "--settings", settings, "--hold", "1s", .. flags.Split('|', StringSplitOptions.RemoveEmptyEntries)]);

            exitCode.Should().Be(2);
            error.Should().Contain(message);
            _listener.Poll(0, SelectMode.SelectRead).Should().BeFalse("a refused profile connects nowhere");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("""{ "Heartbeat": { "PeerIdleTimeout": "3s" } }""", "")]
    [InlineData("""{ "Tcp": { "IdleTime": "1s", "Interval": "1s" }, "Heartbeat": { "PeerIdleTimeout": "3s" } }""", "")]
    [InlineData("""{ "Tcp": { "IdleTime": "1s", "Interval": "1s" }, "Heartbeat": { "Jitter": "15s", "PeerIdleTimeout": "3s" } }""", "")]
    [InlineData("""{ "Tcp": { "IdleTime": "1s", "Interval": "1s" } }""", "--peer-idle-timeout|3s")]
    public async Task Check_ProfileFromSettingsWithoutHeartbeat_IsRefusedAsShowAndTheApplicationRefuseIt(string profile, string flags)
    {
        // Hosting refuses this profile at start-up: its heartbeat registration sends the default 10 s Heartbeat:Interval,
        // over half the 3 s peer idle timeout. check without --heartbeat dropped that refusal, exit 0 (or only the Jitter
        // line): a file the application refuses passed as good. Flags over the file stand for edits of it.
        var folder = Directory.CreateTempSubdirectory("keepalive-check-");
        try
        {
            var settings = Path.Combine(folder.FullName, "appsettings.json");
            await File.WriteAllTextAsync(settings, $$"""{ "KeepAlive": { "Profiles": { "p": {{profile}} } } }""", TestContext.Current.CancellationToken);
            string[] profileArgs = ["--settings", settings, .. flags.Split('|', StringSplitOptions.RemoveEmptyEntries)];
            var shown = await ToolRun.ShowRefusalAsync(profileArgs);

            var (exitCode, output, error) = await ToolRun.InProcessAsync(["check", Target, "--hold", "1s", .. profileArgs]);

            exitCode.Should().Be(2, output + error);
            shown.Should().Contain(static line => line.StartsWith("KeepAlive:Profiles:p:Heartbeat:Interval: Interval is 10s", StringComparison.Ordinal));
            ToolRun.Lines(error).Should().Equal(shown);
            _listener.Poll(0, SelectMode.SelectRead).Should().BeFalse("a refused profile connects nowhere");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Check_HeartbeatWithoutEvery_SendsAtTheHeartbeatIntervalOfTheProfileFromSettings()
    {
        // Without --every the heartbeat ran every second whatever the file said, and the profile was validated with that
        // 1 s: 'Heartbeat every 1 s' for a profile of 2 s, and a valid file with Jitter 1500ms refused with exit 2 as
        // 'KeepAlive:Profiles:payments:Heartbeat:Jitter: Jitter is 1s500ms, not less than Interval (1s)'.
        var folder = Directory.CreateTempSubdirectory("keepalive-check-");
        try
        {
            var settings = Path.Combine(folder.FullName, "appsettings.json");
            await File.WriteAllTextAsync(settings, """
                { "KeepAlive": { "Profiles": { "payments": { "Tcp": { "IdleTime": "2s", "Interval": "1s" }, "Heartbeat": { "Interval": "2s", "Jitter": "1500ms", "PeerIdleTimeout": "10s" } } } } }
                """, TestContext.Current.CancellationToken);
            var server = Task.Run(async () =>
            {
                using var peer = await _listener.AcceptAsync();
                var buffer = new byte[256];
                while (await peer.ReceiveAsync(buffer, SocketFlags.None) > 0)
                {
                }
            });

            var (exitCode, output, error) = await ToolRun.InProcessAsync("check", Target, "--settings", settings, "--hold", "1s", "--heartbeat", "ping");

            exitCode.Should().Be(0, output + error);
            output.Should().Contain("Heartbeat every 2s:").And.Contain("ALIVE:");
            await server.WaitAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Check_CtrlCOrSigterm_EndsTheHoldWithItsSummaryAndAWholeCapture()
    {
        // Ctrl-C (SIGINT) or SIGTERM killed the tool at once: no summary, and the capture cut in the middle of a frame
        // (libpcap writes through a buffer), so 'keepalive analyze' called it truncated and exited 2. Both signals go
        // through one handler (System.CommandLine's ProcessTerminationTimeout); the test sends SIGTERM because CI runs the
        // tests as a background job, where SIGINT is ignored from the start (POSIX) and .NET rightly keeps it ignored.
        TestEnvironment.RequireLinux();
        var capture = TestEnvironment.IsRoot ? Path.Combine(Path.GetTempPath(), $"keepalive-ctrlc-{Guid.NewGuid():N}.pcap") : null;
        string[] captureFlags = capture is null ? [] : ["--capture", capture];
        System.Diagnostics.Process? tool = null;
        var run = ToolRun.RunAsync([], TimeSpan.FromMinutes(1), p => tool = p,
            ["check", Target, "--hold", "60s", "--heartbeat", "ping", "--every", "50ms", .. captureFlags]);
        using var peer = await _listener.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(30));
        // The first heartbeat: the tool is holding the connection (under load it can still be printing its tables 1 s after connecting).
        await peer.ReceiveAsync(new byte[64], SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(500);

        NetworkNamespace.Run("kill", "-TERM", tool!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)).ExitCode.Should().Be(0);
        var stopping = System.Diagnostics.Stopwatch.StartNew();
        var result = await run;

        stopping.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(20), "the signal ends the 60 s hold");
        // Stopped early, the hold is no pass: it said 'ALIVE: the connection was held for 2.6 s and is still open' with exit 0.
        result.ExitCode.Should().Be(130, result.Interleaved);
        result.Output.Should().Contain("the hold was cut short").And.Contain("of the planned 1m").And.NotContain("ALIVE: the connection was held for");
        if (capture is not null)
        {
            result.Output.Should().Contain("Recorded ");
            var (analyzeExit, _, analyzeError) = await ToolRun.InProcessAsync("analyze", capture);
            File.Delete(capture);
            analyzeError.Should().NotContain("cut off");
            analyzeExit.Should().Be(0, analyzeError);
        }
    }

    [Fact]
    public async Task ProbeIdle_CtrlCOrSigterm_StopsWithExitCode130InsteadOfCrashing()
    {
        // Cancelled, a probe's connect threw TaskCanceledException out of the tool: 'Unhandled exception' and SIGABRT.
        // SIGTERM, as above: the same handler as Ctrl-C, and never ignored in a background job.
        TestEnvironment.RequireLinux();
        System.Diagnostics.Process? tool = null;
        var run = ToolRun.RunAsync([], TimeSpan.FromMinutes(1), p => tool = p, "probe-idle", Target, "--max", "60s");
        using var peer = await _listener.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(1000);

        NetworkNamespace.Run("kill", "-TERM", tool!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)).ExitCode.Should().Be(0);
        var result = await run;

        result.ExitCode.Should().Be(130, result.Interleaved);
        result.Error.Should().Contain("stopped: interrupted (Ctrl-C or SIGTERM)").And.NotContain("Unhandled exception");
    }

    [Fact]
    public async Task ProbeIdle_JsonStoppedByCtrlCOrSigterm_WritesJsonSayingSoWithTheProbesMeasured()
    {
        // Interrupted mid-round with --json, the tool wrote nothing on standard output (exit 130 and a line on standard
        // error): a script that parses the JSON got empty input. SIGTERM, as above: Ctrl-C's handler, never ignored in a background job.
        TestEnvironment.RequireLinux();
        System.Diagnostics.Process? tool = null;
        var run = ToolRun.RunAsync([], TimeSpan.FromMinutes(1), p => tool = p, "probe-idle", Target, "--max", "60s", "--connections", "4", "--json");
        using var peer = await _listener.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(2500); // the 1 s rung has answered, the three longer ones wait

        NetworkNamespace.Run("kill", "-TERM", tool!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)).ExitCode.Should().Be(0);
        var result = await run;

        result.ExitCode.Should().Be(130, result.Interleaved);
        result.Output.Should().NotBeNullOrWhiteSpace("a JSON consumer must learn the run was cancelled: {0}", result.Interleaved);
        using var json = System.Text.Json.JsonDocument.Parse(result.Output);
        json.RootElement.GetProperty("cancelled").GetBoolean().Should().BeTrue();
        json.RootElement.GetProperty("exitCode").GetInt32().Should().Be(130);
        json.RootElement.GetProperty("target").GetString().Should().Be(Target);
        // What was gathered: every probe the progress reported before the signal, and no conclusion past it.
        var reported = ToolRun.Lines(result.Error).Count(static l => l.StartsWith("silent ", StringComparison.Ordinal));
        json.RootElement.GetProperty("outcomes").GetArrayLength().Should().Be(reported, result.Error);
        json.RootElement.GetProperty("probes").GetInt32().Should().Be(reported);
        result.Error.Should().Contain("stopped: interrupted (Ctrl-C or SIGTERM)");
    }

    [Fact]
    public async Task ProbeIdle_JsonCancelledBeforeAnyProbe_WritesTheCancelledJsonEveryCommandWrites()
    {
        // Cancelled while the host name resolved, before any probe: the generic stop wrote its line on standard error
        // and nothing on standard output.
        TestEnvironment.RequireLinux();
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exitCode = await KeepAlive.Net.Tool.Cli.ToolApp.RunAsync(["probe-idle", "localhost:" + ((IPEndPoint)_listener.LocalEndPoint!).Port, "--json"],
            KeepAlive.Net.Tool.Cli.ToolConsole.Plain(output, error), new CancellationToken(canceled: true));

        exitCode.Should().Be(130, error.ToString());
        using var json = System.Text.Json.JsonDocument.Parse(output.ToString());
        json.RootElement.GetProperty("cancelled").GetBoolean().Should().BeTrue();
        json.RootElement.GetProperty("exitCode").GetInt32().Should().Be(130);
        json.RootElement.GetProperty("message").GetString().Should().Be(ToolRun.Lines(error.ToString()).Should().ContainSingle().Subject);
    }

    [Fact]
    public async Task ProbeIdle_SigtermWhileARoundWaits_StopsThereWithoutSpinningOrStartingAnotherRound()
    {
        // Cancelled while silent connections waited, the progress loop's cancelled delay completed at once: about a
        // thousand 'waiting: 4 s into the round' lines, then 'Round 2' started from the half-done round before 130.
        TestEnvironment.RequireLinux();
        System.Diagnostics.Process? tool = null;
        var run = ToolRun.RunAsync([], TimeSpan.FromMinutes(1), p => tool = p, "probe-idle", Target, "--max", "60s", "--connections", "4");
        using var peer = await _listener.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(2500); // the 1 s rung has answered, the three longer ones wait

        NetworkNamespace.Run("kill", "-TERM", tool!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)).ExitCode.Should().Be(0);
        var result = await run;

        result.ExitCode.Should().Be(130, result.Interleaved);
        result.Output.Should().Contain("Round 1:").And.NotContain("Round 2", "the search stops where it was interrupted")
            .And.NotContain("waiting:", "no 5 s progress tick was due, and a cancelled one is no reason to print");
    }

    [Fact]
    public async Task Check_HeartbeatLateWhileTheConnectionStaysAlive_IsAFindingExitOne()
    {
        // The tool stopped for 2s500ms (SIGSTOP, as a suspended VM or a throttled container pauses it): 'ALIVE: ... Heartbeats:
        // 22 sent, 1 late, worst lateness 2s489ms.' and exit code 0, though a late heartbeat is a finding (exit code 1).
        var result = await CheckStoppedForAWhileAsync("--every", "200ms");

        result.ExitCode.Should().Be(1, result.Interleaved);
        result.Output.Should().Contain("ALIVE: the connection was held for").And.MatchRegex(@"FINDING: \d+ heartbeats? started late \(the last: [A-Za-z]+\), exit code 1\.");
    }

    [Fact]
    public async Task Check_HeartbeatLateWithinTheProfilesDriftWarningThreshold_IsNoFinding()
    {
        // The heartbeat check sent was not the profile's: only its interval was taken, so a heartbeat was judged late from the
        // library's default 1s, not the profile's DriftWarningThreshold (nor its Jitter, Spread or PeerIdleTimeout, the
        // budget): stopped for 2s500ms, 'FINDING: 1 heartbeat started late' and exit code 1 for a profile that allows 1h.
        var result = await WithSettingsAsync(
            """{ "KeepAlive": { "Profiles": { "p": { "Tcp": { "IdleTime": "1s", "Interval": "1s" }, "Heartbeat": { "Interval": "200ms", "Jitter": "50ms", "DriftWarningThreshold": "1h", "PeerIdleTimeout": "1m" } } } } }""",
            settings => CheckStoppedForAWhileAsync("--settings", settings));

        // The pause was measured (a worst lateness of seconds) and is within the profile's threshold and half its budget.
        result.ExitCode.Should().Be(0, result.Interleaved);
        result.Output.Should().Contain("ALIVE: the connection was held for").And.MatchRegex(@"Heartbeats: \d+ sent, 0 late, worst lateness [2-9]s").And.NotContain("FINDING");
    }

    [Fact]
    public async Task Check_PeerResets_ReportsRstAndExitsOne()
    {
        var server = Task.Run(async () =>
        {
            using var peer = await _listener.AcceptAsync();
            await Task.Delay(700);
            peer.LingerState = new LingerOption(true, 0);
            peer.Close();
        });

        var (exitCode, output, _) = await ToolRun.InProcessAsync("check", Target, "--hold", "20s");

        exitCode.Should().Be(1);
        output.Should().Contain("DIED: RST from the peer").And.Contain("this was not our kernel giving up");
        await server;
    }

    [Fact]
    public async Task Check_PeerCloses_ReportsFinAndExitsOne()
    {
        var server = Task.Run(async () =>
        {
            using var peer = await _listener.AcceptAsync();
            await Task.Delay(500);
            peer.Shutdown(SocketShutdown.Both);
        });

        var (exitCode, output, _) = await ToolRun.InProcessAsync("check", Target, "--hold", "20s");

        exitCode.Should().Be(1);
        output.Should().Contain("DIED: FIN from the peer");
        await server;
    }

    [Fact]
    public async Task Check_RefusedPort_ExitsTwoSayingNothingListens()
    {
        var port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _listener.Close();

        var (exitCode, _, error) = await ToolRun.InProcessAsync("check", $"127.0.0.1:{port}", "--hold", "1s");

        exitCode.Should().Be(2);
        error.Should().Contain("connection refused").And.Contain($"nothing listens on port {port}")
            .And.Contain($"Fix: check the port, and that the service runs and listens on 127.0.0.1:{port}");
    }

    [Fact]
    public async Task Check_NameWhoseIpv4AddressRefuses_ConnectsToItsAddressThatListens()
    {
        // A name with an IPv4 and an IPv6 address, the server on IPv6 only: the tool took the first IPv4 address and
        // answered "connection refused" without trying the other, where every client library falls back.
        using var listener = Ipv6LoopbackListener(out var port);
        using var name = new HostsFileEntry(IPAddress.Loopback, IPAddress.IPv6Loopback);

        var (exitCode, output, error) = await ToolRun.InProcessAsync("check", $"{name.Name}:{port}", "--hold", "1500ms", "--idle", "1s", "--interval", "1s", "--count", "2");

        exitCode.Should().Be(0, output + error);
        output.Should().MatchRegex($@"-> \[::1\]:{port}: read back").And.Contain("ALIVE");
    }

    [Fact]
    public async Task Check_UnknownHost_ExitsTwoNamingTheHost()
    {
        var (exitCode, _, error) = await ToolRun.InProcessAsync("check", "no-such-host.invalid:443", "--hold", "1s");

        exitCode.Should().Be(2);
        error.Should().Contain("no-such-host.invalid: unknown host").And.Contain("Fix: check the name, or give its IP address, e.g. 10.0.0.2:443.");
    }

    [Fact]
    public async Task Check_Ipv6LoopbackInBrackets_HoldsTheConnectionAndPrintsTheEndpointsAsTheyAre()
    {
        // "[::1]" in a table title or row was read as a Spectre markup style and aborted the tool.
        using var listener = Ipv6LoopbackListener(out var port);
        var server = listener.AcceptAsync();

        var (exitCode, output, error) = await ToolRun.InProcessAsync("check", $"[::1]:{port}", "--hold", "1500ms", "--idle", "1s", "--interval", "1s", "--count", "2");

        exitCode.Should().Be(0, output + error);
        error.Should().BeEmpty();
        output.Should().MatchRegex($@"\[::1\]:\d+ -> \[::1\]:{port}: read back").And.Contain("ALIVE");
        (await server).Dispose();
    }

    [Fact]
    public async Task Check_Ipv4MappedIpv6Literal_ConnectsToTheIpv4Peer()
    {
        // [::ffff:127.0.0.1] is 127.0.0.1 written as IPv6; an IPv6-only socket refused it as 'Network is unreachable'.
        var port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        var server = _listener.AcceptAsync();

        var (exitCode, output, error) = await ToolRun.InProcessAsync("check", $"[::ffff:127.0.0.1]:{port}", "--hold", "1500ms", "--idle", "1s", "--interval", "1s", "--count", "2");

        exitCode.Should().Be(0, output + error);
        error.Should().BeEmpty();
        output.Should().Contain($"-> 127.0.0.1:{port}").And.Contain("ALIVE");
        (await server).Dispose();
    }

    [Theory]
    [InlineData("::1", "[::1]:443")]
    [InlineData("fe80::1", "[fe80::1]:443")]
    [InlineData("[::1]", "[::1]:443")]
    [InlineData("::1:80", "[::1]:80 if 80 is the port")]
    [InlineData("2001:DB8::1", "[2001:DB8::1]:443")]
    public async Task Check_Ipv6AddressWithoutBracketsOrPort_ExitsTwoShowingTheBracketForm(string target, string form)
    {
        // "::1" used to be read as host ":" and port 1; "::1:80" was shown back as "[::0.1.0.128]:443" (IPAddress's text).
        var (exitCode, output, error) = await ToolRun.InProcessAsync("check", target);

        exitCode.Should().Be(2);
        output.Should().BeEmpty();
        error.Should().Contain(form).And.NotContain("unknown host").And.NotContain("0.1.0.128");
    }

    [Theory]
    [InlineData("[::1]:7300", "::1", 7300)]
    [InlineData("10.0.0.2:5000", "10.0.0.2", 5000)]
    [InlineData("example.com:443", "example.com", 443)]
    [InlineData(" [2001:db8::1]:65535 ", "2001:db8::1", 65535)]
    public void HostAndPortParse_Forms_SplitHostAndPort(string text, string host, int port)
    {
        var parsed = KeepAlive.Net.Tool.Check.HostAndPort.Parse(text);

        parsed.Should().Be(new KeepAlive.Net.Tool.Check.HostAndPort(host, port));
    }

    [Theory]
    [InlineData("http://127.0.0.1:5000", "127.0.0.1:5000")]
    [InlineData("https://example.com/health", "example.com:443")]
    [InlineData("https://[::1]:7300/", "[::1]:7300")]
    public async Task Check_Url_ExitsTwoGivingItsHostAndPortNotIpv6Advice(string target, string hostAndPort)
    {
        // A URL pasted as the target was told it 'looks like an IPv6 address' (its scheme's colon) and to use brackets.
        var (exitCode, _, error) = await ToolRun.InProcessAsync("check", target);

        exitCode.Should().Be(2);
        error.Should().Contain($"'{target}' is a URL").And.Contain($"Fix: give its host and port, {hostAndPort}").And.NotContain("IPv6 address");
    }

    [Fact]
    public async Task Check_InvalidFlags_ExitsTwoWithTheLibrarysValidationMessage()
    {
        var (exitCode, _, error) = await ToolRun.InProcessAsync("check", Target, "--count", "0");

        exitCode.Should().Be(2);
        error.Should().Contain("ProbeCount").And.Contain("0");
    }

    [Theory]
    [InlineData("--every|2h|--heartbeat|ping", "--every (Heartbeat:Interval): '2h' is above the ceiling of 1h")]
    [InlineData("--every|2s", "--every: it sets the period of --heartbeat, which is not given")]
    [InlineData("--heartbeat|", "--heartbeat: the text is empty")]
    [InlineData("--hold|99999999999999999999d", "--hold: '99999999999999999999d' is above the ceiling of 7d")]
    [InlineData("--hold|0s", "--hold: '0s' is below the floor of 1s")]
    public async Task Check_FlagOutOfRangeOrWithoutMeaning_ExitsTwoBeforeConnectingNamingTheFlagAndTheFix(string flags, string message)
    {
        var (exitCode, _, error) = await ToolRun.InProcessAsync(["check", Target, .. flags.Split('|')]);

        exitCode.Should().Be(2);
        error.Should().Contain(message);
        _listener.Poll(0, SelectMode.SelectRead).Should().BeFalse("a refused command line connects nowhere");
    }

    [Fact]
    public async Task Check_Capture_TellsHowToReadItWithAPathThatWorksFromAnyFolder()
    {
        // It said "read them with 'keepalive analyze check.pcap'", the file's bare name: from any other folder than the
        // capture's, that command answers "no such file".
        TestEnvironment.Require(TestEnvironment.IsRoot, "capturing needs root or CAP_NET_RAW");
        var capture = Path.Combine(Directory.CreateTempSubdirectory("keepalive-capture-").FullName, "check.pcap");

        var (exitCode, output, error) = await ToolRun.InProcessAsync("check", Target, "--capture", capture, "--hold", "1s");
        Directory.Delete(Path.GetDirectoryName(capture)!, recursive: true);

        exitCode.Should().Be(0, error);
        output.Should().Contain($"read them with 'keepalive analyze {capture}'");
    }

    [Fact]
    public async Task Check_CaptureToALinkLocalPeerWithItsScope_RecordsIt()
    {
        // The filter read 'host fe80::1%2', which libpcap cannot compile, and the error blamed libpcap and permissions.
        TestEnvironment.Require(TestEnvironment.IsRoot, "capturing needs root or CAP_NET_RAW");
        var linkLocal = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(static n => n.GetIPProperties().UnicastAddresses).Select(static u => u.Address)
            .FirstOrDefault(static a => a.IsIPv6LinkLocal);
        TestEnvironment.Require(linkLocal is not null, "no interface has an IPv6 link-local address");
        using var listener = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(linkLocal!, 0));
        listener.Listen(4);
        var folder = Directory.CreateTempSubdirectory("keepalive-capture-").FullName;

        var (exitCode, output, error) = await ToolRun.InProcessAsync("check", listener.LocalEndPoint!.ToString()!, "--capture", Path.Combine(folder, "check.pcap"), "--hold", "1s");
        Directory.Delete(folder, recursive: true);

        error.Should().NotContain("cannot capture packets");
        exitCode.Should().Be(0, error);
        output.Should().Contain("read them with 'keepalive analyze");
    }

    [Theory]
    [InlineData("nonexistent-folder/x.pcap")]
    [InlineData("")]
    public async Task Check_CaptureFileThatCannotBeWritten_ExitsTwoBeforeConnecting(string relative)
    {
        var path = Path.Combine(Path.GetTempPath(), relative);

        var (exitCode, output, error) = await ToolRun.InProcessAsync("check", Target, "--capture", path, "--hold", "1s");

        exitCode.Should().Be(2, output);
        error.Should().Contain($"--capture {path}: cannot write the capture there").And.Contain("Fix: give a file in a folder that exists");
        _listener.Poll(0, SelectMode.SelectRead).Should().BeFalse("the capture is opened before the connection");
    }

    /// <summary>Runs <paramref name="run"/> with the path of an appsettings.json holding <paramref name="json"/>, deleted after.</summary>
    private static async Task<T> WithSettingsAsync<T>(string json, Func<string, Task<T>> run)
    {
        var folder = Directory.CreateTempSubdirectory("keepalive-check-");
        try
        {
            var settings = Path.Combine(folder.FullName, "appsettings.json");
            await File.WriteAllTextAsync(settings, json, TestContext.Current.CancellationToken);
            return await run(settings);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Runs <c>check --heartbeat ping --hold 8s</c> with <paramref name="flags"/> as a process and stops it for 2s500ms once its
    /// first heartbeat arrived (SIGSTOP, as a suspended VM or a throttled container pauses it).
    /// </summary>
    private async Task<(int ExitCode, string Output, string Error, string Interleaved)> CheckStoppedForAWhileAsync(params string[] flags)
    {
        TestEnvironment.RequireLinux();
        System.Diagnostics.Process? tool = null;
        var run = ToolRun.RunAsync([], TimeSpan.FromMinutes(1), p => tool = p, ["check", Target, "--hold", "8s", "--heartbeat", "ping", .. flags]);
        using var peer = await _listener.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await peer.ReceiveAsync(new byte[64], SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(30));
        var pid = tool!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);

        NetworkNamespace.Run("kill", "-STOP", pid).ExitCode.Should().Be(0);
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        NetworkNamespace.Run("kill", "-CONT", pid).ExitCode.Should().Be(0);
        return await run;
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>A listener on [::1] and an ephemeral port (the test is refused where IPv6 is disabled).</summary>
    private static Socket Ipv6LoopbackListener(out int port)
    {
        TestEnvironment.Require(Socket.OSSupportsIPv6, "IPv6 is disabled on this machine");
        var listener = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        listener.Listen(4);
        port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        return listener;
    }
}
