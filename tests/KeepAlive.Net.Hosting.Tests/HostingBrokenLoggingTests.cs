using System.Diagnostics.Metrics;
using KeepAlive.Net.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary>
/// The application's logging throws for the library's category: Hosting's start-up reports and its HttpClient connections
/// log through the library's one guard, as its reloads do, so the record is dropped and counted in keepalive.log.failed
/// and what was being done carries on.
/// </summary>
public sealed class HostingBrokenLoggingTests
{
    private const string Category = "KeepAlive.Net.Hosting";

    [Theory]
    [InlineData("KeepAlive", "the budget line of each profile (3001)")]
    [InlineData("KeepAlives", "the warning of a section that held no profile (3007)")]
    public async Task StartAsync_LoggerThrows_HostStartsWithTheStartUpRecordsDroppedAndCounted(string section, string logged)
    {
        // KeepAliveBudgetReporter and EmptyKeepAliveSectionReporter logged through the application's logger unguarded: the
        // host stopped at start-up with the logging provider's exception.
        using var broken = new BrokenLogging(LogLevel.Information);
        using var host = TestHosts.Build(TestHosts.Profile("payments", """{ "IdleTime": "30s" }"""), (services, configuration) =>
            services.AddMetrics().AddLogging(logging => broken.AddTo(logging, Category)).AddKeepAlive(configuration.GetSection(section)));
        using var failed = new MetricCollector<long>(host.Services.GetRequiredService<IMeterFactory>(), "KeepAlive.Net", "keepalive.log.failed");

        var start = () => host.StartAsync(TestContext.Current.CancellationToken);

        await start.Should().NotThrowAsync("a log call that throws drops its record, it does not stop the host");
        broken.Records.Should().BeGreaterThanOrEqualTo(1, $"{logged} was logged");
        failed.GetMeasurementSnapshot().Sum(static m => m.Value).Should().Be(broken.Records, "every record the logger threw on is counted");
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task UseTcpKeepAlive_LoggerThrows_TheRequestSucceedsOnAConfiguredConnectionAndTheRecordIsCounted()
    {
        // KeepAliveHandlerFilter gave the connect callback the application's logger unguarded: its debug line of each
        // configured connection (3201) threw inside ConnectCallback, and the request failed with the provider's exception.
        await using var server = new MiniHttpServer();
        using var broken = new BrokenLogging(LogLevel.Debug);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["KeepAlive:Profiles:payments:Tcp:IdleTime"] = "17s" }).Build();
        var configured = new List<KeepAliveSettings>();
        var services = new ServiceCollection().AddMetrics().AddLogging(logging => broken.AddTo(logging, Category)).AddKeepAlive(configuration.GetSection("KeepAlive"));
        services.AddHttpClient("payments", c => c.BaseAddress = server.BaseAddress).UseTcpKeepAlive("payments", o => o.ConnectionConfigured = (_, settings) => configured.Add(settings));
        await using var provider = services.BuildServiceProvider();
        using var failed = new MetricCollector<long>(provider.GetRequiredService<IMeterFactory>(), "KeepAlive.Net", "keepalive.log.failed");
        using var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("payments");

        var body = await client.GetStringAsync("/pay", TestContext.Current.CancellationToken);

        body.Should().Be("ok");
        configured.Should().ContainSingle().Which.IdleTime.Should().Be(TimeSpan.FromSeconds(17), "the connection got the profile's values");
        broken.Records.Should().BeGreaterThanOrEqualTo(1, "the connection's configuration was logged");
        failed.GetMeasurementSnapshot().Sum(static m => m.Value).Should().Be(broken.Records, "every record the logger threw on is counted");
    }
}
