using System.Diagnostics;
using System.Net.Http;
using System.Net.WebSockets;
using KeepAlive.Net.Hosting;
using KeepAlive.Net.Tests.TestSupport;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace KeepAlive.Net.SignalR.Tests;

/// <summary>
/// A real SignalR hub and client in one test host, through a conntrack NAT that forgets idle flows after 2 s (the routed
/// lab): an idle hub connection with and without the profile's Tcp section on its WebSocket, and a server that vanishes.
/// </summary>
[Collection(PoolStarvationGroup.Name)]
public sealed class SignalRBehindNatTests
{
    [Fact]
    public async Task IdleHubConnection_Defaults_NextInvocationGetsNoAnswerThroughTheForgottenFlow()
    {
        using var lab = Lab();
        await using var server = await HubServers.StartInLabAsync(lab);
        await using var connection = new HubConnectionBuilder()
            .WithUrl(HubServers.Url(server), o =>
            {
                Through(o, lab);
                o.WebSocketFactory = async (context, cancellationToken) => // the same path through the lab, without the profile
                {
                    var webSocket = new ClientWebSocket();
                    using var invoker = new HttpMessageInvoker(LabWeb.Handler(lab));
                    await webSocket.ConnectAsync(context.Uri, invoker, cancellationToken);
                    return webSocket;
                };
            })
            .Build();
        await connection.StartAsync(Token);
        var before = await connection.InvokeAsync<string>("Echo", "before", Token);

        await Task.Delay(NatProfiles.FiveNatTimeouts, Token);
        var after = () => Invoke(connection, "after");

        await after.Should().ThrowAsync<OperationCanceledException>("SignalR's keep-alive message comes every 15 s, the NAT forgets after 2 s, and drops what follows silently");
        NatProfiles.Report($"defaults: after {NatProfiles.FiveNatTimeouts.TotalSeconds:0} s idle the invocation got no answer in 5 s (before: '{before}'); the server saw {server.Connections.Accepted.Count} connection(s)");
    }

    [Fact]
    public async Task IdleHubConnection_ProfileTcpSectionWithThePoolStarved_SurvivesTheNatOnTheSameConnection()
    {
        using var lab = Lab();
        await using var server = await HubServers.StartInLabAsync(lab);
        using var profiles = ClientProfiles.InCode("hub", NatProfiles.TcpOnly); // SignalR keeps its 15 s keep-alive: only the kernel can keep the flow
        await using var connection = new HubConnectionBuilder()
            .WithUrl(HubServers.Url(server), o => Through(o, lab))
            .UseKeepAlive(profiles.Profiles, "hub")
            .Build();
        await connection.StartAsync(Token);
        var before = await connection.InvokeAsync<string>("Echo", "before", Token);

        NatProfiles.SleepWithThePoolStarved(NatProfiles.FiveNatTimeouts, NatProfiles.FiveNatTimeouts - TimeSpan.FromSeconds(1));
        var after = await Invoke(connection, "after");

        NatProfiles.Report($"profile: after {NatProfiles.FiveNatTimeouts.TotalSeconds:0} s idle with the pool starved: '{after}' (before: '{before}'); the server saw {server.Connections.Accepted.Count} connection(s)");
        after.Should().Be($"after on {before["before on ".Length..]}", "the same WebSocket answered: the kernel's probes kept the NAT's mapping, no thread of the process involved");
        connection.State.Should().Be(HubConnectionState.Connected);
        server.Connections.Accepted.Should().HaveCount(2, "one for the negotiation, one for the WebSocket: no reconnect");
    }

    [Fact]
    public async Task HubConnection_ServerVanishesLinkCut_ClientIsToldWithinTheProfilesServerTimeout()
    {
        using var lab = Lab();
        await using var server = await HubServers.StartInLabAsync(lab);
        using var profiles = ClientProfiles.InCode("hub", profile =>
        {
            NatProfiles.TcpOnly(profile);
            profile.Heartbeat.Interval = TimeSpan.FromSeconds(1);
            profile.Heartbeat.Timeout = TimeSpan.FromSeconds(4);
        });
        await using var connection = new HubConnectionBuilder()
            .WithUrl(HubServers.Url(server), o => Through(o, lab))
            .UseKeepAlive(profiles.Profiles, "hub")
            .Build();
        var closed = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Closed += _ => Task.FromResult(closed.TrySetResult(Stopwatch.GetTimestamp()));
        await connection.StartAsync(Token);
        await connection.InvokeAsync<string>("Echo", "before", Token);

        var cut = Stopwatch.GetTimestamp();
        lab.CutServerLink();
        var told = Stopwatch.GetElapsedTime(cut, await closed.Task.WaitAsync(TimeSpan.FromSeconds(30), Token));

        NatProfiles.Report($"link cut: the client was told after {told.TotalSeconds:0.0} s (ServerTimeout 4 s from Heartbeat:Timeout; the Tcp section's user timeout about 4 s)");
        told.Should().BeGreaterThan(TimeSpan.FromSeconds(2), "the last keep-alive message arrived at most 1 s before the cut").And.BeLessThan(TimeSpan.FromSeconds(7),
            "the profile's bound: ServerTimeout 4 s after the last message (or the kernel's user timeout, slightly below idle 1 s + 3 x 1 s), plus SignalR's 1 s timer");
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static RoutedLab Lab() => RoutedLab.Create(natIdleTimeoutSeconds: (int)LabServer.NatIdleTimeout.TotalSeconds);

    private static void Through(Microsoft.AspNetCore.Http.Connections.Client.HttpConnectionOptions options, RoutedLab lab)
    {
        options.Transports = HttpTransportType.WebSockets;
        options.HttpMessageHandlerFactory = _ => LabWeb.Handler(lab);
    }

    private static async Task<string> Invoke(HubConnection connection, string text)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        return await connection.InvokeAsync<string>("Echo", text, timeout.Token);
    }
}
