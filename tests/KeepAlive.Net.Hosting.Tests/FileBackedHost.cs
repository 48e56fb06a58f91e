using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary>
/// A real generic host reading a real appsettings.json with reloadOnChange (the generic host's default), the file
/// rewritten by the test, with its logs and the <c>KeepAlive.Net</c> meter collected.
/// </summary>
internal sealed class FileBackedHost : IAsyncDisposable
{
    private readonly string _directory;

    private FileBackedHost(string directory, IHost host, FakeLogCollector logs)
    {
        _directory = directory;
        Host = host;
        Logs = logs;
        Rejected = new MetricCollector<long>(host.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), "KeepAlive.Net", "keepalive.profile.reload.rejected");
    }

    public IHost Host { get; }

    public FakeLogCollector Logs { get; }

    public MetricCollector<long> Rejected { get; }

    public string FilePath => Path.Combine(_directory, "appsettings.json");

    public IKeepAliveProfiles Profiles => Host.Services.GetRequiredService<IKeepAliveProfiles>();

    public static async Task<FileBackedHost> StartAsync(string json, Action<IServiceCollection, IConfiguration> configure)
    {
        var directory = Directory.CreateTempSubdirectory("keepalive-reload-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), json, TestContext.Current.CancellationToken);
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = directory });
        builder.Configuration.SetBasePath(directory).AddJsonFile("appsettings.json", optional: false, reloadOnChange: true);
        builder.Logging.AddFakeLogging();
        configure(builder.Services, builder.Configuration);
        var host = builder.Build();
        var fileHost = new FileBackedHost(directory, host, host.Services.GetRequiredService<FakeLogCollector>());
        await host.StartAsync(TestContext.Current.CancellationToken);
        return fileHost;
    }

    /// <summary>Saves new content, as an editor would, and waits until a log with the given event id appears.</summary>
    public async Task SaveAndWaitForLogAsync(string json, int eventId)
    {
        var before = Count(eventId);
        await File.WriteAllTextAsync(FilePath, json, TestContext.Current.CancellationToken);
        var waited = Stopwatch.StartNew();
        while (Count(eventId) == before)
        {
            waited.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(15), $"the file watcher should have reloaded {FilePath}");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        // Let the watcher's duplicate events for the same save arrive, so a second log would be seen.
        await Task.Delay(1500, TestContext.Current.CancellationToken);
    }

    public IReadOnlyList<FakeLogRecord> LogsWithId(int eventId) => [.. Logs.GetSnapshot().Where(r => r.Id.Id == eventId)];

    public async ValueTask DisposeAsync()
    {
        Rejected.Dispose();
        await Host.StopAsync(TestContext.Current.CancellationToken);
        Host.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private int Count(int eventId) => Logs.GetSnapshot().Count(r => r.Id.Id == eventId);
}
