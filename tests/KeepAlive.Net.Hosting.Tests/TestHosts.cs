using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

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

    /// <summary>Starts a host with every profile of the KeepAlive section, which must not start, and returns its validation message.</summary>
    public static async Task<string> ProfilesFailAsync(string json)
    {
        var ex = await StartFailingAsync(json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));
        var message = ex.Should().BeOfType<OptionsValidationException>().Which.Message;
        TestContext.Current.TestOutputHelper!.WriteLine(message);
        return message;
    }

    /// <summary>The profile "payments" with one section.</summary>
    public static string Section(string section, string body) =>
        $$"""{ "KeepAlive": { "Profiles": { "payments": { "{{section}}": {{body}} } } } }""";

    public static string Profile(string name, string tcpJson) =>
        $$"""{ "KeepAlive": { "Profiles": { "{{name}}": { "Tcp": {{tcpJson}} } } } }""";
}
