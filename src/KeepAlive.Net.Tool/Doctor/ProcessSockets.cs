using System.Globalization;
using KeepAlive.Net.Tcp.Backends;
using KeepAlive.Net.Tool.Check;

namespace KeepAlive.Net.Tool.Doctor;

/// <summary>
/// Every TCP socket a Linux process holds, read from the kernel: the descriptors from <c>/proc/PID/fd</c>, each
/// duplicated with <c>pidfd_getfd</c> (root, or CAP_SYS_PTRACE, or the process's own user where ptrace is allowed)
/// and read with getsockopt; what cannot be duplicated is described from <c>/proc/PID/net/tcp{,6}</c>, which anyone
/// may read, with the reason.
/// </summary>
/// <param name="Pid">The process.</param>
/// <param name="Command">Its name (<c>/proc/PID/comm</c>).</param>
/// <param name="Sockets">Its TCP sockets, in descriptor order.</param>
/// <param name="Limitation">What could not be read and why, or <see langword="null"/> when everything was.</param>
internal sealed record ProcessSockets(int Pid, string Command, IReadOnlyList<SocketReading> Sockets, string? Limitation)
{
    private const int Eperm = 1;
    private const int Esrch = 3;
    private const int Ebadf = 9;
    private const int Eacces = 13;
    private const int Enosys = 38;
    private const int Enotsock = 88;

    /// <param name="pid">The process.</param>
    /// <param name="duplicate">
    /// <see langword="false"/> reads only what an unprivileged user can (/proc), as when pidfd_getfd is refused; tests
    /// use it to check that path on a machine where they run as root.
    /// </param>
    /// <param name="cancellationToken">Stops the reading at the next descriptor (Ctrl-C or SIGTERM on a process holding many sockets).</param>
    /// <exception cref="ToolInputException">No such process, or its descriptors may not be listed (exit code 2).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static ProcessSockets Read(int pid, bool duplicate = true, CancellationToken cancellationToken = default)
    {
        var proc = string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}");
        if (pid <= 0 || !Directory.Exists(proc))
        {
            throw new ToolInputException(string.Create(CultureInfo.InvariantCulture, $"--pid {pid}: no such process (nothing at {proc}). Fix: give the number 'ps -e' or 'pgrep NAME' shows for the running service."));
        }

        if (Status(proc, "Tgid") is { } tgid && tgid != pid.ToString(CultureInfo.InvariantCulture))
        {
            throw new ToolInputException(string.Create(CultureInfo.InvariantCulture,
                $"--pid {pid}: a thread of process {tgid} (Tgid in {proc}/status), not a process; the sockets belong to the process. Fix: run again with --pid {tgid}."));
        }

        var descriptors = SocketDescriptors(pid, proc, cancellationToken);
        var table = ProcNetTcp.Read(pid);
        var (process, openError) = duplicate ? LinuxProcessFiles.OpenProcess(pid) : (null, Eperm);
        string? limitation = openError == 0 ? null : Refusal(duplicate ? "pidfd_open" : "pidfd_getfd", openError, pid);
        var sockets = new List<SocketReading>();
        using (process)
        {
            foreach (var (fd, inode) in descriptors)
            {
                cancellationToken.ThrowIfCancellationRequested();
                table.TryGetValue(inode, out var line);
                if (process is not null)
                {
                    var (copy, error) = LinuxProcessFiles.Duplicate(process, fd);
                    if (copy is not null)
                    {
                        using (copy)
                        {
                            if (ReadCopy(fd, inode, copy, line) is { } reading)
                            {
                                sockets.Add(reading);
                            }
                        }

                        continue;
                    }

                    if (error == Ebadf)
                    {
                        continue; // closed since /proc listed it
                    }

                    limitation ??= Refusal("pidfd_getfd", error, pid);
                }

                if (line is not null)
                {
                    sockets.Add(new SocketReading
                    {
                        Fd = fd, Inode = inode, Local = line.Local, Remote = line.Remote, State = line.State, Proc = line, Unreadable = limitation,
                    });
                }
            }
        }

