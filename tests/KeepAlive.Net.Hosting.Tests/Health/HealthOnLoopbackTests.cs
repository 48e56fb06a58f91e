using System.Net.Sockets;
using KeepAlive.Net.Hosting.Health;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Tests.Health;

/// <summary>
/// The health check as an SRE meets it: real connections on loopback through <see cref="IKeepAliveHeartbeats"/>, one
/// profile's peer going silent while another's answers, two hosts in one process, and a host disposed.
/// </summary>
public sealed class HealthOnLoopbackTests
{
    // Heartbeats every 200 ms, a peer silent for 1 s declared dead: on an idle machine the silent peer dies in about a
    // second; the wait only ends one that never would, so it is generous for a loaded 2-core CI machine.
    private const string Json = """
        { "KeepAlive": { "Profiles": {
            "payments": { "Tcp": { "IdleTime": "19s", "Interval": "3s" }, "Heartbeat": { "Interval": "200ms", "Timeout": "1s" } },
            "orders": { "Tcp": { "IdleTime": "19s", "Interval": "3s" }, "Heartbeat": { "Interval": "200ms", "Timeout": "1s" } } } } }
        """;

    private static readonly TimeSpan DeadWithin = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task CheckHealth_OneProfilesPeerGoesSilentOnLoopback_ThatProfileTurnsUnhealthyTheAnswersProfileAndTheOtherHostStayHealthy()
    {
        using var host = await StartAsync();
        using var otherHost = await StartAsync();
        var (paymentsClient, paymentsServer) = await KeepAliveHeartbeatsTests.LoopbackPairAsync();
        var (ordersClient, ordersServer) = await KeepAliveHeartbeatsTests.LoopbackPairAsync();
        using (paymentsClient)
        using (paymentsServer)
        using (ordersClient)
        using (ordersServer)
        using (var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken))
        {
            var heartbeats = host.Services.GetRequiredService<IKeepAliveHeartbeats>();
            using var silent = heartbeats.RegisterSocket(paymentsClient, "PING"u8.ToArray(), "payments"); // its peer reads and never answers
            using var answered = heartbeats.RegisterSocket(ordersClient, "PING"u8.ToArray(), "orders");
            var drainSilent = DrainAsync(paymentsServer, answer: false, cancel.Token);
            var echo = DrainAsync(ordersServer, answer: true, cancel.Token);
            var heard = ReadAnswersAsync(ordersClient, answered, cancel.Token);

            var entry = await HealthHosts.CheckAsync(host);
            var waiting = System.Diagnostics.Stopwatch.StartNew();
            while ((long)entry.Data["payments:PeersDead"] == 0 && waiting.Elapsed < DeadWithin)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
                entry = await HealthHosts.CheckAsync(host);
            }

            var other = await HealthHosts.CheckAsync(otherHost);
            await cancel.CancelAsync();
            await Task.WhenAll(drainSilent, echo, heard);

            entry.Status.Should().Be(HealthStatus.Unhealthy, "the silent peer of payments was declared dead: {0}", entry.Description);
            entry.Data["payments:PeersDead"].Should().Be(1L);
            entry.Data["orders:PeersDead"].Should().Be(0L, "the peer of orders answered every heartbeat");
            ((long)entry.Data["orders:Heartbeats"]).Should().BeGreaterThan(0, "the heartbeats of orders were measured");
            entry.Description.Should().Be("payments: 1 peer declared dead within 1m (threshold 1): 1 silent past Heartbeat:Timeout");
            other.Status.Should().Be(HealthStatus.Healthy, "another host's dead peer is not this host's: {0}", other.Description);
            other.Data["payments:PeersDead"].Should().Be(0L);
            other.Data["payments:Heartbeats"].Should().Be(0L);
        }
    }

    [Fact]
    public async Task DisposeHost_TheChecksListenerStopsListening()
    {
        // A profile of its own: a meter without a factory is heard by every host's check, those of tests running beside it too.
        const string Profile = "disposed-host";
        var host = await HealthHosts.StartAsync(s =>
        {
            s.AddKeepAlive(Profile, o => o.Heartbeat.Interval = TimeSpan.FromSeconds(10));
            s.AddHealthChecks().AddKeepAlive();
        });
        var listener = host.Services.GetRequiredKeyedService<KeepAliveTelemetryListener>(Options.DefaultName);
        RecordHeartbeatWithoutAMeterFactory(Profile);
        listener.Read(Profile).Heartbeats.Should().Be(1, "the control: a live host's listener hears it");

        await host.StopAsync(TestContext.Current.CancellationToken);
        host.Dispose();
        RecordHeartbeatWithoutAMeterFactory(Profile);

        listener.Read(Profile).Heartbeats.Should().Be(1, "a disposed host's listener no longer listens (no MeterListener left behind)");
    }

    private static void RecordHeartbeatWithoutAMeterFactory(string name)
    {
        using var monitor = new DriftMonitor(new HeartbeatOptions { Name = name, Interval = TimeSpan.FromSeconds(10) });
        monitor.RecordSentNow(TimeProvider.System.GetTimestamp());
    }

    private static async Task<IHost> StartAsync()
    {
        var host = TestHosts.Build(Json, (services, configuration) =>
        {
            services.AddKeepAlive(configuration.GetSection("KeepAlive"));
            services.AddHealthChecks().AddKeepAlive(o => o.UnhealthyPeerDeadCount = 1);
        });
        await host.StartAsync(TestContext.Current.CancellationToken);
        return host;
    }

    // The peer's side: reads every heartbeat, and answers each when asked to.
    private static async Task DrainAsync(Socket server, bool answer, CancellationToken cancel)
    {
        var buffer = new byte[64];
        try
        {
            while (await server.ReceiveAsync(buffer, cancel) > 0)
            {
                if (answer)
                {
                    await server.SendAsync("PONG"u8.ToArray(), cancel);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    // The application's side: every answer of the peer is activity.
    private static async Task ReadAnswersAsync(Socket client, HeartbeatRegistration registration, CancellationToken cancel)
    {
        var buffer = new byte[64];
        try
        {
            while (await client.ReceiveAsync(buffer, cancel) > 0)
            {
                registration.MarkPeerActivity();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
