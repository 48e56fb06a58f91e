using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using KeepAlive.Net.Tool.Cli;
using KeepAlive.Net.Tool.Show;
using Spectre.Console;

namespace KeepAlive.Net.Tool.Check;

/// <summary>Holds a connection, sends the optional heartbeat, and shows the kernel's counters until the connection dies or the hold ends.</summary>
internal sealed class ConnectionWatch(ToolConsole console, Socket socket, KeepAliveSettings applied, KernelDefaults kernel, CheckRequest request)
{
    private static readonly TimeSpan Refresh = TimeSpan.FromMilliseconds(500);
    private readonly long _started = Stopwatch.GetTimestamp();
    private long _lastReceived = Stopwatch.GetTimestamp();
    private long _bytesSent;
    private long _bytesReceived;
    private uint _lastUnacked;
    private HeartbeatRegistration? _heartbeat;

    public async Task<CheckOutcome> RunAsync(CancellationToken cancellationToken)
    {
        // Not cancelled with the hold: a receive cancelled by Ctrl-C would end the run as an error instead of 'alive'.
        var receive = ReceiveAsync();
        var sent = request.SentHeartbeat;
        await using var scheduler = sent is null ? null : new HeartbeatScheduler();
        _heartbeat = scheduler?.Register(sent!, SendHeartbeatAsync);
        try
        {
            if (console.Ansi.Profile.Capabilities.Interactive)
            {
                await console.Ansi.Live(Status()).StartAsync(async live =>
                {
                    while (await WaitAsync(receive, cancellationToken))
                    {
                        live.UpdateTarget(Status());
                    }

                    live.UpdateTarget(Status());
                });
            }
            else
            {
                var printed = 0L;
                while (await WaitAsync(receive, cancellationToken))
                {
                    var second = (long)Stopwatch.GetElapsedTime(_started).TotalSeconds;
                    if (second > printed)
                    {
                        printed = second;
                        await console.Out.WriteLineAsync(Line());
                    }
                }

                await console.Out.WriteLineAsync(Line());
            }
        }
        finally
        {
            _heartbeat?.Dispose();
        }

        var statistics = _heartbeat?.GetStatistics();
        if (!receive.IsCompleted)
        {
            // Close gracefully (FIN): disposing a socket with a receive pending would reset the connection.
            socket.Shutdown(SocketShutdown.Both);
            await ((Task)receive).WaitAsync(TimeSpan.FromSeconds(2), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            var held = Stopwatch.GetElapsedTime(_started);
            return new CheckOutcome(false, "alive", held, Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastReceived)), null, string.Empty, statistics,
                cancellationToken.IsCancellationRequested && held < request.Hold ? request.Hold : null);
        }

