using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using KeepAlive.Net.Heartbeats;
using KeepAlive.Net.Tests.Heartbeats;
using KeepAlive.Net.Tests.TestSupport;

namespace KeepAlive.Net.Tests.Wire;

/// <summary>Thousands of connections whose peer vanishes at once, as when a host or a middlebox dies: every one is declared dead in time.</summary>
[Collection(ThreadPoolStarvationGroup.Name)] // runs alone: 10,000 sockets and a CPU spike
public sealed class MassDeathTests
{
    private const int Connections = 5000;
    private static readonly byte[] Payload = [0x2A];
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task LinkCut_5000ConnectionsLoseTheirPeerAtOnce_EveryPeerDeadWithinTimeoutPlusOneSecondAndTheMemoryReturns()
    {
        var ct = TestContext.Current.CancellationToken;
        using var lab = RoutedLab.Create();
        using var listener = lab.Listen(backlog: Connections);
        var served = new ConcurrentBag<Socket>();
        var accepting = Task.Run(async () =>
        {
            for (var i = 0; i < Connections; i++)
            {
                var peer = await listener.AcceptAsync(ct);
                served.Add(peer);
                _ = EchoAsync(peer); // the peer answers every heartbeat: the client hears from it
            }
        }, ct);

        var clients = new Socket[Connections];
        await Parallel.ForAsync(0, Connections, new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = ct }, async (i, token) =>
        {
            clients[i] = lab.CreateClientSocket();
            await clients[i].ConnectAsync(RoutedLab.ServerEndPoint, token);
        });
        await accepting.WaitAsync(TimeSpan.FromSeconds(60), ct);

        // Each socket's own buffers and async state first (a read pending, one send made), so what is measured is the registrations.
        var registrations = new HeartbeatRegistration?[Connections];
        for (var i = 0; i < Connections; i++)
        {
            _ = ReadAsync(clients[i], registrations, i);
            await clients[i].SendAsync(Payload, ct);
        }

        var scheduler = new HeartbeatScheduler(); // no logger or listener: the memory measured is the engine's
        var deadAt = new long[Connections];
        var released = new WeakReference[Connections]; // each registration and its PeerDead handler: the engine must hold neither once it ended
        var deathCount = 0;
        var memoryBefore = LiveBytes();
        var options = new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = TimeSpan.FromMilliseconds(500), Timeout = Timeout, Name = "mass" };
        for (var i = 0; i < Connections; i++)
        {
            var registration = scheduler.RegisterSocket(clients[i], Payload, options);
            var index = i;
            EventHandler<PeerDeadEventArgs> onDead = (sender, _) =>
            {
                Interlocked.CompareExchange(ref deadAt[index], Stopwatch.GetTimestamp(), 0).Should().Be(0, "a peer is declared dead once");
                Interlocked.Increment(ref deathCount);
                ((HeartbeatRegistration)sender!).Dispose(); // what a service does: give the connection up
            };
            registration.PeerDead += onDead;
            released[i] = new WeakReference(onDead);
            Volatile.Write(ref registrations[i], registration);
        }

        await Task.Delay(TimeSpan.FromSeconds(3), ct);
        deathCount.Should().Be(0, "every peer answers while the link is up");
        scheduler.RegistrationCount.Should().Be(Connections);

        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var cut = Stopwatch.GetTimestamp();
        lab.CutServerLink();
        var bound = Timeout + TimeSpan.FromSeconds(1);
        SpinWait.SpinUntil(() => Volatile.Read(ref deathCount) >= Connections, bound + TimeSpan.FromSeconds(10)).Should().BeTrue(
            "every one of the {0} registrations must be declared dead ({1} were)", Connections, deathCount);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;

        var latest = TimeSpan.FromTicks(deadAt.Max(at => at - cut) * TimeSpan.TicksPerSecond / Stopwatch.Frequency);
        TestContext.Current.TestOutputHelper?.WriteLine($"mass death: {Connections} peers declared dead {deadAt.Min(at => at - cut) * 1000 / Stopwatch.Frequency} to {latest.TotalMilliseconds:0} ms after the cut; CPU of the whole process from the cut to the last: {cpu.TotalMilliseconds:0} ms");
        latest.Should().BeLessThanOrEqualTo(bound, "each peer is dead within its Timeout (2 s) of the last word it said, plus 1 s");
        SpinWait.SpinUntil(() => scheduler.RegistrationCount == 0, TimeSpan.FromSeconds(5)).Should().BeTrue("every registration ended");

        Array.Clear(registrations); // the test's own handles; the engine must not keep anything of an ended registration
        await Task.Delay(TimeSpan.FromSeconds(1), ct); // the loop frees the slots and sweeps their stale keys
        var memoryAfterDeaths = LiveBytes();
        released.Count(r => r.IsAlive).Should().Be(0, "nothing of an ended registration stays reachable (its handler lived in its extras)");
        var slotPages = (Connections + SlotTable.PageSize - 1) / SlotTable.PageSize * SlotTable.PageSize * 80L;
        TestContext.Current.TestOutputHelper?.WriteLine($"managed memory after the deaths: {memoryAfterDeaths - memoryBefore:N0} bytes above where it was ({slotPages:N0} of them the slot pages kept for reuse)");
        (memoryAfterDeaths - memoryBefore).Should().BeLessThan(slotPages + (1536 * 1024),
            "the ended registrations are released (5,000 of them held about 1.9 MB) and the burst's buffers given back; only the slot pages stay for the next registrations (80 bytes a slot); the rest of the margin is the test process's own noise");
        await scheduler.DisposeAsync();
        foreach (var socket in clients.Concat(served))
        {
            socket.Dispose();
        }
    }

    /// <summary>Bytes of live objects after a full compacting collection (GC.GetTotalMemory also counts free space the GC keeps).</summary>
    private static long LiveBytes()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var info = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        return info.HeapSizeBytes - info.FragmentedBytes;
    }

    private static async Task EchoAsync(Socket peer)
    {
        var buffer = new byte[64];
        try
        {
            int read;
            while ((read = await peer.ReceiveAsync(buffer)) > 0)
            {
                await peer.SendAsync(buffer.AsMemory(0, read));
            }
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private static async Task ReadAsync(Socket client, HeartbeatRegistration?[] registrations, int index)
    {
        var buffer = new byte[64];
        try
        {
            while (await client.ReceiveAsync(buffer) > 0)
            {
                Volatile.Read(ref registrations[index])?.MarkPeerActivity();
            }
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
