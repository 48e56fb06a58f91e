using System.Reflection;
using KeepAlive.Net.Hosting.Profiles;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary>
/// Every message the docs quote (each line of a plain fenced block in docs/CONFIGURATION.md and docs/HEALTH.md) is one
/// the code prints today, word for word: the configurations below produce them.
/// </summary>
public sealed class DocumentedMessagesTests
{
    // The configurations whose messages the docs quote: profile name and profile JSON.
    private static readonly (string Name, string Profile)[] Profiles =
    [
        ("payments", """{ "Tcp": { "UserTimeout": "10" } }"""),
        ("payments", """{ "Heartbeat": { "Interval": "1us" } }"""),
        ("payments", """{ "Tcp": { "IdleTime": "10:00:00", "ProbeCount": 0, "IdelTime": "30s", "Interval": "thirty seconds" }, "Heartbeat": { "Mode": "WhenIdle,FixedRate", "PeerIdleTimeout": "AwsNbl" } }"""),
        ("payments", """{ "Tcp": { "IdleTime": "00:05:45", "Interval": "00:00:10" }, "Heartbeat": { "PeerIdleTimeout": "AwsNlb" } }"""),
        ("payments", """{ "Heartbeat": { "Interval": "00:03:00", "PeerIdleTimeout": "AwsNlb" } }"""),
        ("edge", """{ "Http": { "KeepAliveTimeout": "30s", "PooledConnectionIdleTimeout": "1m30s" }, "Heartbeat": { "PeerIdleTimeout": "AwsAlb" } }"""),
        ("grpc", """{ "Http": { "KeepAlivePingDelay": "10s", "PeerMinPingInterval": "5m" } }"""),
        ("hub", """{ "Heartbeat": { "Interval": "10s", "Timeout": "15s" }, "SignalR": { "ClientTimeoutInterval": "30s" } }"""),
    ];

