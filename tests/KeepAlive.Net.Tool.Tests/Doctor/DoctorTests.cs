using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using KeepAlive.Net.Hosting;
using KeepAlive.Net.Tests.TestSupport;
using KeepAlive.Net.Tool.Doctor;
using KeepAlive.Net.Tool.Show;
using KeepAlive.Net.Tool.Tests.Support;
using KeepAlive.Net.Tool.Tests.Wire;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KeepAlive.Net.Tool.Tests.Doctor;

/// <summary>
/// <c>doctor</c> against real processes holding real connections through the routed lab: the values it prints are the
/// ones the kernel holds (compared with what the process reads back itself), and the verdicts follow them.
/// </summary>
[Collection(WireCollection.Name)]
public sealed class DoctorTests(ITestOutputHelper output) : IDisposable
{
    private const string Settings = """
        { "KeepAlive": { "Profiles": { "payments": {
            "Tcp":       { "IdleTime": "30s", "Interval": "5s", "ProbeCount": 4 },
            "Heartbeat": { "PeerIdleTimeout": "AwsNlb" } } } } }
        """;

    private readonly string _folder = Directory.CreateTempSubdirectory("keepalive-doctor-").FullName;
    private readonly List<Socket> _serverSides = [];

    [Fact]
    public async Task Doctor_ProcessWithKeepAliveOffKernelDefaultAndProfile_ReadsTheKernelsValuesExactlyAndExitsOne()
    {
        using var lab = RoutedLab.Create();
        using var listener = lab.Listen();
        var settings = await WriteSettingsAsync();
        var profile = LoadProfile(settings);
        using var off = await ConnectAsync(lab, listener);
        using var kernelDefault = await ConnectAsync(lab, listener);
        kernelDefault.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        using var fromProfile = await ConnectAsync(lab, listener);
        fromProfile.ConfigureKeepAlive(profile.Tcp);

        var run = await ToolRun.RunAsync([], TimeSpan.FromMinutes(1), "doctor", "--pid", Pid, "--peer-idle-timeout", "350s", "--settings", settings, "--profile", "payments", "--json");

        output.WriteLine(run.Interleaved);
        run.ExitCode.Should().Be(1, "two connections are unprotected");
        using var json = JsonDocument.Parse(run.Output);
        json.RootElement.GetProperty("pid").GetInt32().Should().Be(Environment.ProcessId);
        json.RootElement.GetProperty("peerIdleTimeout").GetProperty("seconds").GetDouble().Should().Be(350);
        var connections = json.RootElement.GetProperty("connections").EnumerateArray().ToList();

        var offFound = AssertReadExactly(connections, off);
        offFound.GetProperty("keepAlive").GetBoolean().Should().BeFalse();
        offFound.GetProperty("protected").GetBoolean().Should().BeFalse();
        offFound.GetProperty("verdict").GetString().Should().Contain("keep-alive is off");
        offFound.GetProperty("fix").GetString().Should().Contain("apply profile 'payments'");

        var defaultFound = AssertReadExactly(connections, kernelDefault);
        defaultFound.GetProperty("keepAlive").GetBoolean().Should().BeTrue();
        defaultFound.GetProperty("idle").GetDouble().Should().Be(7200, "the lab's namespace has the kernel's default");
        defaultFound.GetProperty("protected").GetBoolean().Should().BeFalse();
        defaultFound.GetProperty("verdict").GetString().Should().Contain("first probe leaves after 2h idle (the kernel's default)").And.Contain("5m50s");

        var profileFound = AssertReadExactly(connections, fromProfile);
        profileFound.GetProperty("keepAlive").GetBoolean().Should().BeTrue();
        (profileFound.GetProperty("idle").GetDouble(), profileFound.GetProperty("interval").GetDouble(), profileFound.GetProperty("count").GetInt32())
            .Should().Be((30, 5, 4));
        profileFound.GetProperty("protected").GetBoolean().Should().BeTrue();
        profileFound.GetProperty("profile").GetString().Should().Be("payments");
        profileFound.GetProperty("fix").ValueKind.Should().Be(JsonValueKind.Null);
    }

