using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KeepAlive.Net.Tests.TestSupport;

/// <summary>
/// A certificate authority made for one test run and a server certificate it signed for one address, written as PEM files
/// a real server (nats-server's <c>tls { cert_file, key_file }</c>) and a client (a CA file) read.
/// </summary>
internal sealed class TestCertificates : IDisposable
{
    private TestCertificates(X509Certificate2 authority, X509Certificate2 server, string caFile, string certFile, string keyFile)
    {
        Authority = authority;
        Server = server;
        CaFile = caFile;
        CertFile = certFile;
        KeyFile = keyFile;
    }

    /// <summary>Gets the self-signed authority (public part only) a client trusts.</summary>
    public X509Certificate2 Authority { get; }

    /// <summary>Gets the server's certificate (public part only).</summary>
    public X509Certificate2 Server { get; }

    /// <summary>Gets the PEM file of <see cref="Authority"/>.</summary>
    public string CaFile { get; }

    /// <summary>Gets the PEM file of <see cref="Server"/>.</summary>
    public string CertFile { get; }

    /// <summary>Gets the PEM file of the server's private key (PKCS#8).</summary>
    public string KeyFile { get; }

    /// <summary>Creates an authority and a server certificate for <paramref name="address"/> (and <c>localhost</c>), valid for a day, written to <paramref name="directory"/>.</summary>
    public static TestCertificates Create(string directory, IPAddress address)
    {
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        using var authorityKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var authorityRequest = new CertificateRequest("CN=KeepAlive.Net test CA", authorityKey, HashAlgorithmName.SHA256);
        authorityRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        authorityRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        authorityRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(authorityRequest.PublicKey, critical: false));
        using var authority = authorityRequest.CreateSelfSigned(now, now.AddDays(1));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=" + address, serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(address);
        names.AddDnsName("localhost");
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false)); // server authentication
        serverRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        using var server = serverRequest.Create(authority, now, now.AddDays(1), RandomNumberGenerator.GetBytes(16));

        var caFile = Path.Combine(directory, "ca.pem");
        var certFile = Path.Combine(directory, "server-cert.pem");
        var keyFile = Path.Combine(directory, "server-key.pem");
        File.WriteAllText(caFile, authority.ExportCertificatePem());
        File.WriteAllText(certFile, server.ExportCertificatePem());
        File.WriteAllText(keyFile, serverKey.ExportPkcs8PrivateKeyPem());
        return new TestCertificates(X509CertificateLoader.LoadCertificate(authority.RawData), X509CertificateLoader.LoadCertificate(server.RawData), caFile, certFile, keyFile);
    }

    public void Dispose()
    {
        Authority.Dispose();
        Server.Dispose();
    }
}
