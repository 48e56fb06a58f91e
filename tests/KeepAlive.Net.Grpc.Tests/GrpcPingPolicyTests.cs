using System.Net.Http;
using Grpc.Net.Client;
using KeepAlive.Net.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Grpc.Tests;

/// <summary>
/// Against a server that enforces a minimum ping interval the way grpc-go's does (GOAWAY "too_many_pings" after two
/// strikes; scaled: 2 s instead of 5 min, no PING without a call): a channel whose profile respects the policy keeps its
/// connection, one that does not is refused before it ever pings, and a hand-set ping is indeed punished.
/// </summary>
public sealed class GrpcPingPolicyTests
{
    private static readonly TimeSpan MinTime = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task ChannelWithAProfileThatRespectsThePeersPolicy_PingsDuringACallAndNotWhenIdle_KeepsItsConnection()
    {
        await using var server = new PingPolicyH2cServer(MinTime, permitWithoutStream: false);
        using var host = ClientHost(services => services.AddKeepAlive("grpc", profile =>
        {
            profile.Http.KeepAlivePingDelay = TimeSpan.FromSeconds(3);
            profile.Http.PeerMinPingInterval = MinTime;
            profile.Http.PeerPermitsPingsWithoutCalls = false;
        }));
        await host.StartAsync(Token);
        using var channel = GrpcChannel.ForAddress(server.BaseAddress, new GrpcChannelOptions().UseKeepAlive(host.Services, "grpc"));
        var client = new Echo.EchoClient(channel);

        await client.SayAsync(new EchoRequest { Text = "slow" }, cancellationToken: Token); // 6 s with a call in flight: pings every 3 s
        var pingsDuringTheCall = server.Pings;
        await Task.Delay(MinTime * 5, Token);                                            // idle: no call, so no ping
        await client.SayAsync(new EchoRequest { Text = "after the idle period" }, cancellationToken: Token);

        NatProfiles.Report($"respecting: {server.Pings} PINGs ({pingsDuringTheCall} during the slow call), at most {server.MaxStrikes} strikes, {server.TooManyPings} GOAWAY too_many_pings, {server.Connections} connection(s)");
        pingsDuringTheCall.Should().BeGreaterThan(0, "with a call in flight the channel keeps it alive with PINGs");
        // One strike at most: the channel's PING that comes as the second call starts can reach the server just before that
        // call's HEADERS, while no stream is open (grpc-go counts it too, and forgives up to two). A channel that pinged while
        // idle, or more often than the policy allows, strikes at every PING and is sent GOAWAY after the third.
        server.MaxStrikes.Should().BeLessThanOrEqualTo(1);
        server.TooManyPings.Should().Be(0);
        server.Connections.Should().Be(1, "the channel kept its connection through the idle period");
        await host.StopAsync(Token);
    }

    [Fact]
    public async Task ChannelWithAProfileThatPingsMoreOftenThanThePeerAllows_IsRefusedBeforeItEverPings()
    {
        await using var server = new PingPolicyH2cServer(MinTime, permitWithoutStream: false);
        using var host = ClientHost(services => services.AddKeepAlive("grpc", profile =>
        {
            profile.Http.KeepAlivePingDelay = TimeSpan.FromSeconds(1);
            profile.Http.PeerMinPingInterval = MinTime;
        }));

        var start = () => host.StartAsync(Token);
        var channel = () => GrpcChannel.ForAddress(server.BaseAddress, new GrpcChannelOptions().UseKeepAlive(host.Services, "grpc"));

        (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain("Http:KeepAlivePingDelay is 1s, below Http:PeerMinPingInterval 2s").And.Contain("Fix:");
        channel.Should().Throw<OptionsValidationException>();
        server.Connections.Should().Be(0, "refused before a connection, let alone a PING");
        server.Pings.Should().Be(0);
    }

    // The profile states the server's policy but sets no delay, so the handler's own stays: set by hand below the minimum it
    // was kept, and the channel pinged every second during calls into "too_many_pings".
    [Fact]
    public void ChannelWhoseHandlerPingsByHandMoreOftenThanTheProfilesPeerAllows_IsRefusedBeforeItEverPings()
    {
        using var host = ClientHost(services => services.AddKeepAlive("grpc", profile =>
        {
            profile.Http.PeerMinPingInterval = MinTime;
            profile.Http.PeerPermitsPingsWithoutCalls = false;
        }));
        var options = new GrpcChannelOptions { HttpHandler = new SocketsHttpHandler { KeepAlivePingDelay = TimeSpan.FromSeconds(1) } };

        var apply = () => options.UseKeepAlive(host.Services, "grpc");

        apply.Should().Throw<InvalidOperationException>()
            .WithMessage("socketsHttpHandler.UseKeepAlive(profiles, \"grpc\"): the handler's own KeepAlivePingDelay is 1s, below Http:PeerMinPingInterval 2s*too_many_pings*Fix: set Http:KeepAlivePingDelay to at least 2s*");
    }

    [Fact]
    public async Task ChannelThatPingsAnIdleConnectionByHand_GetsGoAwayTooManyPings_TheServerReallyEnforcesIt()
    {
        await using var server = new PingPolicyH2cServer(MinTime, permitWithoutStream: false);
        using var channel = GrpcChannel.ForAddress(server.BaseAddress, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { KeepAlivePingDelay = TimeSpan.FromSeconds(1), KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always },
        });
        await new Echo.EchoClient(channel).SayAsync(new EchoRequest { Text = "once" }, cancellationToken: Token);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (server.TooManyPings == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200, Token);
        }

        NatProfiles.Report($"by hand: {server.Pings} PINGs, {server.MaxStrikes} strikes, {server.TooManyPings} GOAWAY too_many_pings");
        server.TooManyPings.Should().Be(1, "PINGs on a connection with no call are strikes, and the third gets GOAWAY ENHANCE_YOUR_CALM \"too_many_pings\"");
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static IHost ClientHost(Action<IServiceCollection> configure)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        configure(builder.Services);
        return builder.Build();
    }
}
