using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace KeepAlive.Net.Tests.TestSupport;

/// <summary>Runs commands and creates sockets inside Linux network namespaces (shared by the wire tests of several test projects).</summary>
internal static partial class NetworkNamespace
{
    private const int CloneNewNet = 0x40000000;

    /// <summary>Creates a TCP socket inside a namespace (a socket belongs to the namespace it was created in).</summary>
    public static Socket CreateSocket(string netns, AddressFamily family = AddressFamily.InterNetwork) =>
        RunInside(netns, () => new Socket(family, SocketType.Stream, ProtocolType.Tcp));

    /// <summary>
    /// Runs <paramref name="work"/> on a new thread that entered the namespace, and returns its result: every socket the
    /// work creates on that thread lives in the namespace. For client libraries that open their own sockets synchronously
    /// on the calling thread (Npgsql's <c>Open()</c>, StackExchange.Redis's <c>Connect()</c>).
    /// </summary>
    public static T RunInside<T>(string netns, Func<T> work)
    {
        T? result = default;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using (var handle = File.OpenHandle("/run/netns/" + netns))
                {
                    if (SetNs((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                    {
                        throw new InvalidOperationException($"setns({netns}) failed with errno {Marshal.GetLastPInvokeError()}");
                    }
                }

                // This thread now lives in the namespace and ends right after: nothing else runs there.
                result = work();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        return failure is null ? result! : throw new InvalidOperationException($"could not run inside {netns}: {failure.Message}", failure);
    }

    /// <summary>Runs a command to completion and returns its exit code and output (standard output then standard error).</summary>
    public static (int ExitCode, string Output) Run(string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd() + error.GetAwaiter().GetResult();
            process.WaitForExit();
            return (process.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }

    /// <summary>Starts a command inside a namespace (<c>ip netns exec</c>), output redirected.</summary>
    public static Process Start(string netns, string command, params string[] arguments)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "netns", "exec", netns, command }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("could not start " + command);
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);
}
