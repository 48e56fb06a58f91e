using System.Net;
using KeepAlive.Net.Tests.TestSupport;

namespace KeepAlive.Net.Nats.Tests;

/// <summary>
/// Two real nats-servers on this host's loopback, shared by a test class: a plain one and one that requires TLS from every
/// client (a certificate signed by an authority made for it; its monitoring endpoint says which connections are TLS).
/// </summary>
public sealed class NatsOnLoopback : IDisposable
{
    private readonly TestCertificates _certificates;

    public NatsOnLoopback()
    {
        Plain = Servers.Nats(netns: null, IPAddress.Loopback, Servers.FreeLoopbackPort());
        try
        {
            Monitoring = new IPEndPoint(IPAddress.Loopback, Servers.FreeLoopbackPort());
            Tls = Servers.NatsWithTls(netns: null, IPAddress.Loopback, Servers.FreeLoopbackPort(), Monitoring, out _certificates);
        }
        catch
        {
            Plain.Dispose();
            throw;
        }
    }

    internal ServerProcess Plain { get; }

    internal ServerProcess Tls { get; }

    /// <summary>Gets the TLS server's monitoring endpoint (<c>/connz</c>).</summary>
    internal IPEndPoint Monitoring { get; }

    internal TestCertificates Certificates => _certificates;

    public void Dispose()
    {
        Tls.Dispose();
        Plain.Dispose();
        _certificates.Dispose();
    }
}
