using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary>Builds generic hosts from an in-memory appsettings.json.</summary>
internal static class TestHosts
{
    public static IHost Build(string json, Action<IServiceCollection, IConfiguration> configure)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Test" });
        builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json)));
        configure(builder.Services, builder.Configuration);
        return builder.Build();
    }

    /// <summary>Starts a host that must not start, and returns the exception it stopped with.</summary>
    public static async Task<Exception> StartFailingAsync(string json, Action<IServiceCollection, IConfiguration> configure)
    {
        using var host = Build(json, configure);
        var ex = await Record.ExceptionAsync(() => host.StartAsync(TestContext.Current.CancellationToken));
        ex.Should().NotBeNull("the host must not start with this configuration");
        return ex!;
    }

    public static string Profile(string name, string tcpJson) =>
        $$"""{ "KeepAlive": { "Profiles": { "{{name}}": { "Tcp": {{tcpJson}} } } } }""";
}