        var how = await receive;
        var inFlight = _lastUnacked > 0;
        var (bound, boundHow) = inFlight ? Detection.WhenDataInFlight(applied, kernel) : (Detection.WhenIdle(applied), "idle + interval x probes, or the user timeout");
        // The kernel knows best when the peer was last heard (its last ACK); our own clock only sees data.
        var heard = TcpInfoSnapshot.TryRead(socket)?.SinceLastAckReceived ?? Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastReceived));
        return new CheckOutcome(true, how, Stopwatch.GetElapsedTime(_started), heard, bound,
            inFlight ? boundHow + ", data was in flight" : boundHow, statistics);
    }

    private async Task<bool> WaitAsync(Task receive, CancellationToken cancellationToken)
    {
        if (receive.IsCompleted || Stopwatch.GetElapsedTime(_started) >= request.Hold)
        {
            return false;
        }

        await Task.WhenAny(receive, Task.Delay(Refresh, cancellationToken));
        return !receive.IsCompleted && !cancellationToken.IsCancellationRequested && Stopwatch.GetElapsedTime(_started) < request.Hold;
    }

    private async Task<string> ReceiveAsync()
    {
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, SocketFlags.None);
                if (received == 0)
                {
                    return "FIN from the peer (it closed the connection)";
                }

                Interlocked.Add(ref _bytesReceived, received);
                Interlocked.Exchange(ref _lastReceived, Stopwatch.GetTimestamp());
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return "RST from the peer (connection reset)";
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
        {
            return CheckOutcome.TimedOutPrefix + ": the kernel gave up on a silent peer (keep-alive probes or retransmissions went unanswered)";
        }
        catch (SocketException e)
        {
            return $"socket error {e.SocketErrorCode} ({e.Message})";
        }
    }

    private async ValueTask SendHeartbeatAsync(HeartbeatContext context)
    {
        var bytes = Encoding.UTF8.GetBytes(request.Heartbeat!);
        var sent = await socket.SendAsync(bytes, SocketFlags.None, context.CancellationToken);
        Interlocked.Add(ref _bytesSent, sent);
    }

    private Table Status()
    {
        var info = ReadTcpInfo();
        var table = Plain.Table($"{request.Target}: held {Units.Time(Seconds(Stopwatch.GetElapsedTime(_started)))} of {Units.Time(request.Hold)}", "counter", "value")
            .Row("bytes sent / received", string.Create(CultureInfo.InvariantCulture, $"{Interlocked.Read(ref _bytesSent)} / {Interlocked.Read(ref _bytesReceived)}"))
            .Row("since data received (our clock)", Units.Time(Seconds(Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastReceived)))));
        if (info is null)
        {
            table.Row("TCP_INFO", OperatingSystem.IsLinux() ? "unavailable: the socket is closed" : "unavailable: TCP_INFO is read on Linux only");
        }
        else
        {
            table.Row("state (TCP_INFO)", info.State)
                .Row("since data sent / received", $"{Units.Time(info.SinceLastDataSent)} / {Units.Time(info.SinceLastDataReceived)}")
                .Row("since last ACK received", Units.Time(info.SinceLastAckReceived))
                .Row("keep-alive probes out", Units.Number(info.ProbesOut))
                .Row("retransmits (now / total)", string.Create(CultureInfo.InvariantCulture, $"{info.Retransmits} / {info.TotalRetransmits}"))
                .Row("unacknowledged segments", Units.Number(info.Unacked))
                .Row("round trip", Units.Time(info.RoundTrip));
        }

        if (_heartbeat?.GetStatistics() is { } beats)
        {
            table.Row("heartbeats sent / late", string.Create(CultureInfo.InvariantCulture, $"{beats.Sent} / {beats.Delayed}"))
                .Row("heartbeat lateness (last / worst)", $"{Units.Time(beats.LastLateness)} / {Units.Time(beats.MaxLateness)}");
        }

        return table;
    }

    /// <summary>
    /// TCP_INFO now, remembering whether data was unacknowledged while the connection was open: once the kernel gives up
    /// it purges its send queue (unacked 0, state CLOSE), and the last look after the death must not erase that data was
    /// in flight, which decides the bound the death is judged against.
    /// </summary>
    private TcpInfoSnapshot? ReadTcpInfo()
    {
        var info = TcpInfoSnapshot.TryRead(socket);
        if (info is { State: not "CLOSE" })
        {
            _lastUnacked = info.Unacked;
        }

        return info;
    }

    /// <summary>One line a second when the output is not a terminal: key=value pairs, times in the tool's one style.</summary>
    private string Line()
    {
        var info = ReadTcpInfo();
        var text = new StringBuilder(string.Create(CultureInfo.InvariantCulture,
            $"t={Units.Time(Seconds(Stopwatch.GetElapsedTime(_started)))} sent={Interlocked.Read(ref _bytesSent)}B received={Interlocked.Read(ref _bytesReceived)}B"));
        text.Append(info is null ? " tcp_info=unavailable" : string.Create(CultureInfo.InvariantCulture,
            $" state={info.State} probes={info.ProbesOut} retransmits={info.Retransmits}/{info.TotalRetransmits} unacked={info.Unacked} last_recv={Units.Time(Seconds(info.SinceLastDataReceived))} last_ack={Units.Time(Seconds(info.SinceLastAckReceived))}"));
        if (_heartbeat?.GetStatistics() is { } beats)
        {
            text.Append(CultureInfo.InvariantCulture, $" heartbeats={beats.Sent} late={beats.Delayed} max_lateness={Units.Time(beats.MaxLateness)}");
        }

        return text.ToString();
    }

    private static TimeSpan Seconds(TimeSpan value) => TimeSpan.FromSeconds(Math.Round(value.TotalSeconds, 1));
}