    [Fact]
    public async Task Doctor_KeepaliveCheckHoldingAProfileConnection_EverythingProtectedExitsZero()
    {
        using var lab = RoutedLab.Create();
        using var listener = lab.Listen();
        var settings = await WriteSettingsAsync();
        Process? check = null;
        var checkRun = ToolRun.RunAsync(["ip", "netns", "exec", lab.Client], TimeSpan.FromMinutes(2), p => check = p,
            "check", RoutedLab.ServerEndPoint.ToString(), "--settings", settings, "--profile", "payments", "--hold", "60s");
        using var accepted = await listener.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var sinceAccepted = Stopwatch.StartNew();
        await Task.Delay(300);

        var text = await ToolRun.RunAsync([], TimeSpan.FromMinutes(1), "doctor", "--pid", check!.Id.ToString(CultureInfo.InvariantCulture), "--settings", settings, "--profile", "payments");
        var run = await ToolRun.RunAsync([], TimeSpan.FromMinutes(1), "doctor", "--pid", check.Id.ToString(CultureInfo.InvariantCulture), "--settings", settings, "--profile", "payments", "--json");
        var idleAtMost = sinceAccepted.Elapsed.TotalSeconds;
        accepted.Shutdown(SocketShutdown.Both);
        await checkRun;

        output.WriteLine(text.Interleaved);
        text.ExitCode.Should().Be(0, text.Interleaved);
        text.Output.Should().Contain("protected (profile 'payments'): the first probe leaves after 30s idle and its retry after 35s, before the peer idle timeout of 5m50s (AwsNlb, profile 'payments')");
        output.WriteLine(run.Output);
        run.ExitCode.Should().Be(0);
        using var json = JsonDocument.Parse(run.Output);
        var connection = json.RootElement.GetProperty("connections").EnumerateArray()
            .Should().ContainSingle(c => c.GetProperty("remote").GetString() == RoutedLab.ServerEndPoint.ToString()).Subject;
        connection.GetProperty("remote").GetString().Should().Be(RoutedLab.ServerEndPoint.ToString());
        connection.GetProperty("local").GetString().Should().Be(accepted.RemoteEndPoint!.ToString());
        connection.GetProperty("state").GetString().Should().Be("ESTABLISHED");
        connection.GetProperty("protected").GetBoolean().Should().BeTrue();
        connection.GetProperty("profile").GetString().Should().Be("payments");
        // Nothing was sent since the handshake, so the connection was idle at most as long as it had been open when the
        // second doctor finished: a fixed 5 s failed under load, two tool starts taking 6 s.
        connection.GetProperty("idleFor").GetDouble().Should().BeInRange(0, idleAtMost + 0.5);
    }

    [Fact]
    public async Task Doctor_AsAnotherUser_ExitsTwoSayingWhatNeedsPrivilege()
    {
        TestEnvironment.Require(TestEnvironment.IsRoot, "the test switches to the user nobody, which needs root");
        TestEnvironment.Require(NetworkNamespace.Run("setpriv", "--version").ExitCode == 0, "setpriv (util-linux) is missing");
        var tool = OperatingSystem.IsWindows() ? string.Empty : ToolRun.CopyWhereNobodyCanRunIt(_folder);

        var run = await ToolRun.RunCommandAsync(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "env", "HOME=" + _folder, "DOTNET_CLI_HOME=" + _folder, .. ToolRun.Dotnet(tool), "doctor", "--pid", Pid],
            TimeSpan.FromMinutes(1), null);

