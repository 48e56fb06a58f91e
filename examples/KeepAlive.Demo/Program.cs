// KeepAlive.Net demo: the case study (docs/CASE.md) end to end on loopback, about 20 s after the first build.
// A server sits behind a proxy that closes connections idle for more than 2 s, like the customer's peer.
// Two clients heartbeat every second: one with PeriodicTimer (on the thread pool), one with KeepAlive.Net.
// Then the thread pool is flooded with blocking work, as the customer's code did.
// Exit code 0 when the story ran as expected: the PeriodicTimer connection was killed, DriftMonitor named
// thread-pool starvation, and the KeepAlive.Net connection survived with its heartbeats inside the budget. DriftMonitor's
// overdue watch prints its warning (2014) between the rows, while the PeriodicTimer heartbeat still waits.
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using KeepAlive.Demo;
using KeepAlive.Net;

var idleTimeout = TimeSpan.FromSeconds(2);
var heartbeatInterval = TimeSpan.FromSeconds(1);
var calm = TimeSpan.FromSeconds(4);
var starvation = TimeSpan.FromSeconds(8);
var recovery = TimeSpan.FromSeconds(6);

Console.WriteLine("KeepAlive.Net demo: a heartbeat that is scheduled is not a heartbeat that is sent.");
Console.WriteLine($"Peer idle timeout {Late(idleTimeout)}, heartbeat every {Late(heartbeatInterval)}, thread pool flooded for {Late(starvation)}.");
Console.WriteLine();

using var server = new HeartbeatServer();
using var proxy = new IdleTimeoutProxy(server.EndPoint, idleTimeout);
var killed = new System.Collections.Concurrent.ConcurrentDictionary<int, TimeSpan>();
proxy.ConnectionKilled += (port, idle) => killed[port] = idle;
var shownKilled = new HashSet<int>();

var kernelOptions = new TcpKeepAliveOptions { IdleTime = TimeSpan.FromSeconds(30), Interval = TimeSpan.FromSeconds(5), ProbeCount = 4 };
using var timerSocket = Connect("PeriodicTimer", proxy, kernelOptions);
using var keepAliveSocket = Connect("KeepAlive.Net", proxy, kernelOptions);
Console.WriteLine($"Both sockets have kernel keep-alive (the lines above are read back from the kernel), and it cannot save either: its first");
Console.WriteLine($"probe leaves after {Late(kernelOptions.IdleTime)} of silence while the peer forgets after {Late(idleTimeout)}, and a proxy never sees the probes (its own");
Console.WriteLine("kernel answers them). Only the application heartbeat, bytes the peer reads, restarts the peer's idle timer, so its");
Console.WriteLine("lateness decides the story. Kernel keep-alive does the other job: finding a peer that died.");
Console.WriteLine();


// The KeepAlive.Net heartbeat: dispatched by the scheduler's own threads.
await using var scheduler = new HeartbeatScheduler();
using var registration = scheduler.RegisterSocket(keepAliveSocket, "beat\n"u8.ToArray(), HeartbeatOptionsFor("keepalive-net"));

// The customer's heartbeat: PeriodicTimer on the thread pool, with DriftMonitor attached to it. Its overdue watch, on a
// thread of its own, says the heartbeat is late while it still waits (warning 2014), not only once it finally leaves.
var clock = new Stopwatch();
var overdueWarnings = new OverdueWarnings(() => clock.Elapsed);
using var monitor = new DriftMonitor(HeartbeatOptionsFor("periodic-timer"), null, overdueWarnings);
using var overdueWatch = monitor.WatchForOverdue();
var timerCause = HeartbeatDelayCause.None;
var timerMaxLateness = TimeSpan.Zero;
var timerWorstSinceRow = 0L; // ticks; the table shows each heartbeat's lateness in the second it finally left
var timerDue = long.MaxValue;
monitor.Delayed += (_, e) =>
{
    if (timerCause == HeartbeatDelayCause.None || e.Cause == HeartbeatDelayCause.ThreadPoolStarvation)
    {
        timerCause = e.Cause;
    }
};
using var stop = new CancellationTokenSource();
var timerLoop = Task.Run(() => PeriodicTimerHeartbeatAsync(timerSocket, stop.Token));

// The story, told from a thread we own (awaits here would be starved too).
clock.Start();
var ceiling = ThreadPoolCeiling.Lower();
Console.WriteLine($"{"time",OverdueWarnings.TimeWidth}  phase        PeriodicTimer: late  connection          KeepAlive.Net: late  connection");
Console.WriteLine($"{string.Empty,OverdueWarnings.TimeWidth}   (late: the worst heartbeat that left in that second, or how overdue the next one is)");
var floodStarted = false;
var oursWorstSoFar = TimeSpan.Zero;
while (clock.Elapsed < calm + starvation + recovery)
{
    if (!floodStarted && clock.Elapsed >= calm)
    {
        ThreadPoolFlood.Start(starvation);
        floodStarted = true;
    }

    Thread.Sleep(1000);
    var phase = clock.Elapsed < calm ? "calm" : clock.Elapsed < calm + starvation + TimeSpan.FromSeconds(1) ? "STARVED" : "recovered";
    var ours = registration.GetStatistics();
    var oursThisSecond = ours.MaxLateness > oursWorstSoFar ? ours.MaxLateness : ours.LastLateness;
    oursWorstSoFar = ours.MaxLateness;
    Console.WriteLine($"{Late(TimeSpan.FromSeconds(Math.Round(clock.Elapsed.TotalSeconds))),OverdueWarnings.TimeWidth}  {phase,-11}  {TimerLateness(),18}  {Status(timerSocket),-18}  {Late(oursThisSecond),18}  {Status(keepAliveSocket)}");
}

