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
/// start-up line (3002) reports the profile's, validated one; a warning names both.
/// </summary>
public sealed class ServerWideOverrideTests
{
    [Fact]
    public async Task UseKeepAlive_KeepAliveTimeoutChangedInCodeAfterwards_WarnsWithBothValuesAndTheFix()
    {
        const string Json = """{ "KeepAlive": { "Profiles": { "edge": { "Heartbeat": { "PeerIdleTimeout": "AwsNlb" }, "Http": { "KeepAliveTimeout": "6m" } } } } }""";
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(Json)));
        builder.Logging.AddFakeLogging();
        builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive"));
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0, listen => listen.UseKeepAlive("edge"));
            k.Limits.KeepAliveTimeout = TimeSpan.FromMinutes(1); // below the NLB's 350 s: the 502 the profile's rule prevents
        });
        await using var app = builder.Build();
        await app.StartAsync(TestContext.Current.CancellationToken);
        var logs = app.Services.GetRequiredService<FakeLogCollector>();

        using var client = new HttpClient { BaseAddress = KestrelHosts.BaseAddress(app) };
        using var response = await client.GetAsync("/", TestContext.Current.CancellationToken);

        var warning = logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.ServerWideSettingOverridden).Which;
        warning.Level.Should().Be(LogLevel.Warning);
        warning.Message.Should().Contain("Kestrel's Limits.KeepAliveTimeout is 1m, not the 6m KeepAlive profile 'edge' sets (Http:KeepAliveTimeout)")
            .And.Contain("Fix:");
        await app.StopAsync(TestContext.Current.CancellationToken);
    }
}
