using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using KeepAlive.Net.Tool.Check;

namespace KeepAlive.Net.Tool.Doctor;

/// <summary>
/// One line of <c>/proc/PID/net/tcp</c> or <c>tcp6</c> (net/ipv4/tcp_ipv4.c <c>get_tcp4_sock</c>): what anyone may read
/// about a connection of the process's network namespace without privilege. Keep-alive values are not there, but the
/// timer column tells whether the keep-alive timer runs: <c>tr</c> 2 is <c>sk_timer</c>, armed only while
/// SO_KEEPALIVE is on, and shown only when no retransmission (1) or zero-window probe (4) timer is pending.
/// </summary>
/// <param name="Local">The local address and port.</param>
/// <param name="Remote">The remote address and port (0.0.0.0:0 for a listener).</param>
/// <param name="State">The TCP state name, as TCP_INFO names it.</param>
/// <param name="Timer">The pending timer: 0 none, 1 retransmission, 2 keep-alive, 3 TIME_WAIT, 4 zero-window probe.</param>
/// <param name="TimerDue">When that timer fires (clock ticks of 1/100 s in the file).</param>
/// <param name="Inode">The socket's inode, as in <c>/proc/PID/fd/N -> socket:[inode]</c>.</param>
internal sealed record ProcNetTcp(IPEndPoint Local, IPEndPoint Remote, string State, int Timer, TimeSpan TimerDue, long Inode)
{
    public const int NoTimer = 0;
    public const int RetransmitTimer = 1;
    public const int KeepAliveTimer = 2;

    /// <summary>Whether keep-alive is on, as far as the timer column tells: <see langword="null"/> while another timer hides it.</summary>
    public bool? KeepAliveFromTimer => Timer switch
    {
        KeepAliveTimer => true,
        NoTimer when State == "ESTABLISHED" => false,
        _ => null,
    };

    /// <summary>Reads both tables of the process's network namespace, by inode; missing files are skipped.</summary>
    public static Dictionary<long, ProcNetTcp> Read(int pid)
    {
        var byInode = new Dictionary<long, ProcNetTcp>();
        foreach (var file in new[] { "tcp", "tcp6" })
        {
            var path = string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/net/{file}");
            string[] lines;
            try
            {
                lines = File.ReadAllLines(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            foreach (var line in lines.Skip(1))
            {
                if (Parse(line) is { } entry)
                {
                    byInode.TryAdd(entry.Inode, entry);
                }
            }
        }

        return byInode;
    }

    /// <summary>Parses one line: <c>sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...</c>.</summary>
    public static ProcNetTcp? Parse(string line)
    {
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 10 || fields[5].Split(':') is not [var timer, var when])
        {
            return null;
        }

        return Address(fields[1]) is { } local && Address(fields[2]) is { } remote
            && int.TryParse(fields[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var state)
            && int.TryParse(timer, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var tr)
            && long.TryParse(when, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var ticks)
            && long.TryParse(fields[9], NumberStyles.Integer, CultureInfo.InvariantCulture, out var inode)
            ? new ProcNetTcp(local, remote, TcpInfoSnapshot.StateName(state), tr, TimeSpan.FromMilliseconds(ticks * 10), inode)
            : null;
    }

    /// <summary>"0100007F:1F90" (IPv4) or 32 hex digits (IPv6): 32-bit words printed in host order, then the port.</summary>
    private static IPEndPoint? Address(string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon is not (8 or 32) || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var port))
        {
            return null;
        }

        var bytes = new byte[colon / 2];
        for (var word = 0; word < colon / 8; word++)
        {
            if (!uint.TryParse(text.AsSpan(word * 8, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var value))
            {
                return null;
            }

            if (BitConverter.IsLittleEndian)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(word * 4), value);
            }
            else
            {
                BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(word * 4), value);
            }
        }

        return new IPEndPoint(new IPAddress(bytes), port);
    }
}
