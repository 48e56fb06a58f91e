using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary>A real generic host over an in-memory configuration the test saves values into and reloads, with its logs collected.</summary>
internal sealed class ReloadableHost : IDisposable
{
    private ReloadableHost(IHost host, IConfigurationRoot configuration)
    {
        Host = host;
        Configuration = configuration;
        Logs = host.Services.GetRequiredService<FakeLogCollector>();
    }

    public IHost Host { get; }

    public IConfigurationRoot Configuration { get; }

    public FakeLogCollector Logs { get; }

    public static async Task<ReloadableHost> StartAsync(IEnumerable<KeyValuePair<string, string?>> settings, Action<IServiceCollection, IConfiguration> configure)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Test" });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.AddFakeLogging();
        configure(builder.Services, builder.Configuration);
        var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        return new ReloadableHost(host, builder.Configuration);
    }

    /// <summary>Sets the values and reloads twice, as the file watcher raises two change events for one save.</summary>
    public void Save(params (string Key, string Value)[] values)
    {
        foreach (var (key, value) in values)
        {
            Configuration[key] = value;
        }

        Configuration.Reload();
        Configuration.Reload();
    }

    /// <summary>The one log of an event, which must be a warning; its message is written to the test's output.</summary>
    public string SingleWarning(int eventId)
    {
        var warning = Logs.GetSnapshot().Where(r => r.Id.Id == eventId).Should().ContainSingle("one save, however many change events it raises").Which;
        TestContext.Current.TestOutputHelper!.WriteLine(warning.Message);
        warning.Level.Should().Be(LogLevel.Warning);
        return warning.Message;
    }

    public void Dispose() => Host.Dispose();
}
