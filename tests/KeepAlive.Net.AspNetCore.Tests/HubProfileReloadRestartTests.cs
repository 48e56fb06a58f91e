using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace KeepAlive.Net.AspNetCore.Tests;

/// <summary>
/// <c>services.AddSignalR().UseKeepAlive</c> holds a hub keep-alive interval set in code to at most half the client's
/// <c>ServerTimeout</c> the profile gives, when the host starts. A reload that lowers that timeout was accepted without a
/// word (the hubs took none of its values): the host then ran into the reconnect loop the rule prevents, and a restart stopped it.
/// </summary>
public sealed class HubProfileReloadRestartTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)] // the profile's own 10 s interval: 25 s holds it twice, the reload suits the hubs
    public async Task Reload_ServerTimeoutBelowTwiceTheHubIntervalSetInCode_WarnsThatARestartWouldBeRefusedWithTheFix(bool intervalSetInCode)
    {
        var settings = new Dictionary<string, string?> { ["KeepAlive:Profiles:hub:Heartbeat:Interval"] = "10s", ["KeepAlive:Profiles:hub:Heartbeat:Timeout"] = "30s" };
        await using var app = Build(settings, intervalSetInCode);
        await app.StartAsync(TestContext.Current.CancellationToken);
        var logs = app.Services.GetRequiredService<FakeLogCollector>();

        app.Configuration["KeepAlive:Profiles:hub:SignalR:ServerTimeout"] = "25s";
        ((IConfigurationRoot)app.Configuration).Reload();
        var waited = Stopwatch.StartNew();
        while (!logs.GetSnapshot().Any(r => r.Id.Id == (intervalSetInCode ? KeepAliveEventIds.ServerReloadNotApplied : KeepAliveEventIds.ProfileReloaded)))
        {
            waited.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(15), "the reload should have been accepted, and warned about: {0}", string.Join(" | ", logs.GetSnapshot().Select(static r => r.Message)));
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        var warnings = logs.GetSnapshot().Where(r => r.Id.Id == KeepAliveEventIds.ServerReloadNotApplied).Select(static r => r.Message).ToList();
        await app.StopAsync(TestContext.Current.CancellationToken);

        // The restart the warning leads to: the same code, the reloaded settings.
        settings["KeepAlive:Profiles:hub:SignalR:ServerTimeout"] = "25s";
        var restart = await Record.ExceptionAsync(async () =>
        {
            await using var restarted = Build(settings, intervalSetInCode);
            await restarted.StartAsync(TestContext.Current.CancellationToken);
            await restarted.StopAsync(TestContext.Current.CancellationToken);
        });
        if (!intervalSetInCode)
        {
            restart.Should().BeNull();
            warnings.Should().BeEmpty("the reload changes nothing the hubs took, and a restart starts");
            return;
        }

        TestContext.Current.TestOutputHelper!.WriteLine(string.Join(Environment.NewLine, warnings));
        restart.Should().BeOfType<InvalidOperationException>("the control: start-up refuses it").Which.Message.Should().Contain("the hub's KeepAliveInterval is 14s");
        warnings.Should().ContainSingle().Which.Should()
            .Contain("the reloaded profile does not suit it: KeepAlive profile 'hub': the hub's KeepAliveInterval is 14s, set in code (HubOptions.KeepAliveInterval), with the client's ServerTimeout of 25s (SignalR:ServerTimeout)")
            .And.Contain("Fix: set HubOptions.KeepAliveInterval to at most 12s500ms")
            .And.EndWith(", then restart the service (restarted as it is, the host does not start).")
            .And.Subject.Split("Fix:").Should().HaveCount(2, "start-up's fix is the first step of the warning's one fix");
    }

    private static WebApplication Build(Dictionary<string, string?> settings, bool intervalSetInCode)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive"));
        builder.Services.AddLogging(l => l.AddFakeLogging());
        builder.Services.AddSignalR().UseKeepAlive("hub");
        if (intervalSetInCode)
        {
            builder.Services.Configure<HubOptions>(o => o.KeepAliveInterval = TimeSpan.FromSeconds(14)); // at most half of 30 s
        }

        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapHub<QuietHub>("/hub");
        return app;
    }

    private sealed class QuietHub : Hub;
}