    [Theory]
    [InlineData("CONFIGURATION.md")]
    [InlineData("HEALTH.md")]
    public async Task Docs_EveryQuotedMessage_IsPrintedByTheCode(string document)
    {
        var markdown = await File.ReadAllTextAsync(RepositoryFiles.Path("docs", document), TestContext.Current.CancellationToken);
        var quoted = QuotedLines(markdown).ToList();
        var printed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, profile) in Profiles)
        {
            printed.UnionWith(await FailuresAsync($$"""{ "KeepAlive": { "Profiles": { "{{name}}": {{profile}} } } }"""));
        }

        printed.UnionWith(HealthFailures(0));
        printed.UnionWith(HealthFailures(1.5));
        printed.UnionWith(await SchedulerFailuresAsync());
        printed.UnionWith(RangeAttributeRefusals());
        printed.Add(await RejectedReloadAsync());
        printed.Add(await MisspeltSectionAsync());
        printed.Add(await AddedProfileAsync());
        printed.Add(await UnknownProfileOfAnHttpClientAsync());
        printed.Add(await LoggedAsync("KeepAlive", KeepAliveEventIds.UnknownKeyAddedAfterStartUp, ("KeepAlive:Helth:Window", "5m")));
        printed.Add(await LoggedAsync("KeepAlive", KeepAliveEventIds.HealthSectionAddedAfterStartUp, ("KeepAlive:Health:Window", "5m")));
        printed.Add($"KeepAlive profile 'payments': {KeepAliveBudget.Describe(BudgetExample())}");

        quoted.Should().NotBeEmpty();
        quoted.Where(line => !printed.Contains(line)).Should().BeEmpty(
            $"every message {document} quotes must be one the code prints; it prints:\n{string.Join('\n', printed.Order(StringComparer.Ordinal))}\n");
    }

    private static async Task<string> UnknownProfileOfAnHttpClientAsync()
    {
        var ex = await TestHosts.StartFailingAsync("""{ "KeepAlive": { "Profiles": { "cache": { } } } }""", (services, configuration) =>
            services.AddKeepAlive(configuration.GetSection("KeepAlive")).AddHttpClient("payments").UseTcpKeepAlive("orders"));
        return ex.Should().BeOfType<OptionsValidationException>().Which.Failures.Single();
    }

    private static async Task<IEnumerable<string>> FailuresAsync(string json)
    {
        var ex = await TestHosts.StartFailingAsync(json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));
        return ex.Should().BeOfType<OptionsValidationException>().Which.Failures;
    }

    // What "The same ranges for your own settings" shows: KeepAliveRangeAttribute's own answers, the calls of its snippet.
    private static IEnumerable<string> RangeAttributeRefusals()
    {
        var range = typeof(TcpKeepAliveOptions).GetProperty(nameof(TcpKeepAliveOptions.IdleTime))!.GetCustomAttribute<KeepAliveRangeAttribute>()!;
        range.TryParse("45s", out TimeSpan idle, out _).Should().BeTrue();
        idle.Should().Be(TimeSpan.FromSeconds(45));
        range.TryParse("10", out TimeSpan _, out var bare).Should().BeFalse();
        range.TryParse("3h", out TimeSpan _, out var tooLong).Should().BeFalse();
        return [bare!, tooLong!, range.Check("IdleTime", TimeSpan.FromHours(3))!];
    }

    // The host's scheduler with a takeover threshold below its floor.
    private static async Task<IEnumerable<string>> SchedulerFailuresAsync()
    {
        var ex = await TestHosts.StartFailingAsync("""{ "KeepAlive": { "Profiles": { "payments": { } } } }""", (services, configuration) =>
            services.AddKeepAlive(configuration.GetSection("KeepAlive")).Configure<HeartbeatSchedulerOptions>(static o => o.TakeoverThreshold = TimeSpan.Zero));
        return ex.Should().BeOfType<OptionsValidationException>().Which.Failures;
    }

    private static IEnumerable<string> HealthFailures(double degradedBudgetFraction)
    {
        var services = new ServiceCollection().AddKeepAlive("payments", static _ => { });
        services.AddHealthChecks().AddKeepAlive(o => o.DegradedBudgetFraction = degradedBudgetFraction);
        using var provider = services.BuildServiceProvider();
        var read = () => provider.GetRequiredService<IOptions<KeepAliveHealthCheckOptions>>().Value;
        return read.Should().Throw<OptionsValidationException>().Which.Failures;
    }

    // The Error a refused reload logs, from a real reload of a valid profile into an invalid one.
    private static Task<string> RejectedReloadAsync() =>
        LoggedAsync("KeepAlive", KeepAliveEventIds.ProfileReloadRejected, ("KeepAlive:Profiles:payments:Tcp:IdleTime", "-00:00:01"));

    // The warning a misspelt KeepAlive section gives at start-up.
    private static Task<string> MisspeltSectionAsync() => LoggedAsync("KeepAlives", KeepAliveEventIds.KeepAliveSectionWithoutProfiles);

    // The warning a reload that lists a new profile gives.
    private static Task<string> AddedProfileAsync() =>
        LoggedAsync("KeepAlive", KeepAliveEventIds.ProfileAddedAfterStartUp, ("KeepAlive:Profiles:orders:Tcp:IdleTime", "20s"));

    // The one message of an event a real host logs with the profile "payments" and AddKeepAlive(GetSection(section)), after
    // the reload of one value when one is given.
    private static async Task<string> LoggedAsync(string section, int eventId, (string Key, string Value)? reload = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["AllowedHosts"] = "*", ["KeepAlive:Profiles:payments:Tcp:IdleTime"] = "30s", ["Logging:LogLevel:Default"] = "Information" });
        builder.Logging.AddFakeLogging();
        builder.Services.AddKeepAlive(builder.Configuration.GetSection(section));
        using var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        if (reload is { } change)
        {
            builder.Configuration[change.Key] = change.Value;
            ((IConfigurationRoot)builder.Configuration).Reload();
        }

        await host.StopAsync(TestContext.Current.CancellationToken);
        return host.Services.GetRequiredService<FakeLogCollector>().GetSnapshot().Single(r => r.Id.Id == eventId).Message;
    }

    // The profile of "The whole budget for each preset": AwsNlb with the timers of its row.
    private static KeepAliveProfileOptions BudgetExample()
    {
        var profile = new KeepAliveProfileOptions();
        profile.Tcp.Interval = TimeSpan.FromSeconds(5);
        profile.Tcp.ProbeCount = 4;
        profile.Heartbeat.Timeout = TimeSpan.FromSeconds(30);
        profile.Heartbeat.PeerIdleTimeout = PeerIdleTimeout.AwsNlb;
        profile.Http.PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5);
        profile.Http.KeepAliveTimeout = TimeSpan.FromMinutes(6);
        profile.Http.KeepAlivePingDelay = TimeSpan.FromSeconds(30);
        profile.Http.KeepAlivePingTimeout = TimeSpan.FromSeconds(20);
        profile.Http.MaxConnectionAge = TimeSpan.FromMinutes(10);
        profile.Http.MaxConnectionAgeJitter = TimeSpan.FromSeconds(30);
        profile.WebSocket.KeepAliveInterval = TimeSpan.FromMinutes(1);
        profile.WebSocket.KeepAliveTimeout = TimeSpan.FromSeconds(10);
        return profile;
    }

    // The lines of fenced blocks without a language: the docs' way of quoting what the library prints.
    private static IEnumerable<string> QuotedLines(string markdown)
    {
        string? fence = null;
        foreach (var line in markdown.Split('\n').Select(static l => l.Trim()))
        {
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                fence = fence is null ? line : null;
            }
            else if (fence == "```" && line.Length > 0)
            {
                yield return line;
            }
        }
    }
}
