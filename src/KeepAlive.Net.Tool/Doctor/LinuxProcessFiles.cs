using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace KeepAlive.Net.Tool.Doctor;

/// <summary>
/// The Linux calls <c>doctor</c> needs to look inside another process's sockets: <c>pidfd_open(2)</c> and
/// <c>pidfd_getfd(2)</c> (Linux 5.6+, through <c>syscall(2)</c> so older C libraries work too) duplicate one of its
/// file descriptors into this process (the same open socket, read only: nothing is set, nothing is closed but the
/// copy), then <c>getsockopt</c>, <c>getsockname</c> and <c>getpeername</c> read it.
/// </summary>
internal static partial class LinuxProcessFiles
{
    // Syscall numbers of the unified table (x86_64, arm64, arm, riscv64 alike): include/uapi/asm-generic/unistd.h.
    private const long SysPidfdOpen = 434;
    private const long SysPidfdGetfd = 438;

    public const int SolSocket = 1;
    public const int SoType = 3;
    public const int SoProtocol = 38;
    public const int SoDomain = 39;
    public const int SockStream = 1;
    public const int IpProtoTcp = 6;
    public const int AfInet = 2;
    public const int AfInet6 = 10;

    /// <summary>A descriptor that refers to process <paramref name="pid"/>, or the errno that refused it.</summary>
    public static (SafeFileDescriptor? Descriptor, int Errno) OpenProcess(int pid)
    {
        var fd = Syscall(SysPidfdOpen, pid, 0, 0);
        return fd < 0 ? (null, Marshal.GetLastPInvokeError()) : (new SafeFileDescriptor((int)fd), 0);
    }

    /// <summary>This process's copy of file descriptor <paramref name="fd"/> of the process, or the errno that refused it.</summary>
    public static (SafeFileDescriptor? Descriptor, int Errno) Duplicate(SafeFileDescriptor process, int fd)
    {
        var copy = Syscall(SysPidfdGetfd, process.Value, fd, 0);
        return copy < 0 ? (null, Marshal.GetLastPInvokeError()) : (new SafeFileDescriptor((int)copy), 0);
    }

    /// <summary>
    /// Where a symbolic link such as <c>/proc/PID/fd/3</c> points, or the errno that refused it: .NET's
    /// <see cref="FileSystemInfo.LinkTarget"/> answers <see langword="null"/> alike for a link closed meanwhile (ENOENT)
    /// and one this process may not read (EACCES, without the right to ptrace the process).
    /// </summary>
    public static unsafe (string? Target, int Errno) ReadLink(string path)
    {
        var buffer = stackalloc byte[4096];
        var length = ReadLinkNative(path, buffer, 4096);
        return length < 0 ? (null, Marshal.GetLastPInvokeError()) : (System.Text.Encoding.UTF8.GetString(buffer, (int)length), 0);
    }

    /// <summary>An int option at SOL_SOCKET, or -1 when it cannot be read.</summary>
    public static int GetSocketInt32(SafeFileDescriptor socket, int name)
    {
        Span<byte> word = stackalloc byte[sizeof(int)];
        return GetOption(socket, SolSocket, name, word) == sizeof(int) ? BinaryPrimitives.ReadInt32LittleEndian(word) : -1;
    }

    /// <summary>getsockopt into <paramref name="value"/>; the length written, or -errno.</summary>
    public static unsafe int GetOption(SafeFileDescriptor socket, int level, int name, Span<byte> value)
    {
        var length = (uint)value.Length;
        fixed (byte* pointer = value)
        {
            return GetSockOpt(socket.Value, level, name, pointer, &length) == 0 ? (int)length : -Marshal.GetLastPInvokeError();
        }
    }

    /// <summary>The socket's local (<paramref name="peer"/> false) or remote address, or <see langword="null"/> when it has none.</summary>
    public static unsafe IPEndPoint? GetAddress(SafeFileDescriptor socket, bool peer)
    {
        Span<byte> address = stackalloc byte[128];
        var length = (uint)address.Length;
        int result;
        fixed (byte* pointer = address)
        {
            result = peer ? GetPeerName(socket.Value, pointer, &length) : GetSockName(socket.Value, pointer, &length);
        }

        return result == 0 ? Decode(address[..(int)Math.Min(length, (uint)address.Length)]) : null;
    }

    /// <summary>Decodes a sockaddr_in or sockaddr_in6 (family in host order, port and address in network order).</summary>
    public static IPEndPoint? Decode(ReadOnlySpan<byte> sockaddr)
    {
        if (sockaddr.Length < 8)
        {
            return null;
        }

        var family = BinaryPrimitives.ReadUInt16LittleEndian(sockaddr);
        var port = BinaryPrimitives.ReadUInt16BigEndian(sockaddr[2..]);
        return family switch
        {
            AfInet => new IPEndPoint(new IPAddress(sockaddr.Slice(4, 4)), port),
            AfInet6 when sockaddr.Length >= 28 => new IPEndPoint(new IPAddress(sockaddr.Slice(8, 16), BinaryPrimitives.ReadUInt32LittleEndian(sockaddr[24..])), port),
            _ => null,
        };
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long first, long second, long third);

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    private static unsafe partial int GetSockOpt(int socket, int level, int name, byte* value, uint* length);

    [LibraryImport("libc", EntryPoint = "getsockname", SetLastError = true)]
    private static unsafe partial int GetSockName(int socket, byte* address, uint* length);

    [LibraryImport("libc", EntryPoint = "getpeername", SetLastError = true)]
    private static unsafe partial int GetPeerName(int socket, byte* address, uint* length);

    [LibraryImport("libc", EntryPoint = "readlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial nint ReadLinkNative(string path, byte* buffer, nuint size);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int CloseDescriptor(int fd);

    /// <summary>A file descriptor of this process, closed once: closing a copy leaves the other process's socket as it was.</summary>
    internal sealed class SafeFileDescriptor(int fd) : SafeHandle(new IntPtr(fd), ownsHandle: true)
    {
        public int Value => (int)handle;

        public override bool IsInvalid => handle < 0;

        protected override bool ReleaseHandle() => CloseDescriptor((int)handle) == 0;
    }
}
