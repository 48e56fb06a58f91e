using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace KeepAlive.Net.Tests.TestSupport;

/// <summary>
/// A real server (redis-server, postgres, rabbitmq-server, nats-server) that a test started in a network namespace of
/// its own, or on this host's loopback. Dispose kills it and removes its data directory; a lab's Dispose also kills
/// whatever still runs in its namespaces, and a process exit kills what a crashed fixture left behind.
/// </summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly string _dataDirectory;

    private ServerProcess(string name, Process process, IPEndPoint endPoint, string dataDirectory)
    {
        Name = name;
        _process = process;
        EndPoint = endPoint;
        _dataDirectory = dataDirectory;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Dispose();
    }

    public string Name { get; }

    /// <summary>Gets where the server listens.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>Gets what the server printed so far (for failure messages).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Makes a fresh data directory for a server, owned by <paramref name="owner"/> when given (PostgreSQL refuses root).</summary>
    public static string CreateDataDirectory(string name, string? owner = null)
    {
        var path = Path.Combine(Path.GetTempPath(), string.Create(CultureInfo.InvariantCulture, $"kaclients-{Environment.ProcessId}-{name}-{Guid.NewGuid():N}"));
        Directory.CreateDirectory(path);
        if (owner is not null)
        {
            Check(NetworkNamespace.Run("chown", "-R", owner, path), "chown");
        }

        return path;
    }

    /// <summary>
    /// Starts <paramref name="command"/> in namespace <paramref name="netns"/> (or on this host when <see langword="null"/>)
    /// and waits until <paramref name="endPoint"/> accepts connections.
    /// </summary>
    public static ServerProcess Start(string name, string? netns, IPEndPoint endPoint, string dataDirectory, TimeSpan startTimeout,
        IReadOnlyDictionary<string, string>? environment, string command, params string[] arguments)
    {
        TestEnvironment.Require(File.Exists(command) || NetworkNamespace.Run("which", command).ExitCode == 0,
            $"{name} is not installed ({command}): apt-get install it (.ci/run does)");
        var start = new ProcessStartInfo(netns is null ? command : "ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dataDirectory,
        };
        foreach (var argument in (netns is null ? [] : new[] { "netns", "exec", netns, command }).Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + command);
        var server = new ServerProcess(name, process, endPoint, dataDirectory);
        try
        {
            server.WaitUntilListening(netns, startTimeout);
        }
        catch
        {
            server.Dispose();
            throw;
        }

        return server;
    }

    /// <summary>
    /// Stops the server without closing anything (SIGSTOP): its kernel still acknowledges TCP, but it answers nothing, as a
    /// hung server does. Disposing the result lets it run again (SIGCONT).
    /// </summary>
    public IDisposable Freeze()
    {
        // The whole tree: rabbitmq-server is a script whose child (beam.smp) is the broker.
        var tree = Tree(_process.Id).Select(static id => id.ToString(CultureInfo.InvariantCulture)).ToArray();
        Check(NetworkNamespace.Run("kill", ["-STOP", .. tree]), "kill -STOP");
        return new Thaw(tree);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        try
        {
            if (Directory.Exists(_dataDirectory))
            {
                Directory.Delete(_dataDirectory, recursive: true);
            }
        }
        catch (IOException)
        {
            // A file still held by a dying child: the next run's temp cleanup takes it.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static IEnumerable<int> Tree(int processId) =>
        new[] { processId }.Concat(Directory.EnumerateDirectories($"/proc/{processId}/task")
            .SelectMany(static task => File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .SelectMany(static child => Tree(int.Parse(child, CultureInfo.InvariantCulture))));

    private sealed class Thaw(string[] processIds) : IDisposable
    {
        public void Dispose() => NetworkNamespace.Run("kill", ["-CONT", .. processIds]);
    }

    private static void Check((int ExitCode, string Output) result, string what)
    {
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{what} failed ({result.ExitCode}): {result.Output}");
        }
    }

    private void WaitUntilListening(string? netns, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode} before listening on {EndPoint}: {Output}");
            }

            using var probe = netns is null ? new Socket(EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) : NetworkNamespace.CreateSocket(netns);
            try
            {
                probe.Connect(EndPoint);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(100);
            }
        }

        throw new TimeoutException($"{Name} did not listen on {EndPoint} within {timeout}: {Output}");
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}
