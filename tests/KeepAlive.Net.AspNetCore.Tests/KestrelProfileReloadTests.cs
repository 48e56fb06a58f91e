using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace KeepAlive.Net.AspNetCore.Tests;

/// <summary>Kestrel behaves like HttpClient on reload: a bad save to appsettings.json keeps the last valid values.</summary>
public sealed class KestrelProfileReloadTests
{
    private const string Valid = """{ "KeepAlive": { "Profiles": { "edge": { "Tcp": { "IdleTime": "23s", "Interval": "4s" } } } } }""";

    // A reload that sets a request limit nothing counts is accepted and warned about (3106: it "stays unlimited"), but new
    // connections' IKeepAliveRetirementFeature said MaxRequests 2, a limit no connection was held to.
    [Fact]
    public async Task Reload_RequestLimitThatNothingCounts_NewConnectionsDoNotReportItAsTheirLimit()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["KeepAlive:Profiles:edge:Tcp:IdleTime"] = "23s" });
        builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive"));
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.UseKeepAlive("edge")));
        await using var app = builder.Build();
        app.MapGet("/", (HttpContext context) =>
            $"{context.Connection.Id} {context.Features.Get<IKeepAliveRetirementFeature>()?.MaxRequests?.ToString(CultureInfo.InvariantCulture) ?? "no-limit"}");
        await app.StartAsync(TestContext.Current.CancellationToken);
        var profiles = app.Services.GetRequiredService<KeepAlive.Net.Hosting.IKeepAliveProfiles>();

        app.Configuration["KeepAlive:Profiles:edge:Http:MaxRequestsPerConnection"] = "2";
        ((IConfigurationRoot)app.Configuration).Reload();
        var waited = Stopwatch.StartNew();
        while (profiles.GetProfile("edge").Http.MaxRequestsPerConnection != 2)
        {
            waited.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(15), "the reload should have been accepted");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { BaseAddress = KestrelHosts.BaseAddress(app) };
        var answers = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            answers.Add(await client.GetStringAsync("/", TestContext.Current.CancellationToken));
        }

        answers.Select(a => a.Split(' ')[0]).Distinct().Should().ContainSingle("nothing counts the requests, so no connection is retired at 2");
        answers.Select(a => a.Split(' ')[1]).Should().OnlyContain(limit => limit == "no-limit", "the connection serves more than 2 requests: the profile's limit is not in force, as warning 3106 says");
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Reload_TypoSaved_AcceptedConnectionsKeepLastValidValuesAndOneErrorIsLogged()
    {
        var directory = Directory.CreateTempSubdirectory("keepalive-kestrel-reload-").FullName;
        var file = Path.Combine(directory, "appsettings.json");
        await File.WriteAllTextAsync(file, Valid, TestContext.Current.CancellationToken);
        var accepted = new List<Socket>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddJsonFile(file, optional: false, reloadOnChange: true);
        builder.Logging.AddFakeLogging();
        builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive"));
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.UseTcpKeepAlive("edge").Use(next => context =>
        {
            lock (accepted)
            {
                accepted.Add(context.Features.Get<IConnectionSocketFeature>()!.Socket);
            }

            return next(context);
        })));
        await using var app = builder.Build();
        await app.StartAsync(TestContext.Current.CancellationToken);
        var logs = app.Services.GetRequiredService<FakeLogCollector>();

        await File.WriteAllTextAsync(file, Valid.Replace("23s", "-1s", StringComparison.Ordinal), TestContext.Current.CancellationToken);
        var waited = Stopwatch.StartNew();
        while (!logs.GetSnapshot().Any(r => r.Id.Id == KeepAliveEventIds.ProfileReloadRejected))
        {
            waited.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(15), "the file watcher should have reloaded the file");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port(app), TestContext.Current.CancellationToken);
        await client.GetStream().WriteAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray(), TestContext.Current.CancellationToken);
        while (accepted.Count == 0)
        {
            waited.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(25), "Kestrel should accept the connection");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        accepted[0].GetKeepAlive().IdleTime.Should().Be(TimeSpan.FromSeconds(23), "the connection still gets the last valid profile");
        var error = logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.ProfileReloadRejected).Which;
        error.Level.Should().Be(LogLevel.Error);
        error.Message.Should().Contain("KeepAlive:Profiles:edge:Tcp:IdleTime").And.Contain("-1s").And.Contain("Fix:");
        logs.GetSnapshot().Should().NotContain(r => r.Id.Id == KeepAliveEventIds.KestrelConnectionKeepAliveFailed);
        await app.StopAsync(TestContext.Current.CancellationToken);
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task Reload_ServerWideValueAndAnUncountedRequestLimit_WarnsThatTheyStayInsteadOfSayingTheyApply()
    {
        const string Before = """{ "KeepAlive": { "Profiles": { "edge": { "Http": { "KeepAliveTimeout": "5s" } } } } }""";
        const string After = """{ "KeepAlive": { "Profiles": { "edge": { "Http": { "KeepAliveTimeout": "20s", "MaxRequestsPerConnection": 2 } } } } }""";
        var (app, warning, file) = await ReloadUseKeepAliveEndpointAsync(Before, After);
        await using var disposing = app;

        warning.Level.Should().Be(LogLevel.Warning);
        warning.Message.Should().StartWith("Kestrel took these values from KeepAlive profile 'edge' once")
            .And.Contain("Kestrel's Limits.KeepAliveTimeout (Http:KeepAliveTimeout) stays 5s (the profile now says 20s)")
            .And.Contain("Http:MaxRequestsPerConnection (requests are not counted: services.AddKeepAliveRequestLimits() was not called) stays unlimited (the profile now says 2)")
            .And.Contain("then restart the service");
        app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>>().Value.Limits.KeepAliveTimeout
            .Should().Be(TimeSpan.FromSeconds(5), "what the warning says: Kestrel keeps it");
        await app.StopAsync(TestContext.Current.CancellationToken);
        Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
    }

    // Code after UseKeepAlive set Kestrel's keep-alive timeout to 1m (warning 3107 says Kestrel runs with it): 3106 said the
    // limit "stays 5s" and "restart the service", though Kestrel runs with 1m and a restart keeps it.
    [Fact]
    public async Task Reload_KestrelLimitCodeSetAfterTheCall_TheWarningNamesTheValueInForceAndThatARestartKeepsIt()
    {
        const string Before = """{ "KeepAlive": { "Profiles": { "edge": { "Http": { "KeepAliveTimeout": "5s" } } } } }""";
        const string After = """{ "KeepAlive": { "Profiles": { "edge": { "Http": { "KeepAliveTimeout": "20s" } } } } }""";
        var (app, warning, file) = await ReloadUseKeepAliveEndpointAsync(Before, After, k => k.Limits.KeepAliveTimeout = TimeSpan.FromMinutes(1));
        await using var disposing = app;

        app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>>().Value.Limits.KeepAliveTimeout
            .Should().Be(TimeSpan.FromMinutes(1), "the control: code after the call wins in Kestrel");
        warning.Message.Should().Contain("Kestrel's Limits.KeepAliveTimeout (Http:KeepAliveTimeout) stays 1m, set in code after listenOptions.UseKeepAlive (the profile now says 20s)")
            .And.Contain("Fix: remove the assignments in code after listenOptions.UseKeepAlive (k.Limits...), which win over the profile, then restart the service");
        await app.StopAsync(TestContext.Current.CancellationToken);
        Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
    }

    // The fix of 3106 was "restart the service to apply them" for a request limit that nothing counts too; but a restart
    // with that profile and without services.AddKeepAliveRequestLimits() stops the host: following the fix took the
    // service down. The fix says what start-up would ask for.
    [Fact]
    public async Task Reload_RequestLimitThatNothingCounts_FixAsksForTheCountingARestartNeeds()
    {
        const string Before = """{ "KeepAlive": { "Profiles": { "edge": { "Tcp": { "IdleTime": "23s" } } } } }""";
        const string After = """{ "KeepAlive": { "Profiles": { "edge": { "Tcp": { "IdleTime": "23s" }, "Http": { "MaxRequestsPerConnection": 2 } } } } }""";
        var (app, warning, file) = await ReloadUseKeepAliveEndpointAsync(Before, After);
        await using var disposing = app;
        await app.StopAsync(TestContext.Current.CancellationToken);

        var refused = await RestartAsync(file);

        refused.Should().BeOfType<InvalidOperationException>("a restart alone does not start: {0}", warning.Message);
        warning.Message.Should().Contain("Fix: call builder.Services.AddKeepAliveRequestLimits() when building the host, or remove Http:MaxRequestsPerConnection, then restart the service")
            .And.NotContain("Fix: restart the service");
        Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
    }

    // Two endpoints whose profiles set Kestrel's one keep-alive timeout alike; a reload gives one of them another value. 3106
    // said "Fix: restart the service to apply them", but start-up refuses two profiles that disagree on a server-wide value:
    // following the fix took the service down.
    [Fact]
    public async Task Reload_ServerWideValueAnotherEndpointsProfileSetsOtherwise_FixSaysTheRestartIsRefusedAndWhatToAlign()
    {
        const string Before = """{ "KeepAlive": { "Profiles": { "edge": { "Http": { "KeepAliveTimeout": "6m" } }, "other": { "Http": { "KeepAliveTimeout": "6m" } } } } }""";
        const string After = """{ "KeepAlive": { "Profiles": { "edge": { "Http": { "KeepAliveTimeout": "7m" } }, "other": { "Http": { "KeepAliveTimeout": "6m" } } } } }""";
        static void Other(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions k) => k.Listen(IPAddress.Loopback, 0, listen => listen.UseKeepAlive("other"));
        var (app, warning, file) = await ReloadUseKeepAliveEndpointAsync(Before, After, Other);
        await using var disposing = app;
        await app.StopAsync(TestContext.Current.CancellationToken);

        var refused = await RestartAsync(file, Other);

        refused.Should().BeOfType<InvalidOperationException>("a restart alone does not start: {0}", warning.Message).Which.Message.Should().Contain("profile 'other'");
        warning.Message.Should().Contain("Kestrel's Limits.KeepAliveTimeout (Http:KeepAliveTimeout) stays 6m (the profile now says 7m)")
            .And.Contain("Fix: give profiles 'edge' and 'other' the same Http:KeepAliveTimeout, or set it in one of them only, then restart the service (restarted as it is, the host does not start: profiles 'edge' and 'other' set the server-wide Http:KeepAliveTimeout to 7m and 6m)")
            .And.NotContain("Fix: restart the service");
        Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
    }

    // The restart a fix of "restart the service" leads to: the same code (UseKeepAlive("edge") on one endpoint, then `kestrel`),
    // the saved file; returns why it did not start, or null.
    private static async Task<Exception?> RestartAsync(string file, Action<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>? kestrel = null)
    {
        var restart = WebApplication.CreateSlimBuilder();
        restart.Configuration.AddJsonFile(file, optional: false);
        restart.Services.AddKeepAlive(restart.Configuration.GetSection("KeepAlive"));
        restart.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0, listen => listen.UseKeepAlive("edge"));
            kestrel?.Invoke(k);
        });
        return await Record.ExceptionAsync(async () =>
        {
            await using var restarted = restart.Build();
            await restarted.StartAsync(TestContext.Current.CancellationToken);
            await restarted.StopAsync(TestContext.Current.CancellationToken);
        });
    }

    // Both at once on one endpoint: a Kestrel limit code set after the call, and a request limit nothing counts. The fix
    // gave the request limit's steps only; a service owner who followed it restarted with the assignment in place, and
    // Kestrel kept running with the value set in code instead of the profile's.
    [Fact]
    public async Task Reload_KestrelLimitCodeSetAfterTheCallAndAnUncountedRequestLimit_TheFixGivesTheStepsOfBoth()
    {
        const string Before = """{ "KeepAlive": { "Profiles": { "edge": { "Http": { "KeepAliveTimeout": "5s" } } } } }""";
        const string After = """{ "KeepAlive": { "Profiles": { "edge": { "Http": { "KeepAliveTimeout": "20s", "MaxRequestsPerConnection": 2 } } } } }""";
        var (app, warning, file) = await ReloadUseKeepAliveEndpointAsync(Before, After, k => k.Limits.KeepAliveTimeout = TimeSpan.FromMinutes(1));
        await using var disposing = app;
        await app.StopAsync(TestContext.Current.CancellationToken);

        warning.Message.Should().Contain("Kestrel's Limits.KeepAliveTimeout (Http:KeepAliveTimeout) stays 1m, set in code after listenOptions.UseKeepAlive (the profile now says 20s)")
            .And.Contain("Http:MaxRequestsPerConnection (requests are not counted: services.AddKeepAliveRequestLimits() was not called) stays unlimited (the profile now says 2)")
            .And.Contain("Fix: remove the assignments in code after listenOptions.UseKeepAlive (k.Limits...), which win over the profile; call builder.Services.AddKeepAliveRequestLimits() when building the host, or remove Http:MaxRequestsPerConnection; then restart the service");
        Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
    }

    // Starts an app whose endpoint has UseKeepAlive("edge") (no AddKeepAliveRequestLimits) from a watched appsettings.json
    // holding `before`, saves `after`, and returns the app with the warning 3106 it logged and the file.
    // `kestrel` runs after the endpoint is declared (code after UseKeepAlive).
    private static async Task<(WebApplication App, FakeLogRecord Warning, string File)> ReloadUseKeepAliveEndpointAsync(string before, string after, Action<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>? kestrel = null)
    {
        var directory = Directory.CreateTempSubdirectory("keepalive-kestrel-reload-").FullName;
        var file = Path.Combine(directory, "appsettings.json");
        await File.WriteAllTextAsync(file, before, TestContext.Current.CancellationToken);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddJsonFile(file, optional: false, reloadOnChange: true);
        builder.Logging.AddFakeLogging();
        builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive"));
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0, listen => listen.UseKeepAlive("edge"));
            kestrel?.Invoke(k);
        });
        var app = builder.Build();
        await app.StartAsync(TestContext.Current.CancellationToken);
        var logs = app.Services.GetRequiredService<FakeLogCollector>();

        await File.WriteAllTextAsync(file, after, TestContext.Current.CancellationToken);
        var waited = Stopwatch.StartNew();
        while (!logs.GetSnapshot().Any(r => r.Id.Id == KeepAliveEventIds.ServerReloadNotApplied))
        {
            waited.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(15), "the file watcher should have reloaded the file: {0}", string.Join(" | ", logs.GetSnapshot().Select(r => r.Message)));
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        return (app, logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.ServerReloadNotApplied).Which, file);
    }

    private static int Port(WebApplication app) =>
        new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
}
