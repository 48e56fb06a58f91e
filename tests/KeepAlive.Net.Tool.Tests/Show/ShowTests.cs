using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using KeepAlive.Net.Hosting;
using KeepAlive.Net.Tests.TestSupport;
using KeepAlive.Net.Tool.Cli;
using KeepAlive.Net.Tool.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Tool.Tests.Show;

/// <summary><c>show</c>: the machine's kernel values, and what profiles and flags become, with the library's own messages for bad ones.</summary>
public sealed class ShowTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("keepalive-show-").FullName;

    [Fact]
    public async Task Show_Linux_ReportsTheSysctlsReadFromProc()
    {
        TestEnvironment.RequireLinux();
        var time = int.Parse(await File.ReadAllTextAsync("/proc/sys/net/ipv4/tcp_keepalive_time"), CultureInfo.InvariantCulture);
        var probes = (await File.ReadAllTextAsync("/proc/sys/net/ipv4/tcp_keepalive_probes")).Trim();

        var (exitCode, output, _) = await ToolRun.InProcessAsync("show");

        exitCode.Should().Be(0);
        output.Should().MatchRegex($@"net\.ipv4\.tcp_keepalive_time\s*│\s*{Units.Time(TimeSpan.FromSeconds(time))}\s");
        output.Should().MatchRegex($@"net\.ipv4\.tcp_keepalive_probes\s*│\s*{probes}\s");
        output.Should().Contain("net.ipv4.tcp_retries2").And.Contain("TCP_USER_TIMEOUT").And.Contain("A fresh socket reports");
    }

    [Fact]
    public async Task Show_Flags_ReportsWhatTheKernelTookAndTheDeadPeerTimes()
    {
        var options = new TcpKeepAliveOptions { IdleTime = TimeSpan.FromSeconds(30), Interval = TimeSpan.FromSeconds(5), ProbeCount = 4 };
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var expected = socket.ConfigureKeepAlive(options);

        var (exitCode, output, _) = await ToolRun.InProcessAsync("show", "--idle", "30s", "--interval", "5s", "--count", "4", "--peer-idle-timeout", "AwsNlb");

        exitCode.Should().Be(0);
        output.Should().Contain("Profile 'command-line'");
        output.Should().Contain($"Dead peer, idle connection: found after {Units.Time(expected.DeadPeerDetectionTime!.Value)}");
        output.Should().Contain("Peer idle timeout 5m50s (AwsNlb): the first probe leaves after 30s and its retry after 35s, in time");
    }

    [Fact]
    public async Task Show_IdleLongerThanPeerIdleTimeout_ExitsTwoWithTheLibrarysFix()
    {
        var (exitCode, output, error) = await ToolRun.InProcessAsync("show", "--idle", "10m", "--interval", "10s", "--count", "3", "--peer-idle-timeout", "AwsAlb");

        exitCode.Should().Be(2);
        output.Should().BeEmpty();
        error.Should().Contain("Tcp:IdleTime").And.Contain("AwsAlb").And.Contain("Fix: set Tcp:IdleTime below");
    }

    [Fact]
    public async Task Show_ProfileFromSettingsFile_IsBoundByTheLibrary()
    {
        var settings = await WriteSettingsAsync("""{ "Tcp": { "IdleTime": "00:00:20", "Interval": "00:00:04", "ProbeCount": 5 } }""");

        var (exitCode, output, error) = await ToolRun.InProcessAsync("show", "--settings", settings, "--profile", "payments");

        exitCode.Should().Be(0, error);
        output.Should().Contain("Profile 'payments'").And.MatchRegex(@"IdleTime\s*│\s*20s");
    }

    [Fact]
    public async Task Show_ProfileWithKeepAliveOffAndAHeartbeat_StillComparesTheHeartbeatAndBoundsDataInFlight()
    {
        // The shape probe-idle suggests for a path no whole-second keep-alive beats: the heartbeat alone keeps it.
        var settings = await WriteSettingsAsync("""{ "Tcp": { "Enabled": false }, "Heartbeat": { "Interval": "600ms", "PeerIdleTimeout": "1.8s" } }""");

        var (exitCode, output, error) = await ToolRun.InProcessAsync("show", "--settings", settings, "--profile", "payments");

        exitCode.Should().Be(0, error);
        output.Should().Contain("Keep-alive is off").And.Contain("Dead peer, data in flight: found after")
            .And.Contain("Peer idle timeout 1s800ms").And.Contain("Heartbeat every 600ms: 2 heartbeats fit in the peer idle timeout");
    }

    [Fact]
    public async Task Show_HeartbeatLine_UsesTheLibrarysLatenessBudgetWithSpreadAndJitter()
    {
        // Budget = PeerIdleTimeout - Interval - Jitter - Spread (default spread: half the interval here) = 1.8 - 0.6 - 0.1 - 0.3 s.
        var settings = await WriteSettingsAsync("""{ "Tcp": { "Enabled": false }, "Heartbeat": { "Interval": "600ms", "Jitter": "100ms", "PeerIdleTimeout": "1.8s" } }""");

        var (exitCode, output, error) = await ToolRun.InProcessAsync("show", "--settings", settings, "--profile", "payments");

        exitCode.Should().Be(0, error);
        output.Should().Contain("a heartbeat more than 800ms late loses the connection", "the lateness budget the library warns against (2004) is the one show states")
            .And.NotContain("later than 1s200ms");
    }

    [Fact]
    public async Task Show_HeartbeatLineWithKeepAliveProbesInTime_SaysTheProbesKeepTheConnection()
    {
        var settings = await WriteSettingsAsync("""{ "Tcp": { "IdleTime": "10s", "Interval": "2s" }, "Heartbeat": { "Interval": "10s", "PeerIdleTimeout": "30s" } }""");

        var (exitCode, output, error) = await ToolRun.InProcessAsync("show", "--settings", settings, "--profile", "payments");

        exitCode.Should().Be(0, error);
        output.Should().Contain("a heartbeat more than 15s late leaves the connection to the OS keep-alive probes", "the line above says the probes keep the connection in time")
            .And.NotContain("loses the connection");
    }

    [Fact]
    public async Task Show_TcpSectionDirectlyUnderKeepAlive_NamedWithTheLibrarysFix()
    {
        // A profile's section written one level too high: "no profiles under KeepAlive:Profiles" said nothing of the Tcp key.
        var file = Path.Combine(_folder, "misplaced.json");
        await File.WriteAllTextAsync(file, """{ "KeepAlive": { "Tcp": { "IdleTime": "30s" } } }""", TestContext.Current.CancellationToken);

        var (exitCode, _, error) = await ToolRun.InProcessAsync("show", "--settings", file);

        exitCode.Should().Be(2);
        error.Should().Contain("KeepAlive:Tcp: unknown key 'Tcp'").And.Contain("KeepAlive:Profiles:payments:Tcp:IdleTime");
    }

    [Fact]
    public async Task Show_ShortPeerIdleTimeoutFromFlags_TheHeartbeatIntervalCanBeSetByFlagToo()
    {
        // A path probe-idle measured at 3 s: the library's default 10 s heartbeat is refused for it, and show had no flag
        // for Heartbeat:Interval, so "fix a value these set with its flag" could not be followed.
        var (exitCode, output, error) = await ToolRun.InProcessAsync("show", "--idle", "1s", "--interval", "1s", "--count", "1", "--peer-idle-timeout", "3s", "--heartbeat-interval", "1s");

        exitCode.Should().Be(0, error);
        output.Should().Contain("Heartbeat every 1s: 2 heartbeats fit in the peer idle timeout");

        var (refused, _, why) = await ToolRun.InProcessAsync("show", "--peer-idle-timeout", "3s", "--heartbeat-interval", "2s");

        refused.Should().Be(2);
        why.Should().Contain("The command line set --heartbeat-interval 2s: fix a value set there with its flag.");
    }

    [Fact]
    public async Task Show_IdleTimeoutNoKeepAliveCanBeat_KeepAliveCanBeTurnedOffByFlagAsTheFixSays()
    {
        // probe-idle suggests { "Tcp": { "Enabled": false }, "Heartbeat": { "Interval": "600ms", "PeerIdleTimeout": "1s800ms" } }
        // for a 2s NAT; on the command line it was refused with "Fix: set Tcp:Enabled to false", which no flag could set.
        var (exitCode, output, error) = await ToolRun.InProcessAsync("show", "--peer-idle-timeout", "1800ms", "--heartbeat-interval", "600ms", "--tcp-keepalive", "off");

        exitCode.Should().Be(0, error);
        output.Should().Contain("Keep-alive is off").And.Contain("Heartbeat every 600ms: 2 heartbeats fit in the peer idle timeout");

        // Over a file's profile, as every flag: its Tcp:Enabled is not read.
        var settings = await WriteSettingsAsync("""{ "Tcp": { "Enabled": "maybe" }, "Heartbeat": { "Interval": "600ms", "PeerIdleTimeout": "1.8s" } }""");
        var (overFile, fileOutput, fileError) = await ToolRun.InProcessAsync("show", "--settings", settings, "--tcp-keepalive", "off");

        overFile.Should().Be(0, fileError);
        fileOutput.Should().Contain("Keep-alive is off");

        var (refused, _, why) = await ToolRun.InProcessAsync("show", "--tcp-keepalive", "maybe");

        refused.Should().Be(2);
        why.Should().StartWith("--tcp-keepalive (Tcp:Enabled): 'maybe' is neither on nor off. Fix: write --tcp-keepalive off");
    }

    [Fact]
    public async Task Show_RefusalAFlagNotGivenCanFix_NamesThatFlagBesideTheGivenOnes()
    {
        // "Fix: set Tcp:Enabled to false ... The command line set --peer-idle-timeout 1800ms: fix a value set there with its
        // flag.": the flag that sets Tcp:Enabled, not given, went unnamed.
        var (exitCode, _, error) = await ToolRun.InProcessAsync("show", "--peer-idle-timeout", "1800ms", "--heartbeat-interval", "600ms");

        exitCode.Should().Be(2);
        error.Should().Contain("Fix: set Tcp:Enabled to false").And.Contain(
            "The command line set --peer-idle-timeout 1800ms: fix a value set there with its flag. Or set one on the command line: --tcp-keepalive <on|off>");
    }

    [Theory]
    // The fix turns keep-alive off because "no Tcp section can" beat 1s800ms; the notes still offered --idle and --interval,
    // not given ("Or set one on the command line: --tcp-keepalive <on|off>, --idle <duration>, --interval <duration>.") or
    // given ("The command line set --idle 1s, --interval 1s, --peer-idle-timeout 1800ms"): the Tcp values the fix names
    // only to explain why none of them can.
    [InlineData("")]
    [InlineData("--idle 1s --interval 1s")]
    public async Task Show_RefusalWhoseFixTurnsKeepAliveOff_NotesOnlyTheFlagsItsFixAsksFor(string tcp)
    {
        var (exitCode, _, error) = await ToolRun.InProcessAsync(["show", "--peer-idle-timeout", "1800ms", "--heartbeat-interval", "600ms", .. tcp.Split(' ', StringSplitOptions.RemoveEmptyEntries)]);

        exitCode.Should().Be(2);
        error.TrimEnd().Should().Contain("Fix: set Tcp:Enabled to false").And.Contain("(no Tcp section can: Tcp:IdleTime and Tcp:Interval are at least 1s and 1s")
            .And.EndWith("or remove Heartbeat:PeerIdleTimeout. The command line set --peer-idle-timeout 1800ms: fix a value set there with its flag. Or set one on the command line: --tcp-keepalive <on|off>.");
    }

    [Fact]
    public async Task Show_ProfileFromFlagsOnly_NamedAsTheCommandLineFlagsNotAsCode()
    {
        // No file: the profile is the flags'. The library names a profile without a configuration path "(configured in
        // code)", which is its truth for an application and not for the tool.
        var (exitCode, _, error) = await ToolRun.InProcessAsync("show", "--idle", "10m", "--interval", "10s", "--peer-idle-timeout", "AwsAlb");

        exitCode.Should().Be(2);
        error.Should().StartWith("KeepAlive profile 'command-line' (from the command-line flags) Tcp:IdleTime: Tcp:IdleTime is 10m and Tcp:Interval 10s")
            .And.NotContain("configured in code");

        // What the library says of a profile configured in code is unchanged.
        using var provider = new ServiceCollection().AddKeepAlive(ProfileArguments.CommandLineProfile, static o => o.Tcp.IdleTime = TimeSpan.FromHours(3)).BuildServiceProvider();
        var library = () => provider.GetRequiredService<IKeepAliveProfiles>().GetProfile(ProfileArguments.CommandLineProfile);
        library.Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle()
            .Which.Should().StartWith("KeepAlive profile 'command-line' (configured in code) Tcp:IdleTime: ");
    }

    [Fact]
    public async Task Show_ProfileNamedInAnotherCase_NamedAsTheFileNamesIt()
    {
        var settings = await WriteSettingsAsync("""{ "Tcp": { "IdleTime": "20s" } }""");

        var (exitCode, output, error) = await ToolRun.InProcessAsync("show", "--settings", settings, "--profile", "PAYMENTS");

        exitCode.Should().Be(0, error);
        output.Should().Contain("Profile 'payments' on this machine", "configuration keys ignore case; the report names the profile as the file does");
    }

    [Fact]
    public async Task Show_ProfileNameAndPathWithBrackets_PrintedAsTheyAreNotReadAsMarkup()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_folder, "[red]")).FullName;
        var file = Path.Combine(folder, "appsettings.json");
        await File.WriteAllTextAsync(file, """{ "KeepAlive": { "Profiles": { "edge[eu]": { "Tcp": { "IdleTime": "20s" } } } } }""");

        var (exitCode, output, error) = await ToolRun.InProcessAsync("show", "--settings", file, "--profile", "edge[eu]");

        exitCode.Should().Be(0, error);
        output.Should().Contain("Profile 'edge[eu]' on this machine");
    }

    [Fact]
    public async Task Show_UnknownProfile_ExitsTwoWithCommandLineAdvice()
    {
        var settings = await WriteSettingsAsync("""{ "Tcp": { "IdleTime": "00:00:20" } }""");

        var (exitCode, _, error) = await ToolRun.InProcessAsync("show", "--settings", settings, "--profile", "nope");

        exitCode.Should().Be(2);
        error.Should().Contain("--profile nope: appsettings.json has no profile 'nope' (its profiles: payments).")
            .And.Contain("Fix: run again with --profile payments, or add a \"nope\" profile under KeepAlive:Profiles in " + settings);
        error.Should().NotContain("services.AddKeepAlive", "a command-line user does not write the host's code");
    }

    [Theory]
    [InlineData("{}", "show")]
    [InlineData("""{ "KeepAlive": { "Profiles": {} } }""", "show")]
    [InlineData("""{ "Logging": { "LogLevel": { "Default": "Information" } } }""", "doctor")]
    public async Task Profile_FromAFileWithoutProfiles_IsRefusedWithTheFixNotACrash(string json, string command)
    {
        // A file with no profile at all and --profile payments crashed (IndexOutOfRangeException, exit 134 with a stack
        // trace): the "no such profile" refusal offered the file's first profile, of which there was none.
        var file = Path.Combine(_folder, "no-profiles.json");
        await File.WriteAllTextAsync(file, json, TestContext.Current.CancellationToken);
        string[] args = command == "doctor" ? ["doctor", "--pid", "1", "--json"] : ["show"];

        var (exitCode, output, error) = await ToolRun.InProcessAsync([.. args, "--settings", file, "--profile", "payments"]);

        exitCode.Should().Be(2, error);
        error.Should().Be($"--settings {file}: no profiles under KeepAlive:Profiles, so no profile 'payments'. Fix: add one, e.g. \"KeepAlive\": {{ \"Profiles\": {{ \"payments\": {{ \"Tcp\": {{ \"IdleTime\": \"30s\" }} }} }} }}.{Environment.NewLine}");
        if (command == "doctor")
        {
            using var refusal = JsonDocument.Parse(output);
            refusal.RootElement.GetProperty("errors").EnumerateArray().Should().ContainSingle().Which.GetProperty("subject").GetString().Should().Be($"--settings {file}");
        }
    }

    [Fact]
    public async Task Show_MistypedProfile_SuggestsTheClosestName()
    {
        var settings = await WriteSettingsAsync("""{ "Tcp": { "IdleTime": "00:00:20" } }""");

        var (exitCode, _, error) = await ToolRun.InProcessAsync("show", "--settings", settings, "--profile", "paymnets");

        exitCode.Should().Be(2);
        error.Should().Contain("Did you mean 'payments'?").And.Contain("Fix: run again with --profile payments");
    }

    [Fact]
    public async Task Show_ProfileWithSeveralErrors_ReportsThemAllAtOnceThroughTheLibrarysReader()
    {
        var settings = await WriteSettingsAsync("""{ "Tcp": { "IdelTime": "20s", "ProbeCount": 0, "Interval": "5" }, "Heartbeat": { "Interval": "40s", "PeerIdleTimeout": "AwsAlb" } }""");
        var expected = LibraryError(settings, "payments").Split('\n');

        var (exitCode, _, error) = await ToolRun.InProcessAsync("show", "--settings", settings, "--profile", "payments");

        exitCode.Should().Be(2);
        expected.Should().HaveCount(4, "an unknown key, two unreadable values and a broken rule");
        error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().HaveCount(4, "one refusal per failure").And.Equal(expected);
    }

    [Fact]
    public async Task Show_SeveralUnknownKeysInOneSection_OneRefusalEachWithItsSuggestionAndTheKnownKeysOnce()
    {
        // Each unknown key's refusal listed the section's known keys again: three lines ending with the same list.
        var settings = await WriteSettingsAsync("""{ "Tcp": { "IdelTime": "20s", "Intervall": "5s", "ProbeCont": 3 } }""");
        var expected = LibraryError(settings, "payments").Split('\n');

        var (exitCode, _, error) = await ToolRun.InProcessAsync("show", "--settings", settings, "--profile", "payments");

        exitCode.Should().Be(2);
        var refusals = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        refusals.Should().Equal(expected).And.SatisfyRespectively(
            idel => idel.Should().StartWith("KeepAlive:Profiles:payments:Tcp:IdelTime: unknown key 'IdelTime'. Did you mean 'IdleTime'?"),
            interval => interval.Should().StartWith("KeepAlive:Profiles:payments:Tcp:Intervall: unknown key 'Intervall'. Did you mean 'Interval'?"),
            probes => probes.Should().StartWith("KeepAlive:Profiles:payments:Tcp:ProbeCont: unknown key 'ProbeCont'. Did you mean 'ProbeCount'?"));
        refusals.Where(static r => r.Contains("IdleTime, Interval, ProbeCount", StringComparison.Ordinal)).Should().ContainSingle("the known keys are listed once for the section");
    }

    [Fact]
    public async Task Show_InvalidProfile_ExitsTwoWithTheLibrarysValidationMessages()
    {
        var settings = await WriteSettingsAsync("""{ "Tcp": { "IdleTime": "00:00:20", "ProbeCount": 0 } }""");
        var expected = LibraryError(settings, "payments");

        var (exitCode, _, error) = await ToolRun.InProcessAsync("show", "--settings", settings, "--profile", "payments");

        exitCode.Should().Be(2);
        expected.Should().Contain("ProbeCount");
        foreach (var line in expected.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            error.Should().Contain(line);
        }
    }

    [Fact]
    public async Task Show_FlagMakesTheFilesProfileInvalid_SaysTheFlagSetIt()
    {
        // The file says 30s; --idle 10m makes the profile miss its PeerIdleTimeout. The library's message names the
        // file's path for the value (KeepAlive:Profiles:payments:Tcp:IdleTime is 10m), which is not in the file.
        var settings = await WriteSettingsAsync("""{ "Tcp": { "IdleTime": "30s", "Interval": "5s" }, "Heartbeat": { "PeerIdleTimeout": "AwsNlb" } }""");

        var (exitCode, _, error) = await ToolRun.InProcessAsync("show", "--settings", settings, "--profile", "payments", "--idle", "10m");

        exitCode.Should().Be(2);
        error.Should().Contain("Tcp:IdleTime is 10m").And.Contain("The command line set --idle 10m (over appsettings.json): fix a value set there with its flag, not in the file.");
    }

    [Theory]
    [InlineData("""{ "Tcp": { "IdleTime": "abc" } }""", "--idle", "30s", @"IdleTime\s*│\s*30s\s")]
    [InlineData("""{ "tcp": { "idletime": "20" } }""", "--idle", "30s", @"IdleTime\s*│\s*30s\s")]
    [InlineData("""{ "Tcp": { "ProbeCount": { "Value": 3 } } }""", "--count", "4", @"ProbeCount\s*│\s*4\s")]
    [InlineData("""{ "Heartbeat": { "PeerIdleTimeout": "AwsNbl" } }""", "--peer-idle-timeout", "AwsNlb", @"Peer idle timeout 5m50s \(AwsNlb\)")]
    [InlineData("""{ "Heartbeat": { "Interval": "soon", "PeerIdleTimeout": "350s" } }""", "--heartbeat-interval", "5s", "Heartbeat every 5s: 46.6 heartbeats fit")]
    public async Task Show_FlagReplacesABadValueOfTheFile_TheFlagWins(string payments, string flag, string value, string shown)
    {
        // Flags override the file: the value the flag replaces is not read, so its mistake is no longer one.
        var settings = await WriteSettingsAsync(payments);

        var (exitCode, output, error) = await ToolRun.InProcessAsync("show", "--settings", settings, flag, value);

        exitCode.Should().Be(0, error);
        error.Should().BeEmpty();
        output.Should().MatchRegex(shown);
    }

    [Fact]
    public async Task Show_FlagReplacesOneBadValueOfTheFile_TheFilesOtherMistakesStillRefused()
    {
        var settings = await WriteSettingsAsync("""{ "Tcp": { "IdleTime": "abc", "Interval": "5", "ProbeCount": 0 } }""");

        var (exitCode, output, error) = await ToolRun.InProcessAsync("show", "--settings", settings, "--idle", "30s");

        exitCode.Should().Be(2);
        output.Should().BeEmpty();
        var refusals = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        refusals.Should().HaveCount(2, error);
        refusals[0].Should().StartWith("KeepAlive:Profiles:payments:Tcp:Interval: '5'");
        refusals[1].Should().StartWith("KeepAlive:Profiles:payments:Tcp:ProbeCount: ");
        error.Should().NotContain("'abc'");
    }

    [Fact]
    public async Task Show_FailuresNoFlagCanFix_AreTheLibrarysWithoutANoteAboutTheFlags()
    {
        // An unknown key and a value no flag sets: the flags given cannot fix either, so no fix speaks of them.
        var settings = await WriteSettingsAsync("""{ "Tcp": { "IdelTime": "20s" }, "Heartbeat": { "Jitter": "5" } }""");
        var expected = LibraryError(settings, "payments").Split('\n');

        var (exitCode, _, error) = await ToolRun.InProcessAsync("show", "--settings", settings, "--interval", "5s", "--count", "3");

        exitCode.Should().Be(2);
        expected.Should().HaveCount(2);
        error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().Equal(expected);
    }

    [Fact]
    public async Task Show_FailureOfAValueAFlagSet_NamesThatFlagAlone()
    {
        var settings = await WriteSettingsAsync("""{ "Tcp": { "Interval": "5s" }, "Heartbeat": { "PeerIdleTimeout": "AwsNlb", "Jitter": "5" } }""");

        var (exitCode, _, error) = await ToolRun.InProcessAsync("show", "--settings", settings, "--idle", "10m", "--count", "3");

        exitCode.Should().Be(2);
        error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().SatisfyRespectively(
            idle => idle.Should().StartWith("KeepAlive:Profiles:payments:Tcp:IdleTime: Tcp:IdleTime is 10m")
                .And.EndWith(". The command line set --idle 10m (over appsettings.json): fix a value set there with its flag, not in the file.").And.NotContain("--count"),
            jitter => jitter.Should().StartWith("KeepAlive:Profiles:payments:Heartbeat:Jitter: '5'").And.NotContain("command line").And.NotContain("--"));
    }

    [Fact]
    public async Task Show_FailureOfAValueAFlagCanSet_NamesTheFlag()
    {
        // A profile of flags alone: the library's 10 s heartbeat does not fit a 3 s idle timeout, and --heartbeat-interval sets it.
        var (fromFlags, _, flagsError) = await ToolRun.InProcessAsync("show", "--peer-idle-timeout", "3s");

        fromFlags.Should().Be(2);
        var refusals = flagsError.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        refusals.Should().Contain(static r => r.Contains(" Heartbeat:Interval: ", StringComparison.Ordinal)).Which
            .Should().EndWith(" Set it on the command line: --heartbeat-interval <duration>.");
        refusals.Should().Contain(static r => r.Contains(" Tcp:IdleTime: ", StringComparison.Ordinal)).Which
            .Should().Contain("Fix: shorten Tcp:Interval and set Tcp:IdleTime").And.EndWith(" Set it on the command line: --idle <duration>, --interval <duration>.");
        flagsError.Should().NotContain("The command line set --peer-idle-timeout 3s", "the flag given is no fix for either");
    }

    [Fact]
    public async Task Show_FlagOverAProfileThatKeepsTheSocketsValues_SetsItsOwnValueAlone()
    {
        // Tcp:UnsetValues KeepCurrent: what the profile does not set, each socket keeps. --count sets the probe count; the
        // idle time and interval stay the socket's, not the library's 30 s and 10 s written in their place.
        var settings = await WriteSettingsAsync("""{ "Tcp": { "UnsetValues": "KeepCurrent", "ProbeCount": 3 } }""");

        var (exitCode, output, error) = await ToolRun.InProcessAsync("show", "--settings", settings, "--count", "5");

        exitCode.Should().Be(0, error);
        output.Should().MatchRegex(@"ProbeCount\s*│\s*5\s*│\s*5\s*│\s*Applied")
            .And.MatchRegex(@"IdleTime\s*│\s*n/a\s*│[^│]*│\s*NotChanged")
            .And.MatchRegex(@"Interval\s*│\s*n/a\s*│[^│]*│\s*NotChanged");
    }

    [Fact]
    public async Task Show_BareNumberInSettings_ExitsTwoWithTheLibrarysDurationMessage()
    {
        var settings = await WriteSettingsAsync("""{ "Tcp": { "IdleTime": "20" } }""");
        var expected = LibraryError(settings, "payments");

        var (exitCode, _, error) = await ToolRun.InProcessAsync("show", "--settings", settings);

        exitCode.Should().Be(2);
        expected.Should().Contain("\"20s\"");
        error.Should().Contain(expected);
    }

    [Theory]
    [InlineData("--idle", "3h", "Tcp:IdleTime", "'3h' is above the ceiling of 2h: ")]
    [InlineData("--idle", "99999999999999999999d", "Tcp:IdleTime", "'99999999999999999999d' is above the ceiling of 2h: ")]
    [InlineData("--interval", "500ms", "Tcp:Interval", "'500ms' is below the floor of 1s: ")]
    [InlineData("--count", "99999999999", "Tcp:ProbeCount", "'99999999999' is above the ceiling of 127: ")]
    [InlineData("--count", "three", "Tcp:ProbeCount", "'three' is not a whole number")]
    [InlineData("--user-timeout", "2h", "Tcp:UserTimeout", "'2h' is above the ceiling of 1h: ")]
    [InlineData("--peer-idle-timeout", "2d", "Heartbeat:PeerIdleTimeout", "'2d' is above the ceiling of 1d: ")]
    [InlineData("--peer-idle-timeout", "AwsNbl", "Heartbeat:PeerIdleTimeout", "'AwsNbl' is neither a preset nor a duration. Did you mean 'AwsNlb'?")]
    public async Task Show_FlagOutsideTheDeclaredRange_ExitsTwoWithTheLibrarysWords(string option, string value, string setting, string message)
    {
        var (exitCode, output, error) = await ToolRun.InProcessAsync("show", option, value);

        exitCode.Should().Be(2);
        output.Should().BeEmpty();
        error.Should().Contain($"{option} ({setting}): {message}").And.Contain("Fix:");
    }

    [Fact]
    public async Task Show_UserTimeoutZero_KeepsTheOsDefaultAsInConfiguration()
    {
        var (exitCode, output, error) = await ToolRun.InProcessAsync("show", "--user-timeout", "0s");

        exitCode.Should().Be(0, error);
        output.Should().Contain("Profile 'command-line'");
    }

    [Theory]
    [InlineData("--idle", "30", "\"30s\"")]
    [InlineData("--interval", "5", "\"5s\"")]
    [InlineData("--idle", "soon", "250ms")]
    public async Task Show_BadDuration_ExitsTwoShowingTheForm(string option, string value, string hint)
    {
        var (exitCode, output, error) = await ToolRun.InProcessAsync("show", option, value);

        exitCode.Should().Be(2);
        output.Should().BeEmpty();
        error.Should().Contain(option).And.Contain(hint);
    }

    [Fact]
    public async Task Show_ProfileWithoutSettings_ExitsTwoAskingForTheFile()
    {
        var (exitCode, _, error) = await ToolRun.InProcessAsync("show", "--profile", "payments");

        exitCode.Should().Be(2);
        error.Should().Contain("--settings appsettings.json");
    }

    [Fact]
    public async Task Show_SettingsNotJson_ExitsTwo()
    {
        var file = Path.Combine(_folder, "broken.json");
        await File.WriteAllTextAsync(file, "{ this is not json");

        var (exitCode, _, error) = await ToolRun.InProcessAsync("show", "--settings", file);

        exitCode.Should().Be(2);
        error.Should().Contain($"--settings {file}: not valid JSON at line 1, column 3: ").And.Contain("Fix:");
    }

    [Theory]
    [InlineData("")]
    [InlineData(" \n\t\n")]
    public async Task Show_SettingsFileEmpty_SaysItIsEmptyAndShowsTheShape(string content)
    {
        // It said "not valid JSON at line 1, column 1: The input does not contain any JSON tokens. ... Fix: correct the file
        // there (a missing quote, comma or brace is the usual cause)": no quote, comma or brace is missing from an empty file.
        var file = Path.Combine(_folder, "empty.json");
        await File.WriteAllTextAsync(file, content);

        var (exitCode, _, error) = await ToolRun.InProcessAsync("show", "--settings", file);

        exitCode.Should().Be(2);
        error.Should().StartWith($"--settings {file}: the file is empty. Fix: write one JSON object, as appsettings.json is: {{ \"KeepAlive\": {{ \"Profiles\"")
            .And.NotContain("missing quote");
    }

    [Fact]
    public async Task Show_SettingsBrokenOnALaterLine_NamesTheLineAndColumn()
    {
        var file = Path.Combine(_folder, "broken.json");
        await File.WriteAllTextAsync(file, "{\n  \"KeepAlive\": {\n    \"Profiles\": oops\n  }\n}\n");

        var (exitCode, _, error) = await ToolRun.InProcessAsync("show", "--settings", file);

        exitCode.Should().Be(2);
        error.Should().Contain("not valid JSON at line 3, column 17: 'o' is an invalid start of a value.");
    }

    [Theory]
    [InlineData("[1, 2]", "'Array' was found")]
    [InlineData("\"payments\"", "'String' was found")]
    public async Task Show_SettingsValidJsonButNotAnObject_SaysWhyAndShowsTheShape(string json, string cause)
    {
        var file = Path.Combine(_folder, "not-an-object.json");
        await File.WriteAllTextAsync(file, json);

        var (exitCode, _, error) = await ToolRun.InProcessAsync("show", "--settings", file, "--profile", "payments");

        exitCode.Should().Be(2);
        error.Should().Contain($"--settings {file}: not a readable JSON file").And.Contain(cause).And.Contain("Fix: write one JSON object").And.Contain("\"Profiles\"");
    }

    [Theory]
    [InlineData("doctor|--pid|abc", "--pid: 'abc' is not a process id. Fix:")]
    [InlineData("doctor|--pid|-5", "--pid: '-5' is not a process id. Fix:")]
    [InlineData("analyze|", "FILE: the file name is empty. Fix:")]
    [InlineData("check|127.0.0.1:9|--capture|", "--capture: the file name is empty. Fix:")]
    [InlineData("show|--settings|", "--settings: the file name is empty. Fix:")]
    [InlineData("check|127.0.0.1:9|--settings|", "--settings: the file name is empty. Fix:")]
    [InlineData("doctor|--pid|1|--settings|", "--settings: the file name is empty. Fix:")]
    public async Task Flags_ValueOfTheWrongKind_RefusedInTheToolsWordsNotTypeNames(string args, string message)
    {
        var (exitCode, _, error) = await ToolRun.InProcessAsync(args.Split('|'));

        exitCode.Should().Be(2);
        error.Should().Contain(message).And.NotContain("System.");
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>What the library itself says about a profile, loaded the documented way.</summary>
    private static string LibraryError(string settings, string profile)
    {
        var configuration = new ConfigurationBuilder().AddJsonFile(settings).Build();
        using var provider = new ServiceCollection().AddKeepAlive(configuration.GetSection("KeepAlive")).BuildServiceProvider();
        try
        {
            provider.GetRequiredService<IKeepAliveProfiles>().GetProfile(profile);
        }
        catch (OptionsValidationException e)
        {
            return string.Join("\n", e.Failures);
        }
        catch (InvalidOperationException e)
        {
            return e.Message;
        }

        throw new InvalidOperationException("the library accepted the profile");
    }

    private async Task<string> WriteSettingsAsync(string payments)
    {
        var file = Path.Combine(_folder, "appsettings.json");
        await File.WriteAllTextAsync(file, $$"""{ "KeepAlive": { "Profiles": { "payments": {{payments}} } } }""");
        return file;
    }
}
