using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using KeepAlive.Net.Hosting;
using KeepAlive.Net.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace KeepAlive.Net.Grpc.Tests;

/// <summary>
/// A real gRPC server (Grpc.AspNetCore on Kestrel) and client in one test host, through a conntrack NAT that forgets idle
/// flows after 2 s (the routed lab): the idle channel's next call, without and with a profile, and how many connections
/// the server saw.
/// </summary>
[Collection(PoolStarvationGroup.Name)]
public sealed class GrpcBehindNatTests
{
    [Fact]
    public async Task IdleChannel_Defaults_NextCallHangsOnTheForgottenConnectionUntilItsDeadline()
    {
        using var lab = RoutedLab.Create(natIdleTimeoutSeconds: (int)LabServer.NatIdleTimeout.TotalSeconds);
        await using var server = await GrpcServers.StartInLabAsync(lab);
        using var host = ClientHost(services => services.AddGrpcClient<Echo.EchoClient>(o => o.Address = LabWeb.BaseAddress)
            .ConfigurePrimaryHttpMessageHandler(() => LabWeb.Handler(lab)));
        var client = host.Services.GetRequiredService<Echo.EchoClient>();
        var first = await client.SayAsync(new EchoRequest { Text = "before" }, deadline: Deadline(), cancellationToken: Token);

        await Task.Delay(NatProfiles.FiveNatTimeouts, Token);
        var watch = Stopwatch.StartNew();
        var next = () => client.SayAsync(new EchoRequest { Text = "after" }, deadline: Deadline(), cancellationToken: Token).ResponseAsync;
        var failure = await next.Should().ThrowAsync<RpcException>();

        NatProfiles.Report($"defaults: after {NatProfiles.FiveNatTimeouts.TotalSeconds:0} s idle the next call failed with {failure.Which.StatusCode} after {watch.Elapsed.TotalSeconds:0.0} s; the server saw {server.Connections.Accepted.Count} connection(s)");
        failure.Which.StatusCode.Should().Be(StatusCode.DeadlineExceeded, "the NAT forgot the flow and drops the request silently: no RST, so the call waits for its deadline instead of reconnecting");
        server.Connections.Accepted.Should().Equal([first.Connection], "the call never reached the server, and the channel did not reconnect");
    }

    [Theory]
    [InlineData("factory")]
    [InlineData("channel")]
    public async Task IdleChannel_ProfileTcpSectionWithThePoolStarved_NextCallSucceedsOnTheSameConnection(string path)
    {
        using var lab = RoutedLab.Create(natIdleTimeoutSeconds: (int)LabServer.NatIdleTimeout.TotalSeconds);
        await using var server = await GrpcServers.StartInLabAsync(lab);
        using var host = ClientHost(services =>
        {
            services.AddKeepAlive("grpc", NatProfiles.TcpOnly);
            // The documented factory path: the channel's handler carries the profile (the lab's own ConnectCallback, which opens
            // the socket in the client namespace, is chained like any user's callback).
            services.AddGrpcClient<Echo.EchoClient>(o => o.Address = LabWeb.BaseAddress)
                .ConfigurePrimaryHttpMessageHandler(() => LabWeb.Handler(lab))
                .UseKeepAlive("grpc")
                .ConfigureChannel((provider, options) => options.UseKeepAlive(provider, "grpc"));
        });
        await host.StartAsync(Token);
        using var channel = GrpcChannel.ForAddress(LabWeb.BaseAddress, new GrpcChannelOptions { HttpHandler = LabWeb.Handler(lab) }.UseKeepAlive(host.Services, "grpc"));
        var client = path == "factory" ? host.Services.GetRequiredService<Echo.EchoClient>() : new Echo.EchoClient(channel);
        var first = await client.SayAsync(new EchoRequest { Text = "before" }, deadline: Deadline(), cancellationToken: Token);

        NatProfiles.SleepWithThePoolStarved(NatProfiles.FiveNatTimeouts, NatProfiles.FiveNatTimeouts - TimeSpan.FromSeconds(1));
        var after = await client.SayAsync(new EchoRequest { Text = "after" }, deadline: Deadline(), cancellationToken: Token);

        NatProfiles.Report($"profile ({path}): after {NatProfiles.FiveNatTimeouts.TotalSeconds:0} s idle with the pool starved, the next call was answered on connection {after.Connection} (first {first.Connection}); the server saw {server.Connections.Accepted.Count} connection(s)");
        after.Text.Should().Be("after");
        after.Connection.Should().Be(first.Connection, "the kernel's probes kept the NAT's mapping alive, with no thread of the process involved");
        server.Connections.Accepted.Should().ContainSingle("the channel never needed a new connection");
        await host.StopAsync(Token);
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static DateTime Deadline() => DateTime.UtcNow.AddSeconds(5);

    private static IHost ClientHost(Action<IServiceCollection> configure)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        configure(builder.Services);
        return builder.Build();
    }
}