        output.WriteLine(run.Interleaved);
        run.ExitCode.Should().Be(2);
        run.Error.Should().Contain("not permitted").And.Contain("Fix: run doctor as root (sudo keepalive doctor --pid " + Pid);
    }

    [Fact]
    public async Task Doctor_RootWithCapSysPtraceRefusedByASecurityModule_SaysWhySudoWouldNotHelp()
    {
        // Run as root with CAP_SYS_PTRACE inside a Landlock domain (as a sandbox runs it), doctor was refused the links of
        // a process outside it (pid 1 in such a sandbox) and told to run 'sudo keepalive doctor': it already was root.
        TestEnvironment.Require(TestEnvironment.IsRoot, "the test runs the tool as root with CAP_SYS_PTRACE");
        TestEnvironment.Require(NetworkNamespace.Run("perl", "-e", "exit 0").ExitCode == 0, "perl is missing (it starts the tool in a Landlock domain)");
        TestEnvironment.Require(NetworkNamespace.Run("perl", "-e", "exit(syscall(444, 0, 0, 1) > 0 ? 0 : 1)").ExitCode == 0, "the kernel has no Landlock (Linux 5.13+, CONFIG_SECURITY_LANDLOCK)");
        using var other = Process.Start(new ProcessStartInfo("sleep", ["60"]))!;
        try
        {
            // prctl(PR_SET_NO_NEW_PRIVS), landlock_create_ruleset handling only the making of block devices, landlock_restrict_self, exec.
            const string landlock = """syscall(157, 38, 1, 0, 0, 0) == 0 or die "prctl: $!"; my $attr = pack("Q", 1 << 11); my $fd = syscall(444, $attr, 8, 0); $fd >= 0 or die "landlock: $!"; syscall(446, $fd, 0) == 0 or die "restrict: $!"; exec @ARGV or die "exec: $!";""";
            var run = await ToolRun.RunCommandAsync(
                ["perl", "-e", landlock, .. ToolRun.Dotnet(Path.GetDirectoryName(ToolRun.ToolDll)!), "doctor", "--pid", other.Id.ToString(CultureInfo.InvariantCulture)],
                TimeSpan.FromMinutes(1), null);

            output.WriteLine(run.Interleaved);
            run.ExitCode.Should().Be(2);
            run.Error.Should().Contain("not permitted to read where the process's file descriptors point")
                .And.Contain("already runs as root with CAP_SYS_PTRACE").And.Contain("security module").And.NotContain("Run 'sudo");
        }
        finally
        {
            other.Kill();
        }
    }

    [Fact]
    public async Task Doctor_RootWithoutCapSysPtraceOnAnotherUsersProcess_ExitsTwoInsteadOfReportingNoSockets()
    {
        // Root without CAP_SYS_PTRACE (a container's default) may list /proc/PID/fd of another user's process but not
        // read its links: the sockets cannot even be counted, which must not read as "0 TCP sockets", exit 0.
        TestEnvironment.Require(TestEnvironment.IsRoot, "the test drops CAP_SYS_PTRACE from root and starts a process as the user nobody");
        TestEnvironment.Require(NetworkNamespace.Run("setpriv", "--version").ExitCode == 0, "setpriv (util-linux) is missing");
        using var other = Process.Start(new ProcessStartInfo("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "sleep", "60"]))!;
        try
        {
            await WaitForUserAsync(other.Id, 65534);

            var run = await ToolRun.RunCommandAsync(
                ["setpriv", "--inh-caps=-sys_ptrace", "--bounding-set=-sys_ptrace", .. ToolRun.Dotnet(Path.GetDirectoryName(ToolRun.ToolDll)!), "doctor", "--pid", other.Id.ToString(CultureInfo.InvariantCulture)],
                TimeSpan.FromMinutes(1), null);

            output.WriteLine(run.Interleaved);
            run.ExitCode.Should().Be(2);
            run.Output.Should().NotContain("0 TCP sockets");
            run.Error.Should().Contain("not permitted to read where the process's file descriptors point").And.Contain("CAP_SYS_PTRACE")
                .And.Contain("--cap-add SYS_PTRACE").And.NotContain("Run 'sudo", "it runs as root already: sudo gives back no capability its bounding set dropped");
        }
        finally
        {
            other.Kill();
        }
    }

    [Fact]
    public async Task Doctor_OwnUsersProcessHoldingACapabilityTheUserLacks_RefusalHasItsFix()
    {
        // A service run as its own user with a capability (systemd's AmbientCapabilities=CAP_NET_BIND_SERVICE): that user
        // may list /proc/PID/fd but not read its links, as the kernel lets no one without CAP_SYS_PTRACE read a process that
        // holds capabilities they lack. The refusal said "Run 'sudo keepalive doctor ...'" with no "Fix: ", so --json's
        // "fix" was null, unlike every other refusal.
        TestEnvironment.Require(TestEnvironment.IsRoot, "the test starts a process and the tool as the user nobody, which needs root");
        TestEnvironment.Require(NetworkNamespace.Run("setpriv", "--version").ExitCode == 0, "setpriv (util-linux) is missing");
        var tool = OperatingSystem.IsWindows() ? string.Empty : ToolRun.CopyWhereNobodyCanRunIt(_folder);
        using var service = Process.Start(new ProcessStartInfo("setpriv",
            ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=+net_bind_service", "--ambient-caps=+net_bind_service", "sleep", "60"]))!;
        try
        {
            var pid = service.Id.ToString(CultureInfo.InvariantCulture);
            var deadline = Stopwatch.StartNew();
            while (File.ReadAllText($"/proc/{pid}/comm").Trim() != "sleep")
            {
                deadline.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(30), "setpriv switches user and execs sleep at once");
                await Task.Delay(20);
            }

            var run = await ToolRun.RunCommandAsync(
                ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "env", "HOME=" + _folder, "DOTNET_CLI_HOME=" + _folder, .. ToolRun.Dotnet(tool), "doctor", "--pid", pid, "--json"],
                TimeSpan.FromMinutes(1), null);

            output.WriteLine(run.Interleaved);
            run.ExitCode.Should().Be(2);
            run.Error.Should().Contain("not permitted to read where the process's file descriptors point").And.Contain($"Fix: run 'sudo keepalive doctor --pid {pid}'");
            using var json = JsonDocument.Parse(run.Output);
            json.RootElement.GetProperty("errors").EnumerateArray().Should().ContainSingle()
                .Which.GetProperty("fix").GetString().Should().StartWith($"run 'sudo keepalive doctor --pid {pid}'");
        }
        finally
        {
            service.Kill();
        }
    }

    [Fact]
    public async Task Doctor_JsonStoppedByCtrlCOrSigtermWhileReadingAProcessWithManySockets_WritesTheCancelledJsonAndExits130()
    {
        // SIGTERM while doctor read a process holding thousands of sockets: its synchronous action died at once, exit 143
        // (not the documented 130) with nothing on standard output for a JSON consumer. SIGTERM, as the neighbouring
        // tests send it: Ctrl-C's handler, never ignored in a background job.
        TestEnvironment.RequireLinux();
        TestEnvironment.Require(NetworkNamespace.Run("perl", "-e", "exit 0").ExitCode == 0, "perl is missing (it starts the process holding many sockets)");
        // As many unbound TCP sockets as the descriptor limit allows, then 'ready' and a long sleep.
        var holder = Process.Start(new ProcessStartInfo("perl", ["-e", """my @s; while (socket(my $s, 2, 1, 0)) { push @s, $s } $| = 1; print scalar(@s), "\n"; sleep 120;"""]) { RedirectStandardOutput = true })!;
        try
        {
            var held = int.Parse((await holder.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)))!, CultureInfo.InvariantCulture);
            TestEnvironment.Require(held >= 5000, $"the descriptor limit (ulimit -n) lets a process hold only {held} sockets: too few for doctor to be stopped while it reads them");
            Process? tool = null;
            var run = ToolRun.RunAsync([], TimeSpan.FromMinutes(1), p => tool = p, "doctor", "--pid", holder.Id.ToString(CultureInfo.InvariantCulture), "--json");
            // doctor opens its pidfd of the process just before it reads the sockets one by one: signal it then.
            var fds = $"/proc/{tool!.Id.ToString(CultureInfo.InvariantCulture)}/fd";
            while (!Directory.EnumerateFileSystemEntries(fds).Any(static f => new FileInfo(f).LinkTarget == "anon_inode:[pidfd]"))
            {
                tool.HasExited.Should().BeFalse("doctor reads {0} sockets, which takes long enough to be stopped in the middle", held);
            }

            NetworkNamespace.Run("kill", "-TERM", tool.Id.ToString(CultureInfo.InvariantCulture)).ExitCode.Should().Be(0);
            var result = await run;

            output.WriteLine(result.Interleaved);
            result.ExitCode.Should().Be(130, result.Interleaved);
            result.Output.Should().NotBeNullOrWhiteSpace("a JSON consumer must learn the run was cancelled: {0}", result.Interleaved);
            using var json = JsonDocument.Parse(result.Output);
            json.RootElement.GetProperty("cancelled").GetBoolean().Should().BeTrue();
            json.RootElement.GetProperty("exitCode").GetInt32().Should().Be(130);
            result.Error.Should().Contain("stopped: interrupted (Ctrl-C or SIGTERM)");
        }
        finally
        {
            holder.Kill();
            holder.Dispose();
        }
    }

    [Fact]
    public async Task Doctor_Json_WritesThePeerIdleTimeoutInSecondsToTheMillisecondAsEveryOtherTime()
    {
        // It wrote "seconds": 5.0004567, the value's every tick, where every other time in --json is rounded to the millisecond.
        TestEnvironment.RequireLinux();
        using var sleeper = Process.Start("sleep", "30");
        try
        {
            var (_, text, error) = await ToolRun.InProcessAsync("doctor", "--pid", sleeper.Id.ToString(CultureInfo.InvariantCulture), "--peer-idle-timeout", "00:00:05.0004567", "--json");

            using var json = JsonDocument.Parse(text);
            json.RootElement.GetProperty("peerIdleTimeout").GetProperty("seconds").GetDouble().Should().Be(5, error);
        }
        finally
        {
            sleeper.Kill();
        }
    }

    [Fact]
    public void Doctor_PeerIdleTimeoutWithMicroseconds_IsWrittenExactlyBesideTheRetryItBeats()
    {
        // --peer-idle-timeout 20000200us, probes at 10s and 20s: protected (20s is under 20s200us), yet the text read "its
        // retry after 20s, before the peer idle timeout of 20s", the reason for the verdict contradicting it.
        var reading = new SocketReading
        {
            Fd = 3, Inode = 1, State = "ESTABLISHED",
            Settings = new KeepAliveSettings
            {
                Platform = KeepAlivePlatform.Linux, Enabled = true, IsReadBackFromKernel = true, IdleTime = TimeSpan.FromSeconds(10), Interval = TimeSpan.FromSeconds(10), ProbeCount = 3,
            },
        };
        var reference = new DoctorReference(KeepAliveDuration.Parse("20000200us"), "--peer-idle-timeout", null, null, null);

        var (report, text) = Report(reference, null, reading);

        report.Protected.Should().Be(1);
        text.Should().Contain("judged against a peer idle timeout of 20s200us (--peer-idle-timeout)")
            .And.Contain("its retry after 20s, before the peer idle timeout of 20s200us (--peer-idle-timeout)");
    }

    [Theory]
    [InlineData(1, "Exit code 2: the keep-alive of 1 connection could not be read, so it is not known to be protected.")]
    [InlineData(2, "Exit code 2: the keep-alive of 2 connections could not be read, so they are not known to be protected.")]
    public void Doctor_ConnectionsWhoseValuesCannotBeRead_TextSaysItExitsTwoAndWhy(int unreadable, string says)
    {
        // Without the right to duplicate the sockets, doctor exited 2 while its text said "0 unprotected, 0 protected,
        // 1 unknown" and no exit code, though it says "Exit code 1." for an unprotected one and "Exit code 3." for none.
        var readings = Enumerable.Range(3, unreadable)
            .Select(static fd => new SocketReading { Fd = fd, Inode = fd, State = "ESTABLISHED", Unreadable = "pidfd_getfd was refused (EPERM)" }).ToArray();

        var (report, text) = Report(new DoctorReference(PeerIdleTimeout.AwsNlb, "test", null, null, null), "pidfd_getfd was refused (EPERM)", readings);

        report.ExitCode.Should().Be(2);
        text.Should().Contain($"0 unprotected, 0 protected, {unreadable} unknown, 0 not applicable").And.Contain(says)
            .And.Contain("What could not be read: pidfd_getfd was refused (EPERM).");
    }

    [Fact]
    public async Task Doctor_NoSuchProcess_ExitsTwo()
    {
        TestEnvironment.RequireLinux();

        var (exitCode, text, error) = await ToolRun.InProcessAsync("doctor", "--pid", "2147483646");

        exitCode.Should().Be(2);
        text.Should().BeEmpty();
        error.Should().Contain("--pid 2147483646: no such process");
    }

    [Fact]
    public async Task Doctor_ProcessThatHasEnded_ExitsTwoInsteadOfReportingNoSockets()
    {
        // A zombie (ended, not yet reaped) keeps /proc/PID but no descriptors, as does a process that ends while doctor
        // reads it: its sockets are closed, which must not read as "0 TCP sockets", exit 0.
        TestEnvironment.RequireLinux();
        using var parent = Process.Start(new ProcessStartInfo("sh", ["-c", "sleep 0.05 & exec sleep 60"]))!;
        try
        {
            var zombie = await WaitForZombieChildAsync(parent.Id);

            var (exitCode, text, error) = await ToolRun.InProcessAsync("doctor", "--pid", zombie.ToString(CultureInfo.InvariantCulture));

            exitCode.Should().Be(2, text);
            text.Should().NotContain("0 TCP sockets");
            error.Should().Contain($"--pid {zombie}: the process ended").And.Contain("Fix: run doctor while the process runs");
        }
        finally
        {
            parent.Kill();
        }
    }

    [Theory]
    // A process with no TCP socket at all (a launcher, a shell, the wrong one of a service's processes) read
    // '0 TCP sockets ... 0 unprotected, 0 protected', exit 0: a script took "nothing was checked" for "all protected".
    [InlineData(false, "holds no TCP socket")]
    // A server between clients holds only its listener, which is never judged (its connections are): nothing was checked either.
    [InlineData(true, "holds 1 TCP socket, but no connection that can be judged (1 not applicable: listening")]
    public async Task Doctor_ProcessWithNoConnectionToJudge_SaysSoAndExitsThreeNotZero(bool listening, string says)
    {
        TestEnvironment.RequireLinux();
        using var listener = LoopbackListener();
        // dup(2) clears FD_CLOEXEC, so the child started next inherits that one descriptor: the listener. Every other
        // descriptor the test process holds without FD_CLOEXEC (another test's, in parallel) is closed before sleep runs,
        // else the child judged held sockets of other tests (seen in CI: two inherited listeners).
        var inherited = listening ? Dup((int)listener.SafeHandle.DangerousGetHandle()) : -1;
        var start = new ProcessStartInfo("bash", ["-c", """for fd in /proc/$$/fd/*; do fd=${fd##*/}; if [ "$fd" -gt 2 ] && [ "$fd" != "$KEEP_FD" ]; then eval "exec $fd>&-"; fi; done; exec sleep 60"""]);
        start.Environment["KEEP_FD"] = inherited.ToString(CultureInfo.InvariantCulture);
        using var process = Process.Start(start)!;
        if (listening)
        {
            Close(inherited).Should().Be(0);
        }

        try
        {
            var pid = process.Id.ToString(CultureInfo.InvariantCulture);
            for (var waited = 0; File.ReadAllText($"/proc/{pid}/comm").Trim() != "sleep"; waited++)
            {
                waited.Should().BeLessThan(1000, "bash closes the other descriptors and becomes sleep within 10 s");
                await Task.Delay(10, TestContext.Current.CancellationToken);
            }

            var text = await ToolRun.RunAsync([], TimeSpan.FromMinutes(1), "doctor", "--pid", pid);
            var json = await ToolRun.RunAsync([], TimeSpan.FromMinutes(1), "doctor", "--pid", pid, "--json");

            output.WriteLine(text.Interleaved);
            text.ExitCode.Should().Be(3, "nothing was judged, which is neither 'all protected' (0) nor a finding (1)");
            text.Output.Should().Contain($"Nothing to judge: process {pid} (sleep) {says}").And.Contain("Exit code 3.");
            output.WriteLine(json.Interleaved);
            json.ExitCode.Should().Be(3);
            using var document = JsonDocument.Parse(json.Output);
            document.RootElement.GetProperty("connections").GetArrayLength().Should().Be(listening ? 1 : 0);
            (document.RootElement.GetProperty("protected").GetInt32() + document.RootElement.GetProperty("unprotected").GetInt32()).Should().Be(0);
            json.Error.Should().Contain($"Nothing to judge: process {pid} (sleep) {says}");
        }
        finally
        {
            process.Kill();
        }
    }

    [Fact]
    public async Task Doctor_ThreadIdInsteadOfProcessId_ExitsTwoNamingTheProcess()
    {
        // A thread id (top -H, ps -L, a log line) has its own /proc/TID, but pidfd_open refuses it: doctor said only
        // 'pidfd_open failed with errno 2' and judged the sockets from /proc without their values.
        TestEnvironment.RequireLinux();
        var thread = Directory.GetDirectories($"/proc/{Pid}/task").Select(Path.GetFileName).First(t => t != Pid)!;

        var (exitCode, text, error) = await ToolRun.InProcessAsync("doctor", "--pid", thread);

        exitCode.Should().Be(2, text);
        text.Should().BeEmpty();
        error.Should().Contain($"--pid {thread}: a thread of process {Pid}").And.Contain($"Fix: run again with --pid {Pid}.");
    }

    [Theory]
    [InlineData("--peer-idle-timeout", "350", "has no unit")]
    [InlineData("--peer-idle-timeout", "soon", "AwsNlb")]
    [InlineData("--pid", "abc", "'abc' is not a process id")]
    public async Task Doctor_BadInput_ExitsTwo(string option, string value, string hint)
    {
        var args = option == "--pid" ? new[] { "doctor", "--pid", value } : ["doctor", "--pid", Pid, option, value];

        var (exitCode, _, error) = await ToolRun.InProcessAsync(args);

        exitCode.Should().Be(2);
        error.Should().Contain(hint);
    }

    [Fact]
    public async Task Doctor_SocketBoundButNeverConnected_HasNoIdleTimeRatherThanTheTimeSinceBoot()
    {
        // A never-connected socket's TCP_INFO counts from jiffies 0: 'idle for 43661.164 s (43661.164 s / 43661.164 s)'.
        TestEnvironment.RequireLinux();
        using var bound = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        bound.Bind(new IPEndPoint(IPAddress.Loopback, 0));

        var run = await ToolRun.RunAsync([], TimeSpan.FromMinutes(1), "doctor", "--pid", Pid, "--json");

        using var json = JsonDocument.Parse(run.Output);
        var found = json.RootElement.GetProperty("connections").EnumerateArray()
            .Should().ContainSingle(c => c.GetProperty("local").GetString() == bound.LocalEndPoint!.ToString(), run.Interleaved).Subject;
        found.GetProperty("state").GetString().Should().Be("CLOSE");
        foreach (var idle in new[] { "idleFor", "idleSent", "idleReceived" })
        {
            found.GetProperty(idle).ValueKind.Should().Be(JsonValueKind.Null, "{0}: nothing was ever sent or received, so no idle time is known", idle);
        }

        found.GetProperty("verdict").GetString().Should().Be("not applicable: not connected (CLOSE): created or bound, never connected");
    }

    [Fact]
    public async Task Doctor_SocketNeverBound_SaysUnboundInTextAndNullInJson()
    {
        // getsockname of a socket created and never bound is 0.0.0.0:0: the table showed ' -> *' (an empty local
        // endpoint), as if the address could not be read; --json keeps "local": null (its contract: ip:port or null).
        TestEnvironment.RequireLinux();
        using var unbound = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var fd = (int)unbound.Handle;

        var run = await ToolRun.RunAsync([], TimeSpan.FromMinutes(1), "doctor", "--pid", Pid, "--json");
        var text = await ToolRun.RunAsync([], TimeSpan.FromMinutes(1), "doctor", "--pid", Pid);

        output.WriteLine(text.Interleaved);
        using var json = JsonDocument.Parse(run.Output);
        var found = json.RootElement.GetProperty("connections").EnumerateArray()
            .Should().ContainSingle(c => c.GetProperty("fd").GetInt32() == fd, run.Interleaved).Subject;
        found.GetProperty("local").ValueKind.Should().Be(JsonValueKind.Null, "JSON keeps its contract for an address there is not: ip:port or null");
        found.GetProperty("remote").ValueKind.Should().Be(JsonValueKind.Null, "a socket never connected has no peer");
        found.GetProperty("verdict").GetString().Should().StartWith("not applicable: not connected (CLOSE)");
        var cells = text.Output.Split('\n').Select(static l => l.Split('│').Select(static c => c.Trim()).ToArray())
            .Should().ContainSingle(c => c.Length > 2 && c[1] == fd.ToString(CultureInfo.InvariantCulture), text.Output).Subject;
        cells[2].Should().Be("unbound -> *");
    }

    [Theory]
    // The kernel calls both CLOSE; doctor said 'closing (CLOSE)' for both. A connection that ended and whose socket the
    // process still holds (a leak when it lasts) had its round-trip time measured; a never-connected socket has none.
    [InlineData(true, "CLOSE", "not applicable: closed (CLOSE): the connection ended and this process has not closed its socket yet")]
    // CLOSE_WAIT: the peer's FIN arrived and the process never closed its side (the classic socket leak). It read
    // 'not applicable: closing (CLOSE_WAIT)', as if the process were closing it.
    [InlineData(false, "CLOSE_WAIT", "not applicable: closed by the peer (CLOSE_WAIT): its FIN arrived and this process has not closed its socket yet")]
    public async Task Doctor_ConnectionEndedByThePeer_IsClosedAndHeldByTheProcessNotClosingNorNeverConnected(bool reset, string state, string verdict)
    {
        TestEnvironment.RequireLinux();
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!);
        using (var accepted = await listener.AcceptAsync())
        {
            if (reset)
            {
                accepted.LingerState = new LingerOption(true, 0); // closed with a RST
            }
            else
            {
                accepted.Shutdown(SocketShutdown.Both); // a FIN
            }
        }

        var local = client.LocalEndPoint!.ToString();
        var waited = Stopwatch.StartNew();
        while (Tool.Check.TcpInfoSnapshot.TryRead(client)?.State != state && waited.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20); // the RST or FIN crosses loopback at once; a loaded machine may take a moment to run the receive
        }

        Tool.Check.TcpInfoSnapshot.TryRead(client)!.State.Should().Be(state, "the peer's RST or FIN ended the connection");

        var run = await ToolRun.RunAsync([], TimeSpan.FromMinutes(1), "doctor", "--pid", Pid, "--json");

        using var json = JsonDocument.Parse(run.Output);
        var found = json.RootElement.GetProperty("connections").EnumerateArray()
            .Should().ContainSingle(c => c.GetProperty("local").GetString() == local, run.Interleaved).Subject;
        found.GetProperty("verdict").GetString().Should().Be(verdict);
    }

    [Fact]
    public async Task Doctor_ConnectionStillConnecting_NamesThePeerItConnectsToAndHasNoIdleTime()
    {
        // A connect nobody answers (SYN_SENT): getpeername fails until the handshake ends, so the peer read '*' (a
        // listener's) and null in the JSON, though /proc/PID/net/tcp names it; TCP_INFO's idle times count from jiffies 0.
        TestEnvironment.RequireLinux();
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0); // a full accept queue: the kernel drops the next SYN, so that connect stays SYN_SENT
        using var queued = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await queued.ConnectAsync(listener.LocalEndPoint!);
        using var connecting = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        connecting.Bind(new IPEndPoint(IPAddress.Loopback, 0)); // its address known before the connect completes
        var pending = connecting.ConnectAsync(listener.LocalEndPoint!);
        Tool.Check.TcpInfoSnapshot.TryRead(connecting)!.State.Should().Be("SYN_SENT", "the listener's accept queue is full");

        var run = await ToolRun.RunAsync([], TimeSpan.FromMinutes(1), "doctor", "--pid", Pid, "--json");

        using var json = JsonDocument.Parse(run.Output);
        var found = json.RootElement.GetProperty("connections").EnumerateArray()
            .Should().ContainSingle(c => c.GetProperty("local").GetString() == connecting.LocalEndPoint!.ToString(), run.Interleaved).Subject;
        found.GetProperty("state").GetString().Should().Be("SYN_SENT");
        found.GetProperty("remote").GetString().Should().Be(listener.LocalEndPoint!.ToString());
        foreach (var idle in new[] { "idleFor", "idleSent", "idleReceived" })
        {
            found.GetProperty(idle).ValueKind.Should().Be(JsonValueKind.Null, "{0}: a connection not yet made has no idle time", idle);
        }

        found.GetProperty("verdict").GetString().Should().Be("not applicable: still connecting");
        connecting.Dispose();
        await ((Task)pending).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
    }

    [Fact]
    public async Task ReadWithoutPrivilege_OwnSockets_EndpointsStateAndKeepAliveFromTheTimerColumn()
    {
        // What a user without the right to ptrace sees: /proc/PID/net/tcp. The keep-alive timer column tells on from off.
        TestEnvironment.RequireLinux();
        using var listener = LoopbackListener();
        using var off = await LoopbackClientAsync(listener, null);
        using var on = await LoopbackClientAsync(listener, new TcpKeepAliveOptions());

        var sockets = ProcessSockets.Read(Environment.ProcessId, duplicate: false);

        sockets.Limitation.Should().Contain("pidfd_getfd was refused (EPERM)");
        var offRead = sockets.Sockets.Should().ContainSingle(s => Equals(s.Local, off.LocalEndPoint)).Subject;
        var onRead = sockets.Sockets.Should().ContainSingle(s => Equals(s.Local, on.LocalEndPoint)).Subject;
        sockets.Sockets.Should().Contain(s => Equals(s.Local, listener.LocalEndPoint) && s.State == "LISTEN");
        offRead.Should().Match<SocketReading>(s => s.State == "ESTABLISHED" && s.Settings == null && Equals(s.Remote, listener.LocalEndPoint));
        offRead.Proc!.KeepAliveFromTimer.Should().BeFalse();
        onRead.Proc!.KeepAliveFromTimer.Should().BeTrue();
        onRead.Proc.TimerDue.Should().BeGreaterThan(TimeSpan.FromSeconds(20)).And.BeLessThanOrEqualTo(TimeSpan.FromSeconds(30), "the first probe is due 30 s after the connection went idle");
        var reference = new DoctorReference(PeerIdleTimeout.AwsNlb, "test", null, null, null);
        ConnectionVerdict.Judge(offRead, reference, KernelDefaults.Read()).Protected.Should().BeFalse("keep-alive off is certain without privilege");
        ConnectionVerdict.Judge(onRead, reference, KernelDefaults.Read()).Should().Match<ConnectionVerdict>(v => v.Protected == null && v.Summary == "unknown");
    }

    [Fact]
    public async Task Read_SocketHeldUnderTwoDescriptors_IsOneSocketUnderItsLowestDescriptor()
    {
        // dup(2), or fds 0 and 1 of a socket-activated service (systemd Accept=yes, inetd): one socket, two descriptors.
        // Each was a row of its own, so one connection counted as two unprotected ones.
        TestEnvironment.RequireLinux();
        using var listener = LoopbackListener();
        using var client = await LoopbackClientAsync(listener, null);
        var second = Dup((int)client.SafeHandle.DangerousGetHandle());
        second.Should().BePositive();
        try
        {
            var sockets = ProcessSockets.Read(Environment.ProcessId);

            sockets.Sockets.Should().ContainSingle(s => Equals(s.Local, client.LocalEndPoint)).Which.Fd
                .Should().Be(Math.Min((int)client.SafeHandle.DangerousGetHandle(), second));
        }
        finally
        {
            Close(second).Should().Be(0);
        }
    }

    [Theory]
    [InlineData("   1: 0100007F:1F90 0200007F:D431 01 00000000:00000000 02:00000A8C 00000000     0        0 4242 1 0000000000000000 20 4 30 10 -1",
        "127.0.0.1:8080", "127.0.0.2:54321", "ESTABLISHED", 2, 27_000, 4242)]
    [InlineData("   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 77 1 0",
        "[::1]:8080", "[::]:0", "LISTEN", 0, 0, 77)]
    public void ProcNetTcpParse_KernelLines_AddressesInNetworkOrder(string line, string local, string remote, string state, int timer, int dueMs, long inode)
    {
        var entry = ProcNetTcp.Parse(line)!;

        entry.Should().Be(new ProcNetTcp(IPEndPoint.Parse(local), IPEndPoint.Parse(remote), state, timer, TimeSpan.FromMilliseconds(dueMs), inode));
    }

    public void Dispose()
    {
        _serverSides.ForEach(static s => s.Dispose());
        Directory.Delete(_folder, recursive: true);
    }

    private static string Pid => Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

    /// <summary>doctor's report and text for <paramref name="readings"/>, as if one process held them, judged against <paramref name="reference"/>.</summary>
    private static (DoctorReport Report, string Text) Report(DoctorReference reference, string? limitation, params SocketReading[] readings)
    {
        var kernel = new KernelDefaults(null, null, null, null, "not read");
        var report = new DoctorReport(new ProcessSockets(4242, "app", readings, limitation), reference, [.. readings.Select(r => (r, ConnectionVerdict.Judge(r, reference, kernel)))]);
        using var text = new StringWriter();
        using var error = new StringWriter();
        report.WriteText(KeepAlive.Net.Tool.Cli.ToolConsole.Plain(text, error).Ansi);
        return (report, text.ToString());
    }

    private static Socket LoopbackListener()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(4);
        return listener;
    }

    /// <summary>A client connected to <paramref name="listener"/>, with <paramref name="keepAlive"/> configured first when given.</summary>
    private static async Task<Socket> LoopbackClientAsync(Socket listener, TcpKeepAliveOptions? keepAlive)
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (keepAlive is not null)
        {
            client.ConfigureKeepAlive(keepAlive);
        }

        await client.ConnectAsync(listener.LocalEndPoint!);
        return client;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "dup", SetLastError = true)]
    private static extern int Dup(int fd);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);

    private static JsonElement AssertReadExactly(List<JsonElement> connections, Socket socket)
    {
        var found = connections.Should().ContainSingle(c => c.GetProperty("local").GetString() == socket.LocalEndPoint!.ToString()).Subject;
        var kernel = socket.GetKeepAlive();
        found.GetProperty("remote").GetString().Should().Be(RoutedLab.ServerEndPoint.ToString());
        found.GetProperty("state").GetString().Should().Be("ESTABLISHED");
        found.GetProperty("keepAlive").GetBoolean().Should().Be(kernel.Enabled);
        found.GetProperty("idle").GetDouble().Should().Be(kernel.IdleTime!.Value.TotalSeconds);
        found.GetProperty("interval").GetDouble().Should().Be(kernel.Interval!.Value.TotalSeconds);
        found.GetProperty("count").GetInt32().Should().Be(kernel.ProbeCount);
        found.GetProperty("userTimeout").GetDouble().Should().Be(kernel.UserTimeout!.Value.TotalSeconds);
        found.GetProperty("readFrom").GetString().Should().StartWith("kernel");
        return found;
    }

    /// <summary>A client socket connected through the lab; the server's side stays open until the test ends.</summary>
    private async Task<Socket> ConnectAsync(RoutedLab lab, Socket listener)
    {
        var client = lab.CreateClientSocket();
        var accept = listener.AcceptAsync();
        await client.ConnectAsync(RoutedLab.ServerEndPoint);
        _serverSides.Add(await accept.WaitAsync(TimeSpan.FromSeconds(10)));
        return client;
    }

    private static KeepAliveProfileOptions LoadProfile(string settings)
    {
        var configuration = new ConfigurationBuilder().AddJsonFile(settings).Build();
        using var provider = new ServiceCollection().AddKeepAlive(configuration.GetSection("KeepAlive")).BuildServiceProvider();
        return provider.GetRequiredService<IKeepAliveProfiles>().GetProfile("payments");
    }

    private async Task<string> WriteSettingsAsync()
    {
        var file = Path.Combine(_folder, "appsettings.json");
        await File.WriteAllTextAsync(file, Settings);
        return file;
    }

    /// <summary>The child of <paramref name="parent"/> once it has exited and is left unreaped (the parent never waits).</summary>
    private static async Task<int> WaitForZombieChildAsync(int parent)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            foreach (var child in File.ReadAllText($"/proc/{parent}/task/{parent}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (File.ReadAllLines($"/proc/{child}/status").Contains("State:\tZ (zombie)"))
                {
                    return int.Parse(child, CultureInfo.InvariantCulture);
                }
            }

            deadline.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(30), "sleep 0.05 ends at once and its parent never reaps it");
            await Task.Delay(20);
        }
    }

    /// <summary>Waits until <paramref name="pid"/> runs as <paramref name="uid"/> (setpriv has switched and exec'd).</summary>
    private static async Task WaitForUserAsync(int pid, int uid)
    {
        var deadline = Stopwatch.StartNew();
        while (!File.ReadAllLines($"/proc/{pid}/status").Any(l => l.StartsWith("Uid:", StringComparison.Ordinal) && l.Split('\t')[1] == uid.ToString(CultureInfo.InvariantCulture)))
        {
            deadline.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(30), "setpriv switches user at once");
            await Task.Delay(20);
        }
    }
}
