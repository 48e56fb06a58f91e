using KeepAlive.Net.Tests.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace KeepAlive.Net.Grpc.Tests;

/// <summary>A real Grpc.AspNetCore server (Kestrel, HTTP/2 without TLS) with <see cref="EchoService"/>, on loopback or in the routed lab.</summary>
internal static class GrpcServers
{
    public static Task<WebServer> StartOnLoopbackAsync() => WebServer.StartOnLoopbackAsync(Http2, AddGrpc, MapEcho);

    public static Task<WebServer> StartInLabAsync(RoutedLab lab) => WebServer.StartInLabAsync(lab, Http2, AddGrpc, MapEcho);

    private static void Http2(ListenOptions listen) => listen.Protocols = HttpProtocols.Http2;

    private static void AddGrpc(WebApplicationBuilder builder) => builder.Services.AddGrpc();

    private static void MapEcho(WebApplication app) => app.MapGrpcService<EchoService>();
}
