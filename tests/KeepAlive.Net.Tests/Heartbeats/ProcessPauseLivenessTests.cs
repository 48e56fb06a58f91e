using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using KeepAlive.Net.Tests.TestSupport;

namespace KeepAlive.Net.Tests.Heartbeats;

/// <summary>
/// Rule 11 on a real process: the process's own pause is not the peer's silence. Runs alone: it stops the whole process.
/// The peer is another process (bash writing to a loopback socket), so it keeps talking while this one is stopped.
/// </summary>
[Collection(ThreadPoolStarvationGroup.Name)]
public sealed class ProcessPauseLivenessTests
{
    [Fact]
    public async Task Timeout_ProcessStoppedLongerThanTheTimeoutWhileThePeerTalks_PeerNotDeclaredDeadThenDeclaredOnceItIsSilent()
    {
        TestEnvironment.RequireLinux();
        TestEnvironment.Require(File.Exists("/bin/bash"), "/bin/bash is needed for a peer in another process and to stop this one");
        var cancellation = TestContext.Current.CancellationToken;
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        using var talker = Process.Start(new ProcessStartInfo("/bin/bash", ["-c", $"exec 3<>/dev/tcp/127.0.0.1/{port}; while :; do echo x >&3 || exit; sleep 0.1; done"]))!;
        try
        {
            using var connection = await listener.AcceptAsync(cancellation).AsTask().WaitAsync(TimeSpan.FromSeconds(10), cancellation);
            using var telemetry = new TestTelemetry();
            await using var scheduler = new HeartbeatScheduler(null, telemetry, telemetry);
            var dead = new List<PeerDeadEventArgs>();
            using var registration = scheduler.Register(
                new HeartbeatOptions { Interval = TimeSpan.FromMilliseconds(300), Timeout = TimeSpan.FromSeconds(1), Name = "paused" },
                _ => ValueTask.CompletedTask);
            registration.PeerDead += (_, e) => { lock (dead) { dead.Add(e); } };
            var reader = Task.Run(async () =>
            {
                var buffer = new byte[256];
                while (await connection.ReceiveAsync(buffer, SocketFlags.None) > 0)
                {
                    registration.MarkPeerActivity();
                }
            });
            await Task.Delay(1500, cancellation); // the peer is heard every 100 ms: alive
            Count(dead).Should().Be(0, "the peer talks every 100 ms");

            // Stopped 2.5 s, twice the timeout: the peer's lines wait in the socket, unread, as after a long GC or a frozen VM.
            using var freezer = Process.Start(new ProcessStartInfo("/bin/bash", ["-c", $"kill -STOP {Environment.ProcessId}; sleep 2.5; kill -CONT {Environment.ProcessId}"]))!;
            await freezer.WaitForExitAsync(cancellation);
            freezer.ExitCode.Should().Be(0);
            await Task.Delay(1500, cancellation);
            Count(dead).Should().Be(0, "the peer talked all along; only this process was stopped, and its reader marked the lines once it ran again");
            registration.GetStatistics().PeerDead.Should().BeFalse();

            // Now the peer goes silent for real (the process ends; its FIN ends the reader): declared dead within the timeout.
            talker.Kill();
            var silentSince = Stopwatch.GetTimestamp();
            SpinWait.SpinUntil(() => Count(dead) > 0, TimeSpan.FromSeconds(10)).Should().BeTrue("a silent peer is still declared dead");
            Stopwatch.GetElapsedTime(silentSince).Should().BeLessThan(TimeSpan.FromSeconds(5), "within the 1 s timeout, with room for a noisy machine");
            await reader.WaitAsync(TimeSpan.FromSeconds(5), cancellation);
        }
        finally
        {
            if (!talker.HasExited)
            {
                talker.Kill();
            }
        }
    }

    private static int Count(List<PeerDeadEventArgs> events)
    {
        lock (events)
        {
            return events.Count;
        }
    }
}
