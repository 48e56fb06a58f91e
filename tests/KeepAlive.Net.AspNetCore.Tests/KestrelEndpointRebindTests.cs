using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.AspNetCore.Tests;

/// <summary>
/// Kestrel binds an endpoint its reloaded configuration adds (<c>Kestrel:Endpoints</c>, reloadOnChange) while it runs: the
/// endpoint's UseKeepAlive (ConfigureEndpointDefaults) runs then, with the profile as reloads left it, on a real loopback
/// server and a real configuration reload.
/// </summary>
public sealed class KestrelEndpointRebindTests
{
    // 3106 said Kestrel's keep-alive timeout "stays 5s (the profile now says 20s)"; the endpoint Kestrel bound later from its
    // reloaded configuration ran UseKeepAlive("edge") again, which set 20s server-wide, and registered a second watcher (with
    // 20s as taken): the next reload said two contradicting 3106 warnings, "stays 5s" and "stays 20s".
    [Fact]
    public async Task EndpointBoundAfterAReload_ServerWideValueThe3106SaidStays_StaysAndTheNextReloadWarnsOnce()
    {
        var (app, config) = await StartAsync(k => { });
        await using var disposing = app;
        var logs = app.Services.GetRequiredService<FakeLogCollector>();
        var kestrel = app.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value;

        await ReloadProfileAsync(app, config, "20s", "stays 5s (the profile now says 20s)");
        await BindAnotherEndpointAsync(config);

        kestrel.Limits.KeepAliveTimeout.Should().Be(TimeSpan.FromSeconds(5), "warning 3106 said it stays 5s: {0}", Said(logs));
        var before = logs.GetSnapshot().Count(r => r.Id.Id == KeepAliveEventIds.ServerReloadNotApplied);
        await ReloadProfileAsync(app, config, "30s", "stays 5s (the profile now says 30s)");
        await Task.Delay(500, TestContext.Current.CancellationToken);
        logs.GetSnapshot().Where(r => r.Id.Id == KeepAliveEventIds.ServerReloadNotApplied).Skip(before).Should()
            .ContainSingle("one reload, one decision per server-wide value: {0}", Said(logs)).Which.Message.Should().Contain("stays 5s (the profile now says 30s)");
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    // Code after the call set Kestrel's keep-alive timeout to 1m, and 3106 said it "stays 1m, set in code after
    // listenOptions.UseKeepAlive": the endpoint bound later replaced it with the profile's reloaded 20s, without a word.
    [Fact]
    public async Task EndpointBoundAfterAReload_LimitSetInCodeAfterTheCall_StaysAs3106Said()
    {
        var (app, config) = await StartAsync(k => k.Limits.KeepAliveTimeout = TimeSpan.FromMinutes(1));
        await using var disposing = app;
        var logs = app.Services.GetRequiredService<FakeLogCollector>();
        var kestrel = app.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value;

        await ReloadProfileAsync(app, config, "20s", "stays 1m, set in code after listenOptions.UseKeepAlive (the profile now says 20s)");
        await BindAnotherEndpointAsync(config);

        kestrel.Limits.KeepAliveTimeout.Should().Be(TimeSpan.FromMinutes(1), "warning 3106 said the value set in code stays: {0}", Said(logs));
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    // An endpoint Kestrel binds from its reloaded configuration with a profile new to the server, whose Http:KeepAliveTimeout
    // differs from the one in force: refused, as start-up refuses two profiles that disagree (Kestrel logs "Unable to reload
    // configuration" with the reason). The refusal counted the profile as applied, so Kestrel's next attempt bound the endpoint
    // without a word, its profile's server-wide value not in force.
    [Fact]
    public async Task EndpointBoundAfterAReload_NewProfileThatDisagreesOnAServerWideValue_IsRefusedAtEveryAttempt()
    {
        var (app, config) = await StartAsync(k => { }, laterProfile: "other");
        await using var disposing = app;
        var logs = app.Services.GetRequiredService<FakeLogCollector>();
        var port = FreePort();

        config["Kestrel:Endpoints:Later:Url"] = $"http://127.0.0.1:{port}";
        config.Reload();
        var waited = Stopwatch.StartNew();
        while (!logs.GetSnapshot().Any(r => r.Message.Contains("Unable to reload configuration", StringComparison.Ordinal)))
        {
            waited.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(15), "Kestrel should have tried to bind the endpoint: {0}", Said(logs));
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        config.Reload(); // Kestrel tries again
        await Task.Delay(1000, TestContext.Current.CancellationToken);

        logs.GetSnapshot().Should().Contain(r => r.Exception != null && r.Exception.Message.Contains("profile 'other' to 9s", StringComparison.Ordinal), "the refusal says why: {0}", Said(logs));
        using var client = new TcpClient();
        await FluentActions.Awaiting(() => client.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken).AsTask())
            .Should().ThrowAsync<SocketException>("the endpoint is refused at every attempt, as at start-up: {0}", Said(logs));
        app.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits.KeepAliveTimeout.Should().Be(TimeSpan.FromSeconds(5));
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    private static string Said(FakeLogCollector logs) => string.Join(" | ", logs.GetSnapshot().Select(r => $"{r.Id.Id}: {r.Message}"));

    // One endpoint in code with UseKeepAlive("edge"), then `after`; Kestrel's configuration section watched, with no endpoint
    // yet, and an endpoint "Later" there would get UseKeepAlive(`laterProfile`). Profile 'edge' sets Http:KeepAliveTimeout 5s, 'other' 9s.
    private static async Task<(WebApplication App, IConfigurationRoot Config)> StartAsync(Action<KestrelServerOptions> after, string laterProfile = "edge")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["KeepAlive:Profiles:edge:Http:KeepAliveTimeout"] = "5s",
            ["KeepAlive:Profiles:other:Http:KeepAliveTimeout"] = "9s",
        });
        builder.Logging.AddFakeLogging();
        builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive"));
        var kestrelSection = builder.Configuration.GetSection("Kestrel");
        builder.WebHost.UseKestrel(k =>
        {
            k.Configure(kestrelSection, reloadOnChange: true).Endpoint("Later", endpoint => endpoint.ListenOptions.UseKeepAlive(laterProfile));
            k.Listen(IPAddress.Loopback, 0, listen => listen.UseKeepAlive("edge"));
            after(k);
        });
        var app = builder.Build();
        await app.StartAsync(TestContext.Current.CancellationToken);
        return (app, (IConfigurationRoot)app.Configuration);
    }

    // Saves a new Http:KeepAliveTimeout for 'edge' and waits for the warning 3106 that says `stays`.
    private static async Task ReloadProfileAsync(WebApplication app, IConfigurationRoot config, string keepAliveTimeout, string stays)
    {
        var logs = app.Services.GetRequiredService<FakeLogCollector>();
        config["KeepAlive:Profiles:edge:Http:KeepAliveTimeout"] = keepAliveTimeout;
        config.Reload();
        var waited = Stopwatch.StartNew();
        while (!logs.GetSnapshot().Any(r => r.Id.Id == KeepAliveEventIds.ServerReloadNotApplied && r.Message.Contains(stays, StringComparison.Ordinal)))
        {
            waited.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(15), "the reload should have been accepted and warned about: {0}", Said(logs));
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    // Adds an endpoint to Kestrel's configuration and waits until Kestrel accepts connections on it.
    private static async Task BindAnotherEndpointAsync(IConfigurationRoot config)
    {
        var port = FreePort();
        config["Kestrel:Endpoints:Later:Url"] = $"http://127.0.0.1:{port}";
        config.Reload();
        var waited = Stopwatch.StartNew();
        while (true)
        {
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
                return;
            }
            catch (SocketException)
            {
                waited.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(15), "Kestrel should bind the endpoint its reloaded configuration adds");
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
