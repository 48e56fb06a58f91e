using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.AspNetCore.Tests;

/// <summary>
/// Behind a load balancer the server must keep an idle HTTP connection open longer than the balancer does, else the
/// balancer reuses a connection the server has just closed (a 502). A profile's <c>Http:KeepAliveTimeout</c> is validated
/// against <c>Heartbeat:PeerIdleTimeout</c>; where the profile sets none, Kestrel runs with its own 130 s (or a value set in
/// code), which nothing held to that rule: behind an AWS NLB (350 s) the server closed first without a word.
/// </summary>
public sealed class KestrelKeepAliveTimeoutTests
{
    [Fact]
    public async Task UseKeepAlive_PeerIdleTimeoutOverKestrelsDefaultAndNoHttpKeepAliveTimeout_WarnsAtStartUpWithTheFix()
    {
        var logs = await StartAsync("""{ "Heartbeat": { "PeerIdleTimeout": "AwsNlb" } }""", static _ => { });

        var warning = logs.Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.KestrelKeepAliveTimeoutNotLongerThanPeer, "logged when Kestrel binds the endpoint, before any connection").Which;
        warning.Level.Should().Be(LogLevel.Warning);
        warning.Message.Should().Contain("KeepAlive profile 'edge'")
            .And.Contain("Kestrel's Limits.KeepAliveTimeout (Kestrel's default; the profile sets no Http:KeepAliveTimeout) is 2m10s, not longer than Heartbeat:PeerIdleTimeout AwsNlb (5m50s)")
            .And.Contain("502")
            .And.EndWith("Fix: set Http:KeepAliveTimeout above 5m50s, for example 6m25s.");
    }

    [Fact]
    public async Task UseKeepAlive_KeepAliveTimeoutSetInCodeNotLongerThanThePeers_WarnsNamingItAsSetInCode()
    {
        var logs = await StartAsync("""{ "Heartbeat": { "PeerIdleTimeout": "1m" } }""", static k => k.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(45));

        logs.Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.KestrelKeepAliveTimeoutNotLongerThanPeer).Which.Message
            .Should().Contain("Kestrel's Limits.KeepAliveTimeout (set in code; the profile sets no Http:KeepAliveTimeout) is 45s, not longer than Heartbeat:PeerIdleTimeout 1m");
    }

    // Kestrel learns the address of an endpoint on a port the system picks (port 0) when it binds it, after building the
    // endpoint's pipeline, where 3110 was said: the warning named "127.0.0.1:0", an endpoint no "Now listening on" line shows.
    [Theory]
    [InlineData(false)] // k.Listen(IPAddress.Loopback, 0, listen => listen.UseKeepAlive("edge"))
    [InlineData(true)] // "Urls": "http://127.0.0.1:0", with UseKeepAlive in ConfigureEndpointDefaults
    public async Task UseKeepAlive_EndpointOnAPortTheSystemPicks_WarningNamesTheBoundPort(bool fromUrls)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(KestrelHosts.Profile("edge", """{ "Heartbeat": { "PeerIdleTimeout": "AwsNlb" } }"""))));
        builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive"));
        builder.Services.AddLogging(l => l.AddFakeLogging());
        if (fromUrls)
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0").UseKestrel(k => k.ConfigureEndpointDefaults(listen => listen.UseKeepAlive("edge")));
        }
        else
        {
            builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.UseKeepAlive("edge")));
        }

        await using var app = builder.Build();
        await app.StartAsync(TestContext.Current.CancellationToken);
        var logs = app.Services.GetRequiredService<FakeLogCollector>().GetSnapshot();
        var port = KestrelHosts.BaseAddress(app).Port;
        await app.StopAsync(TestContext.Current.CancellationToken);

        port.Should().BePositive("the control: the system picked a port");
        logs.Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.KestrelKeepAliveTimeoutNotLongerThanPeer).Which.Message.Should()
            .StartWith($"KeepAlive profile 'edge' on endpoint 127.0.0.1:{port}: Kestrel's Limits.KeepAliveTimeout");
    }

    // UseTcpKeepAlive applies the Tcp section only, so Kestrel runs with its own keep-alive timeout whatever the profile's Http
    // section says: behind an AWS NLB (350 s) Kestrel's 2m10s closed first without a word, as 3110 was said for UseKeepAlive only.
    [Theory]
    [InlineData("AwsNlb", true)] // 5m50s, over Kestrel's 2m10s
    [InlineData("60s", false)] // Kestrel's 2m10s outlasts the balancer
    public async Task UseTcpKeepAlive_PeerIdleTimeoutAgainstTheKeepAliveTimeoutKestrelRuns_WarnsWithTheFixOfThatCallOnlyWhenKestrelClosesFirst(string peer, bool warns)
    {
        var (logs, ports) = await StartOnPortsTheSystemPicksAsync($$"""{ "Heartbeat": { "PeerIdleTimeout": "{{peer}}" } }""", static listen => listen.UseTcpKeepAlive("edge"));

        var warnings = logs.Where(r => r.Id.Id == KeepAliveEventIds.KestrelKeepAliveTimeoutNotLongerThanPeer).ToList();
        if (!warns)
        {
            warnings.Should().BeEmpty();
            return;
        }

        warnings.Should().ContainSingle().Which.Message.Should()
            .StartWith($"KeepAlive profile 'edge' on endpoint 127.0.0.1:{ports[0]}: Kestrel's Limits.KeepAliveTimeout (Kestrel's default; listenOptions.UseTcpKeepAlive(\"edge\") applies no Http:KeepAliveTimeout, only the profile's Tcp section) is 2m10s, not longer than Heartbeat:PeerIdleTimeout AwsNlb (5m50s)")
            .And.EndWith("Fix: set k.Limits.KeepAliveTimeout in code, or Http:KeepAliveTimeout in the profile applied with listenOptions.UseKeepAlive(\"edge\") in place of UseTcpKeepAlive, above 5m50s, for example 6m25s.");
    }

    // One profile on two endpoints, one with each call: each says its 3110 with its own fix (said once per server, profile and call).
    [Fact]
    public async Task UseKeepAliveAndUseTcpKeepAliveWithOneProfile_KestrelClosesFirst_EachEndpointWarnsWithItsFix()
    {
        var (logs, ports) = await StartOnPortsTheSystemPicksAsync("""{ "Heartbeat": { "PeerIdleTimeout": "AwsNlb" } }""", static listen => listen.UseKeepAlive("edge"), static listen => listen.UseTcpKeepAlive("edge"));

        var messages = logs.Where(r => r.Id.Id == KeepAliveEventIds.KestrelKeepAliveTimeoutNotLongerThanPeer).Select(static r => r.Message).ToList();
        messages.Should().HaveCount(2);
        messages.Should().ContainSingle(m => m.StartsWith($"KeepAlive profile 'edge' on endpoint 127.0.0.1:{ports[0]}: ", StringComparison.Ordinal)).Which.Should()
            .Contain("the profile sets no Http:KeepAliveTimeout").And.EndWith("Fix: set Http:KeepAliveTimeout above 5m50s, for example 6m25s.");
        messages.Should().ContainSingle(m => m.StartsWith($"KeepAlive profile 'edge' on endpoint 127.0.0.1:{ports[1]}: ", StringComparison.Ordinal)).Which.Should()
            .Contain("listenOptions.UseTcpKeepAlive(\"edge\") applies no Http:KeepAliveTimeout").And.Contain("Fix: set k.Limits.KeepAliveTimeout in code");
    }

    // Kestrel has one keep-alive timeout: another endpoint's profile that sets it sets it for this one too. The warning said
    // "set in code" and asked for Http:KeepAliveTimeout in this profile, which then stopped the host (two profiles disagreeing).
    [Fact]
    public async Task UseKeepAlive_AnotherEndpointsProfileSetsAShorterKeepAliveTimeout_WarnsNamingThatProfileAndTheFixInIt()
    {
        var builder = WebApplication.CreateSlimBuilder();
        var json = """{ "KeepAlive": { "Profiles": { "short": { "Http": { "KeepAliveTimeout": "1m" } }, "edge": { "Heartbeat": { "PeerIdleTimeout": "AwsNlb" } } } } }""";
        builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json)));
        builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive"));
        builder.Services.AddLogging(l => l.AddFakeLogging());
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0, listen => listen.UseKeepAlive("short"));
            k.Listen(IPAddress.Loopback, 0, listen => listen.UseKeepAlive("edge"));
        });
        await using var app = builder.Build();
        await app.StartAsync(TestContext.Current.CancellationToken);
        var logs = app.Services.GetRequiredService<FakeLogCollector>().GetSnapshot();
        await app.StopAsync(TestContext.Current.CancellationToken);

        logs.Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.KestrelKeepAliveTimeoutNotLongerThanPeer).Which.Message.Should()
            .Contain("KeepAlive profile 'edge'")
            .And.Contain("Kestrel's Limits.KeepAliveTimeout (server-wide: KeepAlive profile 'short' sets it on endpoint 127.0.0.1:")
            .And.Contain("is 1m, not longer than Heartbeat:PeerIdleTimeout AwsNlb (5m50s)")
            .And.NotContain("set in code")
            .And.EndWith("Fix: set Http:KeepAliveTimeout in KeepAlive profile 'short' above 5m50s, for example 6m25s.");
    }

    // A reload that moves the middlebox's idle timeout over the keep-alive timeout Kestrel runs with was accepted without a
    // word (the profile sets no Http:KeepAliveTimeout, so its own rules pass): the server then closed first, the 502s 3110 is for.
    [Fact]
    public async Task Reload_PeerIdleTimeoutMovedOverKestrelsKeepAliveTimeout_WarnsOnceWithTheFix()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["KeepAlive:Profiles:edge:Heartbeat:PeerIdleTimeout"] = "1m" });
        builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive"));
        builder.Services.AddLogging(l => l.AddFakeLogging());
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.UseKeepAlive("edge")));
        await using var app = builder.Build();
        await app.StartAsync(TestContext.Current.CancellationToken);
        var logs = app.Services.GetRequiredService<FakeLogCollector>();
        var profiles = app.Services.GetRequiredService<KeepAlive.Net.Hosting.IKeepAliveProfiles>();
        logs.GetSnapshot().Should().NotContain(r => r.Id.Id == KeepAliveEventIds.KestrelKeepAliveTimeoutNotLongerThanPeer, "Kestrel's 2m10s outlasts 1m");

        foreach (var tcpIdle in new[] { "20s", "21s" }) // the same peer after each reload: said once
        {
            app.Configuration["KeepAlive:Profiles:edge:Heartbeat:PeerIdleTimeout"] = "AwsNlb";
            app.Configuration["KeepAlive:Profiles:edge:Tcp:IdleTime"] = tcpIdle;
            ((IConfigurationRoot)app.Configuration).Reload();
            var waited = Stopwatch.StartNew();
            while (profiles.GetProfile("edge").Tcp!.IdleTime != TimeSpan.Parse("00:00:" + tcpIdle.TrimEnd('s'), System.Globalization.CultureInfo.InvariantCulture))
            {
                waited.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(15), "the reload should have been accepted");
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }
        }

        await app.StopAsync(TestContext.Current.CancellationToken);
        logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.KestrelKeepAliveTimeoutNotLongerThanPeer).Which.Message.Should()
            .Contain("KeepAlive profile 'edge'")
            .And.Contain("Kestrel's Limits.KeepAliveTimeout (Kestrel's default; the profile sets no Http:KeepAliveTimeout) is 2m10s, not longer than Heartbeat:PeerIdleTimeout AwsNlb (5m50s)")
            .And.EndWith("Fix: set Http:KeepAliveTimeout above 5m50s, for example 6m25s.");
    }

    // The profile sets Http:KeepAliveTimeout 6m behind a 5m middlebox; a reload moves both, to 9m behind 8m, which the
    // profile's own rules pass. Kestrel keeps the 6m it took (3106 says so), now not longer than the 8m middlebox: the server
    // closes first, the 502s 3110 is for, and nothing said it, as start-up says it where Kestrel runs without the profile's value.
    [Fact]
    public async Task Reload_PeerIdleTimeoutMovedOverTheKeepAliveTimeoutKestrelTookFromTheProfile_WarnsWithTheRestartAsTheFix()
    {
        var (warning, inForce) = await ReloadPeerAndKeepAliveTimeoutAsync(static _ => { });

        inForce.Should().Be(TimeSpan.FromMinutes(6), "the control: Kestrel keeps what it took");
        warning.Should().Contain("KeepAlive profile 'edge'")
            .And.Contain("Kestrel's Limits.KeepAliveTimeout (taken from the profile when Kestrel bound the endpoint; the profile's 9m, from a reload, reaches Kestrel at a restart, as warning 3106 says) is 6m, not longer than Heartbeat:PeerIdleTimeout 8m")
            .And.EndWith("Fix: restart the service, so that Kestrel takes the profile's Http:KeepAliveTimeout 9m.");
    }

    // The same reload where code after the call set Kestrel's keep-alive timeout (3107 said so at the first connection): a
    // restart keeps that value, so the fix removes it first.
    [Fact]
    public async Task Reload_PeerIdleTimeoutMovedOverAKeepAliveTimeoutSetInCodeAfterTheCall_WarnsWithTheAssignmentToRemoveBeforeTheRestart()
    {
        var (warning, inForce) = await ReloadPeerAndKeepAliveTimeoutAsync(static k => k.Limits.KeepAliveTimeout = TimeSpan.FromMinutes(7));

        inForce.Should().Be(TimeSpan.FromMinutes(7), "the control: code after the call wins in Kestrel");
        warning.Should().Contain("Kestrel's Limits.KeepAliveTimeout (set in code; the profile's 9m, from a reload, reaches Kestrel at a restart, as warning 3106 says) is 7m, not longer than Heartbeat:PeerIdleTimeout 8m")
            .And.EndWith("Fix: remove the assignments of k.Limits.KeepAliveTimeout in code after listenOptions.UseKeepAlive, which win over the profile, then restart the service, so that Kestrel takes the profile's Http:KeepAliveTimeout 9m.");
    }

    // Two endpoints: 'short' sets Kestrel's one keep-alive timeout, 6m; 'edge' sets none, behind a 5m middlebox. One reload gives
    // 'short' 9m (Kestrel keeps 6m, 3106) and moves 'edge''s middlebox to 8m: 3110 said to set 'short''s timeout above 8m,
    // which it already is; only the restart that applies it helps.
    [Fact]
    public async Task Reload_PeerMovedOverTheKeepAliveTimeoutAnotherProfileSetAndHasRaisedSince_WarnsWithTheRestartAsTheFix()
    {
        var (warning, _) = await ReloadAsync(
            new() { ["short:Http:KeepAliveTimeout"] = "6m", ["edge:Heartbeat:PeerIdleTimeout"] = "5m" },
            new() { ["short:Http:KeepAliveTimeout"] = "9m", ["edge:Heartbeat:PeerIdleTimeout"] = "8m" },
            static k => k.Listen(IPAddress.Loopback, 0, listen => listen.UseKeepAlive("short")));

        warning.Should().Contain("(server-wide: KeepAlive profile 'short' sets it on endpoint 127.0.0.1:")
            .And.Contain("is 6m, not longer than Heartbeat:PeerIdleTimeout 8m")
            .And.EndWith("Fix: restart the service, so that Kestrel takes KeepAlive profile 'short''s Http:KeepAliveTimeout 9m.");
    }

    // Profile 'edge' with Http:KeepAliveTimeout 6m behind a 5m middlebox on one UseKeepAlive endpoint, then `kestrel` (after the
    // call); a reload moves both, to 9m behind 8m, which the profile's own rules pass.
    private static Task<(string Warning, TimeSpan InForce)> ReloadPeerAndKeepAliveTimeoutAsync(Action<KestrelServerOptions> kestrel) => ReloadAsync(
        new() { ["edge:Heartbeat:PeerIdleTimeout"] = "5m", ["edge:Http:KeepAliveTimeout"] = "6m" },
        new() { ["edge:Heartbeat:PeerIdleTimeout"] = "8m", ["edge:Http:KeepAliveTimeout"] = "9m" },
        kestrel);

    // Profiles from `before` (keys under KeepAlive:Profiles), one endpoint with UseKeepAlive("edge"), then `kestrel`; a reload
    // saves `after`, which warning 3106 answers. Returns the one 3110 said, and the keep-alive timeout Kestrel runs with.
    private static async Task<(string Warning, TimeSpan InForce)> ReloadAsync(Dictionary<string, string?> before, Dictionary<string, string?> after, Action<KestrelServerOptions> kestrel)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(before.ToDictionary(static p => "KeepAlive:Profiles:" + p.Key, static p => p.Value));
        builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive"));
        builder.Services.AddLogging(l => l.AddFakeLogging());
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0, listen => listen.UseKeepAlive("edge"));
            kestrel(k);
        });
        await using var app = builder.Build();
        await app.StartAsync(TestContext.Current.CancellationToken);
        var logs = app.Services.GetRequiredService<FakeLogCollector>();
        logs.GetSnapshot().Should().NotContain(r => r.Id.Id == KeepAliveEventIds.KestrelKeepAliveTimeoutNotLongerThanPeer, "the control: start-up says nothing while the rule holds");

        foreach (var (key, value) in after)
        {
            app.Configuration["KeepAlive:Profiles:" + key] = value;
        }

        ((IConfigurationRoot)app.Configuration).Reload();
        var waited = Stopwatch.StartNew();
        while (!logs.GetSnapshot().Any(r => r.Id.Id == KeepAliveEventIds.ServerReloadNotApplied))
        {
            waited.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(15), "the reload should have been accepted, and 3106 said");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        await Task.Delay(500, TestContext.Current.CancellationToken);
        await app.StopAsync(TestContext.Current.CancellationToken);
        var warning = logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.KestrelKeepAliveTimeoutNotLongerThanPeer).Which.Message;
        return (warning, app.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits.KeepAliveTimeout);
    }

    [Theory]
    [InlineData("""{ "Heartbeat": { "PeerIdleTimeout": "1m" } }""")] // Kestrel's 130 s outlasts the balancer's 60 s: as the rule asks
    [InlineData("""{ "Heartbeat": { "PeerIdleTimeout": "AwsNlb" }, "Http": { "KeepAliveTimeout": "6m" } }""")] // the profile's own, validated
    [InlineData("""{ "Tcp": { "IdleTime": "30s" } }""")] // no middlebox stated
    public async Task UseKeepAlive_KestrelOutlastsThePeerOrNoPeer_NoWarning(string profile)
    {
        var logs = await StartAsync(profile, static _ => { });

        logs.Should().NotContain(r => r.Id.Id == KeepAliveEventIds.KestrelKeepAliveTimeoutNotLongerThanPeer);
    }

    // Starts and stops an app with profile "edge" and one endpoint on 127.0.0.1, on a port the system picks, for each of `endpoints`;
    // returns what it logged and the ports bound, in order.
    private static async Task<(IReadOnlyList<FakeLogRecord> Logs, int[] Ports)> StartOnPortsTheSystemPicksAsync(string profile, params Action<ListenOptions>[] endpoints)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(KestrelHosts.Profile("edge", profile))));
        builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive"));
        builder.Services.AddLogging(l => l.AddFakeLogging());
        var listens = new List<ListenOptions>();
        builder.WebHost.UseKestrel(k =>
        {
            foreach (var endpoint in endpoints)
            {
                k.Listen(IPAddress.Loopback, 0, listen =>
                {
                    listens.Add(listen);
                    endpoint(listen);
                });
            }
        });

        await using var app = builder.Build();
        await app.StartAsync(TestContext.Current.CancellationToken);
        var logs = app.Services.GetRequiredService<FakeLogCollector>().GetSnapshot();
        var ports = listens.Select(static l => l.IPEndPoint!.Port).ToArray();
        await app.StopAsync(TestContext.Current.CancellationToken);

        ports.Should().HaveCount(endpoints.Length).And.OnlyContain(static p => p > 0, "the control: the system picked each port");
        return (logs, ports);
    }

    // Starts and stops an app whose one endpoint has UseKeepAlive("edge") with `profile`, after `kestrel` configured the
    // server (after the call), and returns what it logged.
    private static async Task<IReadOnlyList<FakeLogRecord>> StartAsync(string profile, Action<KestrelServerOptions> kestrel)
    {
        await using var app = KestrelHosts.Build(KestrelHosts.Profile("edge", profile), static listen => listen.UseKeepAlive("edge"), static services => services.AddLogging(l => l.AddFakeLogging()));
        var options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<KestrelServerOptions>>().Value;
        kestrel(options);
        await app.StartAsync(TestContext.Current.CancellationToken);
        var logs = app.Services.GetRequiredService<FakeLogCollector>().GetSnapshot();
        await app.StopAsync(TestContext.Current.CancellationToken);
        return logs;
    }
}
