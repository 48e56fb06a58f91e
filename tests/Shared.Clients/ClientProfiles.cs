using KeepAlive.Net.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace KeepAlive.Net.Tests.TestSupport;

/// <summary>Profiles registered the way a service registers them (code or configuration), with the logs captured.</summary>
internal sealed class ClientProfiles : IDisposable
{
    private ClientProfiles(ServiceProvider services, FakeLogCollector logs)
    {
        Services = services;
        Logs = logs;
        Profiles = services.GetRequiredService<IKeepAliveProfiles>();
    }

    public ServiceProvider Services { get; }

    public IKeepAliveProfiles Profiles { get; }

    public FakeLogCollector Logs { get; }

    /// <summary>One profile built in code.</summary>
    public static ClientProfiles InCode(string name, Action<KeepAliveProfileOptions> configure) =>
        Build(services => services.AddKeepAlive(name, configure));

    /// <summary>Profiles bound from configuration (a <c>KeepAlive</c> section), reloadable through <paramref name="configuration"/>.</summary>
    public static ClientProfiles FromConfiguration(IConfiguration configuration) =>
        Build(services => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

    public static ClientProfiles Build(Action<IServiceCollection> register)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Debug).AddFakeLogging());
        register(services);
        var provider = services.BuildServiceProvider();
        return new ClientProfiles(provider, provider.GetFakeLogCollector());
    }

    /// <summary>The messages logged with one event id.</summary>
    public IReadOnlyList<string> Messages(int eventId) =>
        [.. Logs.GetSnapshot().Where(r => r.Id.Id == eventId).Select(static r => r.Message)];

    public void Dispose() => Services.Dispose();
}