ceiling.Restore();
await stop.CancelAsync();
await timerLoop.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(static _ => { }, TaskScheduler.Default);

var stats = registration.GetStatistics();
var budget = idleTimeout - heartbeatInterval;
var timerKilled = killed.ContainsKey(LocalPort(timerSocket));
var oursKilled = killed.ContainsKey(LocalPort(keepAliveSocket));
Console.WriteLine();
Console.WriteLine("Result");
Console.WriteLine($"  PeriodicTimer : max lateness {Late(timerMaxLateness)}, connection {(timerKilled ? "KILLED by the peer's idle timeout" : "survived")}, DriftMonitor cause: {timerCause}");
Console.WriteLine(overdueWarnings.First is { } warned
    ? $"                  DriftMonitor's overdue watch warned at {OverdueWarnings.At(warned)}, while the heartbeat still waited (warning 2014, from its own thread)"
    : "                  DriftMonitor's overdue watch did not warn");
Console.WriteLine($"  KeepAlive.Net : max lateness {Late(stats.MaxLateness)} (budget {Late(budget)}), {stats.Sent} sent, {stats.Skipped} skipped, connection {(oursKilled ? "KILLED" : "survived")}");
Console.WriteLine($"  Kernel keep-alive on the KeepAlive.Net socket now: {keepAliveSocket.GetKeepAlive()}:");
Console.WriteLine($"  unchanged by the starvation (the kernel probes without any thread of ours), and no help against a {Late(idleTimeout)} idle timeout.");
if (timerKilled)
{
    Console.WriteLine($"  The PeriodicTimer connection died once its heartbeat was more than {Late(budget)} overdue (idle timeout {Late(idleTimeout)} minus the");
    Console.WriteLine($"  {Late(heartbeatInterval)} interval): the peer saw {Late(killed[LocalPort(timerSocket)])} of silence. The heartbeat left {Late(timerMaxLateness)} late, into a closed connection.");
}

var expected = timerKilled && timerCause == HeartbeatDelayCause.ThreadPoolStarvation && !oursKilled && stats.MaxLateness < budget;
Console.WriteLine();
Console.WriteLine(expected
    ? "As in the case study: the thread-pool heartbeat left late and the peer closed the connection; DriftMonitor named the cause; the KeepAlive.Net heartbeat stayed on time."
    : "UNEXPECTED: the story did not run as described above (see the lines before); exit code 1.");
return expected ? 0 : 1;

async Task PeriodicTimerHeartbeatAsync(Socket socket, CancellationToken cancel)
{
    using var timer = new PeriodicTimer(heartbeatInterval);
    var period = (long)(heartbeatInterval.TotalSeconds * Stopwatch.Frequency);
    var due = Stopwatch.GetTimestamp() + period;
    Volatile.Write(ref timerDue, due);
    try
    {
        while (await timer.WaitForNextTickAsync(cancel))
        {
            var report = monitor.Record(due, Stopwatch.GetTimestamp());
            InterlockedMax(ref timerWorstSinceRow, report.Lateness.Ticks);
            timerMaxLateness = report.Lateness > timerMaxLateness ? report.Lateness : timerMaxLateness;
            due = Stopwatch.GetTimestamp() + period;
            Volatile.Write(ref timerDue, due);
            try
            {
                socket.Send("beat\n"u8);
            }
            catch (SocketException)
            {
                // The peer closed the connection: exactly what the customer saw.
            }
        }
    }
    catch (OperationCanceledException)
    {
    }
}

// Both heartbeats make the same promise; only who dispatches them differs.
HeartbeatOptions HeartbeatOptionsFor(string name) => new()
{
    Name = name,
    Mode = HeartbeatMode.FixedRate,
    Interval = heartbeatInterval,
    PeerIdleTimeout = idleTimeout,
    DriftWarningThreshold = TimeSpan.FromMilliseconds(250),
};

string TimerLateness()
{
    var overdue = Stopwatch.GetElapsedTime(Volatile.Read(ref timerDue));
    var worst = TimeSpan.FromTicks(Interlocked.Exchange(ref timerWorstSinceRow, 0));
    return overdue > TimeSpan.FromMilliseconds(100) ? $"{Late(overdue)} overdue" : Late(worst);
}

static void InterlockedMax(ref long target, long value)
{
    var current = Volatile.Read(ref target);
    while (value > current && Interlocked.CompareExchange(ref target, value, current) is var seen && seen != current)
    {
        current = seen;
    }
}

static Socket Connect(string name, IdleTimeoutProxy proxy, TcpKeepAliveOptions options)
{
    var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
    socket.Connect(proxy.EndPoint);
    Console.WriteLine($"{name,-14} socket: {socket.ConfigureKeepAlive(options)}");
    return socket;
}

static int LocalPort(Socket socket) => ((System.Net.IPEndPoint)socket.LocalEndPoint!).Port;

// Durations as the library writes them (KeepAliveDuration.Format): to the millisecond ("54ms", "7s3ms", "2s"), and a
// lateness under a millisecond to 10 µs ("420us"), so an on-time heartbeat shows how on time it was instead of "0s".
static string Late(TimeSpan lateness) =>
    KeepAliveDuration.Format(lateness, lateness < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMicroseconds(10) : TimeSpan.FromMilliseconds(1));

// "KILLED (2s4ms idle)" in the first row that sees the peer's close, "closed" after.
string Status(Socket socket)
{
    if (!(socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0))
    {
        return "open";
    }

    return killed.TryGetValue(LocalPort(socket), out var idle) && shownKilled.Add(LocalPort(socket)) ? $"KILLED ({Late(idle)} idle)" : "closed";
}
