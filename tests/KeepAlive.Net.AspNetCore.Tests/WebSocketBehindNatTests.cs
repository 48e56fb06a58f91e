using System.Net.Http;
using System.Net.WebSockets;
using System.Text;
using KeepAlive.Net.Hosting;
using KeepAlive.Net.Tests.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace KeepAlive.Net.AspNetCore.Tests;

/// <summary>
/// A ClientWebSocket idle behind a conntrack NAT that forgets idle flows after 2 s, with its thread pool starved through
/// the idle period (issue 19): its keep-alive frames run on the pool, so only the kernel's probes, the profile's Tcp
/// section on its socket, keep the NAT's mapping.
/// </summary>
[Collection(PoolStarvationGroup.Name)]
public sealed class WebSocketBehindNatTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task IdleWebSocketWithThePoolStarved_KeepsItsFlowOnlyWithTheTcpSectionOnItsSocket(bool tcpSection)
    {
        using var lab = RoutedLab.Create(natIdleTimeoutSeconds: (int)LabServer.NatIdleTimeout.TotalSeconds);
        await using var app = LabWeb.Build(lab, HttpProtocols.Http1);
        app.UseWebSockets();
        app.Map("/ws", async (HttpContext context) =>
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[64];
            while (await socket.ReceiveAsync(buffer, context.RequestAborted) is { MessageType: WebSocketMessageType.Text } message)
            {
                await socket.SendAsync(buffer.AsMemory(0, message.Count), WebSocketMessageType.Text, endOfMessage: true, context.RequestAborted);
            }
        });
        await app.StartAsync(Token);
        using var profiles = ClientProfiles.InCode("ws", profile =>
        {
            NatProfiles.TcpOnly(profile);
            profile.WebSocket.KeepAliveInterval = TimeSpan.FromSeconds(1); // would keep the NAT's mapping, if the pool ran it
        });
        using var client = new ClientWebSocket();
        client.Options.UseKeepAlive(profiles.Profiles, "ws");
        var handler = LabWeb.Handler(lab);
        using var invoker = new HttpMessageInvoker(tcpSection ? handler.UseKeepAlive(profiles.Profiles, "ws") : handler);
        await client.ConnectAsync(new Uri($"ws://{RoutedLab.ServerEndPoint}/ws"), invoker, Token);
        (await EchoAsync(client, "before")).Should().Be("before");

        NatProfiles.SleepWithThePoolStarved(TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(7.5));
        var after = await Record.ExceptionAsync(async () => (await EchoAsync(client, "after")).Should().Be("after"));

        NatProfiles.Report($"Tcp section {(tcpSection ? "on" : "off")}: after 8 s idle with the pool starved for 7.5 s the echo {(after is null ? "came back on the same WebSocket" : $"failed: {after.GetType().Name}")}");
        if (tcpSection)
        {
            after.Should().BeNull("the kernel's probes (1 s idle, every 1 s) kept the NAT's mapping while no keep-alive frame could leave");
        }
        else
        {
            after.Should().BeAssignableTo<OperationCanceledException>("no keep-alive frame left during the starvation, the NAT forgot the flow after 2 s and drops the echo silently");
        }

        client.Abort();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(1)); // the server's side of a dead flow never closes by itself
        await app.StopAsync(stop.Token);
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static async Task<string> EchoAsync(ClientWebSocket client, string text)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        await client.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
        var buffer = new byte[64];
        var received = await client.ReceiveAsync(buffer, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, received.Count);
    }
}
