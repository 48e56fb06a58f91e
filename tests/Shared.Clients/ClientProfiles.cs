using KeepAlive.Net.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

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

    /// <summary>
    /// Starts a host whose configuration holds <paramref name="settings"/> (<c>KeepAlive:Profiles:...</c> keys), with the
    /// profiles registered and a client's start-up check (<paramref name="addClientCheck"/>, e.g. <c>AddNatsKeepAlive</c>),
    /// which must stop it; returns why.
    /// </summary>
    public static async Task<OptionsValidationException> StartFailingAsync(Action<IServiceCollection> addClientCheck, params (string Key, string Value)[] settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings.Select(static s => new KeyValuePair<string, string?>(s.Key, s.Value)));
        addClientCheck(builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive")));
        using var host = builder.Build();
        var error = await Record.ExceptionAsync(() => host.StartAsync(TestContext.Current.CancellationToken));
        return error.Should().BeOfType<OptionsValidationException>().Which;
    }

    /// <summary>The messages logged with one event id.</summary>
    public IReadOnlyList<string> Messages(int eventId) =>
        [.. Logs.GetSnapshot().Where(r => r.Id.Id == eventId).Select(static r => r.Message)];

    public void Dispose() => Services.Dispose();
}
