using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
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

    /// <summary>A certificate for localhost and 127.0.0.1, valid for a day, for a TLS endpoint.</summary>
    public static X509Certificate2 SelfSignedCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }

    /// <summary>An HttpClient that speaks HTTP/2 to the app: with prior knowledge (h2c) on http, negotiated on https (trusting <paramref name="serverCertificate"/> only).</summary>
    public static HttpClient H2cClient(WebApplication app, X509Certificate2? serverCertificate = null) => new(new SocketsHttpHandler
    {
        SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && serverCertificate?.GetCertHashString() == certificate.GetCertHashString() },
    })
    {
        BaseAddress = BaseAddress(app),
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };
}
