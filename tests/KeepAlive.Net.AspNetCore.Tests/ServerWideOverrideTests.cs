using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace KeepAlive.Net.AspNetCore.Tests;

/// <summary>
/// A server-wide value the profile set on Kestrel, then changed by the application's own code after UseKeepAlive
/// (<c>k.Limits.KeepAliveTimeout = ...</c> later in ConfigureKestrel): Kestrel runs with the application's value while the
/// start-up line (3002) reports the profile's, validated one; a warning names both. And the other way round: a value the
/// code set before the profile replaced it.
/// </summary>
public sealed class ServerWideOverrideTests
{
    [Fact]
    public async Task UseKeepAlive_KeepAliveTimeoutChangedInCodeAfterwards_WarnsWithBothValuesAndTheFix()
    {
        await using var app = await StartAsync(k =>
        {
            k.Listen(IPAddress.Loopback, 0, listen => listen.UseKeepAlive("edge"));
            k.Limits.KeepAliveTimeout = TimeSpan.FromMinutes(1); // below the NLB's 350 s: the 502 the profile's rule prevents
        });
        var logs = app.Services.GetRequiredService<FakeLogCollector>();

        using var client = new HttpClient { BaseAddress = KestrelHosts.BaseAddress(app) };
        using var response = await client.GetAsync("/", TestContext.Current.CancellationToken);

        var warning = logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.ServerWideSettingOverridden).Which;
        warning.Level.Should().Be(LogLevel.Warning);
        warning.Message.Should().Contain("Kestrel's Limits.KeepAliveTimeout is 1m, not the 6m KeepAlive profile 'edge' sets (Http:KeepAliveTimeout)")
            .And.Contain("Fix:");
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task UseKeepAlive_KeepAliveTimeoutSetInCodeBefore_ReplacedWithAWarningNamingBothValues()
    {
        // The application's own value, set before UseKeepAlive (or anywhere, when UseKeepAlive is in ConfigureEndpointDefaults,
        // which runs at bind time): the profile replaced it and nothing said so.
        await using var app = await StartAsync(k =>
        {
            k.Limits.KeepAliveTimeout = TimeSpan.FromMinutes(7);
            k.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(20); // the profile does not set it: kept, no warning
            k.Listen(IPAddress.Loopback, 0, listen => listen.UseKeepAlive("edge"));
        });
        var logs = app.Services.GetRequiredService<FakeLogCollector>();

        var kestrel = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>>().Value;
        kestrel.Limits.KeepAliveTimeout.Should().Be(TimeSpan.FromMinutes(6), "the profile's validated value is the one Kestrel runs with");
        kestrel.Limits.Http2.KeepAlivePingDelay.Should().Be(TimeSpan.FromSeconds(20));
        var warning = logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.ServerWideSettingReplaced).Which;
        TestContext.Current.TestOutputHelper!.WriteLine(warning.Message);
        warning.Level.Should().Be(LogLevel.Warning);
        warning.Message.Should().Contain("Kestrel's Limits.KeepAliveTimeout was 7m, set by other code; KeepAlive profile 'edge' replaces it with 6m (Http:KeepAliveTimeout)")
            .And.Contain("Fix:");
        using var client = new HttpClient { BaseAddress = KestrelHosts.BaseAddress(app) };
        using var response = await client.GetAsync("/", TestContext.Current.CancellationToken); // the first connection's check (3107)
        logs.GetSnapshot().Should().NotContain(r => r.Id.Id == KeepAliveEventIds.ServerWideSettingOverridden, "Kestrel runs with the profile's value");
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    // Kestrel stores Timeout.InfiniteTimeSpan (no keep-alive timeout) as TimeSpan.MaxValue: the warnings said "was
    // 10675199d2h48m5s477ms580.7us, set by other code" (3108) and "is 10675199d2h48m5s477ms580.7us, not the 6m" (3107).
    [Theory]
    [InlineData(true, KeepAliveEventIds.ServerWideSettingReplaced, "Kestrel's Limits.KeepAliveTimeout was infinite, set by other code; KeepAlive profile 'edge' replaces it with 6m")]
    [InlineData(false, KeepAliveEventIds.ServerWideSettingOverridden, "Kestrel's Limits.KeepAliveTimeout is infinite, not the 6m KeepAlive profile 'edge' sets")]
    public async Task UseKeepAlive_KeepAliveTimeoutSetInfiniteInCode_TheWarningSaysInfinite(bool before, int eventId, string says)
    {
        await using var app = await StartAsync(k =>
        {
            if (before)
            {
                k.Limits.KeepAliveTimeout = Timeout.InfiniteTimeSpan;
            }

            k.Listen(IPAddress.Loopback, 0, listen => listen.UseKeepAlive("edge"));
            if (!before)
            {
                k.Limits.KeepAliveTimeout = Timeout.InfiniteTimeSpan;
            }
        });
        using var client = new HttpClient { BaseAddress = KestrelHosts.BaseAddress(app) };
        using var response = await client.GetAsync("/", TestContext.Current.CancellationToken); // the first connection's check (3107)

        app.Services.GetRequiredService<FakeLogCollector>().GetSnapshot().Should().ContainSingle(r => r.Id.Id == eventId).Which.Message.Should().Contain(says);
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    // A started app with the profile 'edge' (Http:KeepAliveTimeout 6m behind an AWS NLB) and Kestrel set up by `kestrel`.
    private static async Task<WebApplication> StartAsync(Action<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions> kestrel)
    {
        const string Json = """{ "KeepAlive": { "Profiles": { "edge": { "Heartbeat": { "PeerIdleTimeout": "AwsNlb" }, "Http": { "KeepAliveTimeout": "6m" } } } } }""";
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(Json)));
        builder.Logging.AddFakeLogging();
        builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive"));
        builder.WebHost.UseKestrel(kestrel);
        var app = builder.Build();
        await app.StartAsync(TestContext.Current.CancellationToken);
        return app;
    }
}
