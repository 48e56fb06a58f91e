using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KeepAlive.Net.Tests.TestSupport;

/// <summary>A real TLS session over a <see cref="LoopbackConnection"/>: the client's <see cref="SslStream"/>, authenticated, over a NetworkStream on its socket.</summary>
internal sealed class TlsLoopbackConnection : IDisposable
{
    private readonly X509Certificate2 _certificate;
    private readonly SslStream _server;

    private TlsLoopbackConnection(LoopbackConnection connection, X509Certificate2 certificate, SslStream client, SslStream server)
    {
        Connection = connection;
        _certificate = certificate;
        Client = client;
        _server = server;
    }

    /// <summary>Gets the TCP connection under the session.</summary>
    public LoopbackConnection Connection { get; }

    /// <summary>Gets the client's stream, its handshake completed; it does not own the socket.</summary>
    public SslStream Client { get; }

    public static async Task<TlsLoopbackConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = LoopbackConnection.Open();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var certificate = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var client = new SslStream(new NetworkStream(connection.Client, ownsSocket: false), leaveInnerStreamOpen: false,
            (_, presented, _, _) => presented is not null && presented.GetCertHashString() == certificate.Thumbprint);
        var server = new SslStream(new NetworkStream(connection.Server, ownsSocket: false));
        await Task.WhenAll(
            client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, cancellationToken),
            server.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, cancellationToken));
        return new TlsLoopbackConnection(connection, certificate, client, server);
    }

    public void Dispose()
    {
        Client.Dispose();
        _server.Dispose();
        Connection.Dispose();
        _certificate.Dispose();
    }
}
