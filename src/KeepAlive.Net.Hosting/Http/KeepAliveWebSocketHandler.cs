using System.Net;
using System.Net.Http;
using System.Net.WebSockets;
using System.Runtime.Versioning;
using System.Security.Cryptography.X509Certificates;
using KeepAlive.Net.Hosting.Profiles;

namespace KeepAlive.Net.Hosting.Http;

/// <summary>
/// The handler a <see cref="ClientWebSocket"/> connects through so its socket gets the profile's <c>Tcp</c> section: what
/// .NET builds for a WebSocket itself (a <see cref="SocketsHttpHandler"/> that pools nothing and carries the options'
/// cookies, credentials, proxy and certificates), plus the profile's ConnectCallback. A WebSocket's own keep-alive frames
/// are sent from the thread pool, so under starvation only the kernel's probes keep its idle flow alive.
/// </summary>
internal static class KeepAliveWebSocketHandler
{
    /// <summary>The options' proxy when none was set: .NET's sentinel for "the default proxy", which an invoker must not carry.</summary>
    private static readonly IWebProxy? DefaultProxy = DefaultProxyOfNewOptions();

    /// <summary>Builds the handler and moves the options that belong to it off <paramref name="options"/>, so the invoker is accepted.</summary>
    [UnsupportedOSPlatform("browser")]
    public static SocketsHttpHandler Create(ClientWebSocketOptions options, IKeepAliveProfiles profiles, string profileName)
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero, UseCookies = options.Cookies is not null };
        if (options.Cookies is { } cookies)
        {
            handler.CookieContainer = cookies;
        }

        handler.Credentials = options.UseDefaultCredentials ? CredentialCache.DefaultCredentials : options.Credentials;
        handler.SslOptions.RemoteCertificateValidationCallback = options.RemoteCertificateValidationCallback;
        if (options.Proxy is null)
        {
            handler.UseProxy = false;
        }
        else if (!ReferenceEquals(options.Proxy, DefaultProxy))
        {
            handler.Proxy = options.Proxy;
        }

        if (options.ClientCertificates.Count > 0)
        {
            handler.SslOptions.ClientCertificates = [.. options.ClientCertificates];
        }

        (options.Cookies, options.Credentials, options.UseDefaultCredentials, options.RemoteCertificateValidationCallback, options.Proxy) = (null, null, false, null, null);
        options.ClientCertificates = [];
        KeepAliveConnectCallback.Install(handler, profiles, profileName, new KeepAliveHttpClientOptions(), KeepAliveProfiles.LoggerOf(profiles));
        return handler;
    }

    [UnsupportedOSPlatform("browser")]
    private static IWebProxy? DefaultProxyOfNewOptions()
    {
        using var probe = new ClientWebSocket();
        return probe.Options.Proxy;
    }
}
