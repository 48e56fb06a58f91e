using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using Grpc.Net.Client;
using KeepAlive.Net.Hosting;
using KeepAlive.Net.Tests.TestSupport;

namespace KeepAlive.Net.Grpc.Tests;

/// <summary>
/// A real Grpc.AspNetCore server that goes silent while its TCP connection stays up (a hung process, a proxy that stopped
/// forwarding: the kernel still acknowledges every segment, so the <c>Tcp</c> section cannot tell), behind a loopback relay
/// that stops forwarding the connections it already carries. Only the profile's HTTP/2 pings (<c>Http:KeepAlivePingDelay</c>,
/// <c>Http:KeepAlivePingTimeout</c>) find out, through the channel's handler.
/// </summary>
public sealed class GrpcSilentServerTests
{
    // The call's deadline: the control waits it out; with the profile the call fails long before it.
    private static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(15);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CallInFlightWhenTheServerGoesSilent_FailsAtThePingTimeoutWithTheProfile_WaitsForItsDeadlineWithout(bool profile)
    {
        await using var server = await GrpcServers.StartOnLoopbackAsync();
        await using var relay = new SilencingRelay(new IPEndPoint(IPAddress.Loopback, server.BaseAddress.Port));
        using var profiles = ClientProfiles.InCode("grpc", p => (p.Http.KeepAlivePingDelay, p.Http.KeepAlivePingTimeout) = (TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)));
        var options = new GrpcChannelOptions();
        using var channel = GrpcChannel.ForAddress(relay.BaseAddress, profile ? options.UseKeepAlive(profiles.Profiles, "grpc") : options);
        var client = new Echo.EchoClient(channel);
        var first = await client.SayAsync(new EchoRequest { Text = "before" }, cancellationToken: Token);
        relay.Silence();

        var watch = Stopwatch.StartNew();
        var call = () => client.SayAsync(new EchoRequest { Text = "unanswered" }, deadline: DateTime.UtcNow + CallDeadline, cancellationToken: Token).ResponseAsync;
        var failure = (await call.Should().ThrowAsync<RpcException>()).Which;
        var failedAfter = watch.Elapsed;

        if (profile)
        {
            failure.StatusCode.Should().NotBe(StatusCode.DeadlineExceeded, $"the PING unanswered for 2s ended the connection ({failure.Status})");
            failedAfter.Should().BeLessThan(CallDeadline - TimeSpan.FromSeconds(5), "1s of delay and 2s of ping timeout, with room for a slow machine");
            var next = await client.SayAsync(new EchoRequest { Text = "after" }, deadline: DateTime.UtcNow + CallDeadline, cancellationToken: Token);
            next.Connection.Should().NotBe(first.Connection, "the next call opened a new connection instead of waiting on the silent one");
        }
        else
        {
            failure.StatusCode.Should().Be(StatusCode.DeadlineExceeded, "the control: without pings the call waits on a connection whose peer acknowledges everything and answers nothing");
        }
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>Relays loopback connections to a server; <see cref="Silence"/> stops forwarding on those it carries now, sockets left open.</summary>
    private sealed class SilencingRelay : IAsyncDisposable
    {
        private readonly List<TaskCompletionSource> _carried = [];
        private readonly IPEndPoint _server;
        private readonly LoopbackAcceptor _acceptor;

        public SilencingRelay(IPEndPoint server) => (_server, _acceptor) = (server, new LoopbackAcceptor(RelayAsync));

        public Uri BaseAddress => _acceptor.BaseAddress;

        public void Silence()
        {
            lock (_carried)
            {
                _carried.ForEach(static silenced => silenced.TrySetResult());
            }
        }

        public ValueTask DisposeAsync() => _acceptor.DisposeAsync();

        private async Task RelayAsync(Socket accepted, CancellationToken stopping)
        {
            var silenced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_carried)
            {
                _carried.Add(silenced);
            }

            using var client = accepted;
            using var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await upstream.ConnectAsync(_server, stopping);
            await Task.WhenAny(PumpAsync(client, upstream, silenced.Task, stopping), PumpAsync(upstream, client, silenced.Task, stopping));
            if (silenced.Task.IsCompleted)
            {
                await Task.Delay(Timeout.Infinite, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing); // silent, never closed: the kernel still acknowledges
            }
        }

        private static async Task PumpAsync(Socket from, Socket to, Task silenced, CancellationToken stopping)
        {
            var buffer = new byte[16 * 1024];
            try
            {
                while (!silenced.IsCompleted)
                {
                    var read = await from.ReceiveAsync(buffer, stopping);
                    if (read == 0 || silenced.IsCompleted)
                    {
                        return;
                    }

                    await to.SendAsync(buffer.AsMemory(0, read), stopping);
                }
            }
            catch (Exception error) when (error is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // the relay is stopping, or a side closed
            }
        }
    }
}
