using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KeepAlive.Net.AspNetCore.Tests;

/// <summary>Real Kestrel servers on loopback, with profiles from an in-memory appsettings.json.</summary>
internal static class KestrelHosts
{
    public static WebApplication Build(string json, Action<ListenOptions> listen, Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json)));
        builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive"));
        services?.Invoke(builder.Services);
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, listen));
        return builder.Build();
    }

    public static string Profile(string name, string body) =>
        $$"""{ "KeepAlive": { "Profiles": { "{{name}}": {{body}} } } }""";

    public static Uri BaseAddress(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().Replace("[::1]", "127.0.0.1", StringComparison.Ordinal) + "/");

    /// <summary>An HttpClient that speaks HTTP/2 without TLS, with prior knowledge (h2c), to the app.</summary>
    public static HttpClient H2cClient(WebApplication app) => new(new SocketsHttpHandler())
    {
        BaseAddress = BaseAddress(app),
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };
}
