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
        var (warnings, restart) = await ReloadThenRestartAsync(settings, new() { ["KeepAlive:Profiles:hub:SignalR:ServerTimeout"] = "25s" }, warned: intervalSetInCode, services =>
        {
            if (intervalSetInCode)
            {
                services.Configure<HubOptions>(o => o.KeepAliveInterval = TimeSpan.FromSeconds(14)); // at most half of 30 s
            }
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

    [Fact]
    public async Task Reload_IntervalOverHalfOneHubsOwnClientTimeout_WarnsThatARestartWouldBeRefusedNamingTheHubWithTheFix()
    {
        // Two hubs; AddHubOptions<OwnHub> gives one its own 20 s ClientTimeoutInterval, twice the 10 s interval at start-up.
        // A reload to a 12 s interval suits every hub's 30 s, not OwnHub's 20 s: a restart is refused when OwnHub is mapped,
        // yet warning 3106 looked at every hub's options alone and said "restart the service".
        var settings = new Dictionary<string, string?> { ["KeepAlive:Profiles:hub:Heartbeat:Interval"] = "10s", ["KeepAlive:Profiles:hub:Heartbeat:Timeout"] = "30s" };
        var (warnings, restart) = await ReloadThenRestartAsync(settings, new() { ["KeepAlive:Profiles:hub:Heartbeat:Interval"] = "12s" }, warned: true,
            static services => services.AddSignalR().AddHubOptions<OwnHub>(o => o.ClientTimeoutInterval = TimeSpan.FromSeconds(20)));

        TestContext.Current.TestOutputHelper!.WriteLine(string.Join(Environment.NewLine, warnings));
        restart.Should().BeOfType<InvalidOperationException>("the control: start-up refuses it when OwnHub is mapped").Which.Message.Should().Contain("HubOptions<OwnHub>.ClientTimeoutInterval");
        warnings.Should().ContainSingle().Which.Should()
            .Contain("the reloaded profile does not suit it: KeepAlive profile 'hub': the hub's ClientTimeoutInterval is 20s, set in code (HubOptions<OwnHub>.ClientTimeoutInterval), with a keep-alive interval of 12s (Heartbeat:Interval)")
            .And.Contain("Fix: set HubOptions<OwnHub>.ClientTimeoutInterval to at least 24s")
            .And.EndWith(", then restart the service (restarted as it is, the host does not start).");
    }

    [Fact]
    public async Task Reload_OneHubSetsOnlyItsOwnClientTimeout_ItsIntervalIsEveryHubsReloadedOneAndARestartStarts()
    {
        // OwnHub sets its ClientTimeoutInterval alone; its interval is every hub's, which a restart gives the reloaded 5 s.
        // Judged on the 10 s SignalR copied into its options at start-up, it would be "set in code" over half the reloaded
        // 10 s ServerTimeout, and the warning would claim a restart that starts is refused.
        var settings = new Dictionary<string, string?> { ["KeepAlive:Profiles:hub:Heartbeat:Interval"] = "10s", ["KeepAlive:Profiles:hub:Heartbeat:Timeout"] = "30s" };
        var (warnings, restart) = await ReloadThenRestartAsync(settings, new() { ["KeepAlive:Profiles:hub:Heartbeat:Interval"] = "5s", ["KeepAlive:Profiles:hub:Heartbeat:Timeout"] = "10s" }, warned: true,
            static services => services.AddSignalR().AddHubOptions<OwnHub>(o => o.ClientTimeoutInterval = TimeSpan.FromSeconds(40)));

        restart.Should().BeNull("the control: the reloaded profile suits every hub and OwnHub's own 40 s");
        warnings.Should().ContainSingle().Which.Should().Contain("KeepAliveInterval stays 10s").And.NotContain("does not suit").And.NotContain("HubOptions<OwnHub>.KeepAliveInterval");
    }

    // Starts the host with `settings`, reloads it with `changes` and waits for warning 3106 (`warned`) or the accepted reload;
    // then restarts the same code with the reloaded settings, as the warning leads to. Returns the warnings and the restart's exception.
    private static async Task<(List<string> Warnings, Exception? Restart)> ReloadThenRestartAsync(Dictionary<string, string?> settings, Dictionary<string, string> changes, bool warned, Action<IServiceCollection> configure)
    {
        var token = TestContext.Current.CancellationToken;
        List<string> warnings;
        await using (var app = Build(settings, configure))
        {
            await app.StartAsync(token);
            var logs = app.Services.GetRequiredService<FakeLogCollector>();

            foreach (var (key, value) in changes)
            {
                app.Configuration[key] = value;
            }

            ((IConfigurationRoot)app.Configuration).Reload();
            var waited = Stopwatch.StartNew();
            while (!logs.GetSnapshot().Any(r => r.Id.Id == (warned ? KeepAliveEventIds.ServerReloadNotApplied : KeepAliveEventIds.ProfileReloaded)))
            {
                waited.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(15), "the reload should have been accepted, and warned about: {0}", string.Join(" | ", logs.GetSnapshot().Select(static r => r.Message)));
                await Task.Delay(50, token);
            }

            warnings = logs.GetSnapshot().Where(r => r.Id.Id == KeepAliveEventIds.ServerReloadNotApplied).Select(static r => r.Message).ToList();
            await app.StopAsync(token);
        }

        foreach (var (key, value) in changes)
        {
            settings[key] = value;
        }

        var restart = await Record.ExceptionAsync(async () =>
        {
            await using var restarted = Build(settings, configure);
            await restarted.StartAsync(token);
            await restarted.StopAsync(token);
        });
        return (warnings, restart);
    }

    private static WebApplication Build(Dictionary<string, string?> settings, Action<IServiceCollection> configure)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive"));
        builder.Services.AddLogging(l => l.AddFakeLogging());
        builder.Services.AddSignalR().UseKeepAlive("hub");
        configure(builder.Services);
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapHub<QuietHub>("/hub");
        app.MapHub<OwnHub>("/own");
        return app;
    }

    private sealed class QuietHub : Hub;

    private sealed class OwnHub : Hub;
}
