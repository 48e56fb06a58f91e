using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.Tests.TestSupport;

/// <summary>
/// Real Kestrel in the routed lab's server namespace and real .NET clients in its client namespace: Kestrel listens on
/// a socket created inside the namespace (handed over as a file descriptor), clients connect from sockets created in
/// theirs, so every packet crosses the lab's links (and the NAT, if the lab has one) where tcpdump records it. Shared by
/// the test projects that run Kestrel (tool, ASP.NET Core, gRPC, SignalR).
/// </summary>
internal static partial class LabWeb
{
    public static Uri BaseAddress { get; } = new($"http://{RoutedLab.ServerEndPoint}/");

    /// <summary>A Kestrel app listening on the lab's server endpoint with <paramref name="protocols"/>, not yet started.</summary>
    public static WebApplication Build(RoutedLab lab, HttpProtocols protocols) =>
        Builder(lab, listen => listen.Protocols = protocols).Build();

    /// <summary>
    /// A builder for a Kestrel app listening on the lab's server endpoint, configured by <paramref name="listen"/> (which may
    /// apply a keep-alive profile: the builder's services are the app's); add services, then build it.
    /// </summary>
    public static WebApplicationBuilder Builder(RoutedLab lab, Action<ListenOptions> listen)
    {
        using var listener = lab.Listen();
        // Kestrel takes ownership of the descriptor it is given: give it a copy of ours.
        var descriptor = Dup((int)listener.Handle);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.ListenHandle((ulong)descriptor, listen));
        return builder;
    }

    /// <summary>A handler whose connections start in the lab's client namespace.</summary>
    public static SocketsHttpHandler Handler(RoutedLab lab) => new() { ConnectCallback = Connect(lab) };

    /// <summary>A ConnectCallback that opens each connection from a socket in the lab's client namespace (a profile's own callback chains it).</summary>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> Connect(RoutedLab lab) => async (context, cancellationToken) =>
    {
        var socket = lab.CreateClientSocket();
        try
        {
            await socket.ConnectAsync(RoutedLab.ServerEndPoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    };

    /// <summary>An HttpClient speaking HTTP/2 without TLS (prior knowledge, h2c) through the lab.</summary>
    public static HttpClient H2cClient(SocketsHttpHandler handler) => new(handler)
    {
        BaseAddress = BaseAddress,
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    [LibraryImport("libc", EntryPoint = "dup", SetLastError = true)]
    private static partial int Dup(int fd);
}