        // Checked after reading: a process that ended before or while it was read (a zombie keeps /proc/PID but no
        // descriptors) has closed its sockets, which must not read as 'no sockets, all fine'.
        if (Status(proc, "State") is null or ['Z' or 'X', ..])
        {
            throw new ToolInputException(Ended(pid));
        }

        return new ProcessSockets(pid, Comm(proc), sockets, limitation);
    }

    private static string Ended(int pid) => string.Create(CultureInfo.InvariantCulture,
        $"--pid {pid}: the process ended (it is a zombie or gone) before or while doctor read it, so its sockets are closed and nothing was judged. Fix: run doctor while the process runs.");

    /// <summary>A field of /proc/PID/status ("Tgid", "State"), or <see langword="null"/> when the process is gone.</summary>
    private static string? Status(string proc, string field)
    {
        try
        {
            return File.ReadLines(proc + "/status").FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal))?[(field.Length + 1)..].Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static SocketReading? ReadCopy(int fd, long inode, LinuxProcessFiles.SafeFileDescriptor copy, ProcNetTcp? line)
    {
        int Int(int name) => LinuxProcessFiles.GetSocketInt32(copy, name);
        if (Int(LinuxProcessFiles.SoType) != LinuxProcessFiles.SockStream || Int(LinuxProcessFiles.SoProtocol) != LinuxProcessFiles.IpProtoTcp
            || Int(LinuxProcessFiles.SoDomain) is not (LinuxProcessFiles.AfInet or LinuxProcessFiles.AfInet6))
        {
            return null; // a Unix, UDP, netlink... socket
        }

        var buffer = new byte[TcpInfoSnapshot.BufferLength];
        var length = LinuxProcessFiles.GetOption(copy, TcpInfoSnapshot.Level, TcpInfoSnapshot.Name, buffer);
        var info = length > 0 ? TcpInfoSnapshot.Parse(buffer.AsSpan(0, length)) : null;
        KeepAliveSettings? settings = null;
        string? unreadable = null;
        try
        {
            // The library's own Linux backend, reading the copy exactly as GetKeepAlive() reads a socket of ours.
            settings = KeepAliveBackends.For(KeepAlivePlatform.Linux).Read(new DuplicatedSocket(copy), KeepAliveCapabilities.For(KeepAlivePlatform.Linux), null);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            unreadable = $"getsockopt failed: {e.Message}";
        }

        return new SocketReading
        {
            Fd = fd,
            Inode = inode,
            Local = LinuxProcessFiles.GetAddress(copy, peer: false),
            // Until the handshake ends getpeername fails (SYN_SENT); /proc/PID/net/tcp names the peer being connected to.
            Remote = LinuxProcessFiles.GetAddress(copy, peer: true) ?? line?.Remote,
            State = info?.State ?? line?.State ?? "UNKNOWN",
            Settings = settings,
            Info = info,
            Proc = line,
            Unreadable = unreadable,
        };
    }

    /// <summary>The process's sockets, each with its lowest descriptor and its inode, from the links in /proc/PID/fd.</summary>
    private static List<(int Fd, long Inode)> SocketDescriptors(int pid, string proc, CancellationToken cancellationToken)
    {
        IEnumerable<string> entries;
        try
        {
            entries = Directory.GetFileSystemEntries(proc + "/fd");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ToolInputException(string.Create(CultureInfo.InvariantCulture,
                $"--pid {pid}: not permitted to list the process's file descriptors ({proc}/fd belongs to its user). Fix: run doctor as root (sudo keepalive doctor --pid {pid}) or as the process's own user."), e);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new ToolInputException(Ended(pid), e);
        }

        var sockets = new List<(int Fd, long Inode)>();
        foreach (var entry in entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (target, errno) = LinuxProcessFiles.ReadLink(entry);
            if (errno is Eacces or Eperm)
            {
                throw new ToolInputException(string.Create(CultureInfo.InvariantCulture,
                    $"--pid {pid}: not permitted to read where the process's file descriptors point (readlink {entry}: permission denied), so its sockets cannot even be listed. That needs the right to ptrace it: {PtraceAdvice(pid)}."));
            }

            // Any other error (ENOENT): the descriptor was closed while listing.

            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal) && target.EndsWith(']')
                && long.TryParse(target.AsSpan(8, target.Length - 9), NumberStyles.None, CultureInfo.InvariantCulture, out var inode)
                && int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var fd))
            {
                sockets.Add((fd, inode));
            }
        }

        // One socket held under several descriptors (dup, or fds 0 and 1 of a socket-activated service) is one
        // connection: it is read once, under its lowest descriptor.
        sockets.Sort();
        return [.. sockets.DistinctBy(static s => s.Inode)];
    }

    private static string Refusal(string call, int errno, int pid) => errno switch
    {
        Eperm or Eacces => string.Create(CultureInfo.InvariantCulture,
            $"{call} was refused (EPERM): reading the keep-alive options of another process's sockets needs the right to ptrace it: {PtraceAdvice(pid)}. Without it only /proc/{pid}/net/tcp is read: endpoints, state and whether the keep-alive timer runs, not the values"),
        Enosys => $"{call} does not exist on this kernel (ENOSYS; pidfd_getfd needs Linux 5.6): only /proc/{pid}/net/tcp is read: endpoints, state and whether the keep-alive timer runs, not the values",
        Esrch => $"{call}: the process ended (ESRCH)",
        Enotsock => $"{call}: not a socket (ENOTSOCK)",
        _ => string.Create(CultureInfo.InvariantCulture, $"{call} failed with errno {errno}"),
    };

    /// <summary>
    /// How to get the right to ptrace the process, for the privileges this tool holds (<c>/proc/self/status</c>): sudo
    /// helps a user without them; root without CAP_SYS_PTRACE (a container's default) needs the capability added, which
    /// sudo does not give back; and a refusal despite CAP_SYS_PTRACE comes from a Linux security module, which
    /// neither changes (pid 1 of a sandbox that confines its sessions with Landlock reads so).
    /// </summary>
    private static string PtraceAdvice(int pid)
    {
        const int CapSysPtrace = 19;
        var root = Status("/proc/self", "Uid")?.Split('\t', StringSplitOptions.RemoveEmptyEntries) is [_, "0", ..];
        var ptrace = ulong.TryParse(Status("/proc/self", "CapEff"), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var capabilities)
            && (capabilities & (1UL << CapSysPtrace)) != 0;
        return (root, ptrace) switch
        {
            (_, true) => $"doctor already runs as {(root ? "root" : "a user")} with CAP_SYS_PTRACE, so sudo would not help: the kernel refused it all the same, so a Linux security module denies it (Landlock or a BPF LSM of a sandbox or container runtime that confines its processes, SELinux or AppArmor policy, Yama's kernel.yama.ptrace_scope 3), or the process is in a user namespace this tool's capabilities do not reach. Fix: run doctor where that policy lets it ptrace the process: outside the sandbox, or inside the process's own container (docker exec, kubectl debug --target)",
            (true, false) => "doctor runs as root but without CAP_SYS_PTRACE (a container's default), which sudo does not give back. Fix: add the capability (docker run --cap-add SYS_PTRACE; Kubernetes securityContext.capabilities.add: [\"SYS_PTRACE\"]), or run doctor on the host",
            _ => string.Create(CultureInfo.InvariantCulture, $"root with CAP_SYS_PTRACE, or its own user where kernel.yama.ptrace_scope allows and the process holds no capability this user lacks (a service given AmbientCapabilities= or file capabilities) and did not change user. Fix: run 'sudo keepalive doctor --pid {pid}'"),
        };
    }

    private static string Comm(string proc)
    {
        try
        {
            return File.ReadAllText(proc + "/comm").Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "?";
        }
    }
}
