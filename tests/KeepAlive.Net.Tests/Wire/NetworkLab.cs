using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using KeepAlive.Net.Tests.TestSupport;

namespace KeepAlive.Net.Tests.Wire;

/// <summary>
/// Two hosts on one machine: a client namespace and a server namespace joined through a bridge in a third
/// namespace, so the server's link can be cut while the client's own link stays up (as when a peer or a
/// middlebox dies). Everything is created by the test and removed on dispose.
/// </summary>
internal sealed class NetworkLab : IDisposable
{
    public const int ServerPort = 5000;
    private const string Prefix = "katest-";
    private static int _counter;

    private NetworkLab(string name) => Name = name;

    public string Name { get; }

    public string ClientNamespace => Name + "-c";

    public string BridgeNamespace => Name + "-m";

    public string ServerNamespace => Name + "-s";

    public static IPAddress ClientAddress { get; } = IPAddress.Parse("10.213.0.2");

    public static IPAddress ServerAddress { get; } = IPAddress.Parse("10.213.0.3");

    /// <summary>Creates the lab, or skips (fails in CI) with the reason when this machine cannot.</summary>
    public static NetworkLab Create()
    {
        TestEnvironment.Require(OperatingSystem.IsLinux(), "network namespaces need Linux");
        TestEnvironment.Require(TestEnvironment.IsRoot, $"network namespaces need root; running as '{Environment.UserName}'");
        TestEnvironment.Require(Run("ip", "-V").ExitCode == 0, "the 'ip' command (iproute2) is missing: apt-get install iproute2");
        RemoveStaleLabs();

        var lab = new NetworkLab(string.Create(CultureInfo.InvariantCulture, $"{Prefix}{Environment.ProcessId}-{Interlocked.Increment(ref _counter)}"));
        try
        {
            lab.Build();
        }
        catch (InvalidOperationException error)
        {
            lab.Dispose();
            TestEnvironment.Require(false, "could not build network namespaces: " + error.Message);
        }

        return lab;
    }

    /// <summary>Creates a TCP socket inside one of the lab's namespaces (a socket belongs to the namespace it was created in).</summary>
    public Socket CreateSocket(string netns) => NetworkNamespace.CreateSocket(netns);

    public Socket Listen()
    {
        var listener = CreateSocket(ServerNamespace);
        listener.Bind(new IPEndPoint(ServerAddress, ServerPort));
        listener.Listen(8);
        return listener;
    }

    /// <summary>Takes the server's port on the bridge down: frames to the server vanish without any error or ICMP.</summary>
    public void CutServerLink() => Ip("-n", BridgeNamespace, "link", "set", "ms", "down");

    public Process StartInNamespace(string netns, string command, params string[] arguments) => NetworkNamespace.Start(netns, command, arguments);

    public void Dispose()
    {
        foreach (var netns in new[] { ClientNamespace, BridgeNamespace, ServerNamespace })
        {
            Run("ip", "netns", "del", netns);
        }
    }

    private static void RemoveStaleLabs()
    {
        var list = Run("ip", "netns", "list").Output;
        foreach (var line in list.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = line.Split(' ')[0];
            var parts = name.Split('-');
            if (name.StartsWith(Prefix, StringComparison.Ordinal) && parts.Length == 4
                && int.TryParse(parts[1], CultureInfo.InvariantCulture, out var pid) && !ProcessIsAlive(pid))
            {
                Run("ip", "netns", "del", name);
            }
        }
    }

    private static bool ProcessIsAlive(int pid) => Directory.Exists("/proc/" + pid.ToString(CultureInfo.InvariantCulture));

    private static void Ip(params string[] arguments)
    {
        var result = Run("ip", arguments);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', arguments)} failed ({result.ExitCode}): {result.Output}");
        }
    }

    private static (int ExitCode, string Output) Run(string command, params string[] arguments) => NetworkNamespace.Run(command, arguments);

    private void Build()
    {
        foreach (var netns in new[] { ClientNamespace, BridgeNamespace, ServerNamespace })
        {
            Ip("netns", "add", netns);
            Ip("-n", netns, "link", "set", "lo", "up");
        }

        Ip("-n", BridgeNamespace, "link", "add", "br0", "type", "bridge");
        Ip("link", "add", "c0", "netns", ClientNamespace, "type", "veth", "peer", "name", "mc", "netns", BridgeNamespace);
        Ip("link", "add", "s0", "netns", ServerNamespace, "type", "veth", "peer", "name", "ms", "netns", BridgeNamespace);
        Ip("-n", BridgeNamespace, "link", "set", "mc", "master", "br0");
        Ip("-n", BridgeNamespace, "link", "set", "ms", "master", "br0");
        foreach (var port in new[] { "br0", "mc", "ms" })
        {
            Ip("-n", BridgeNamespace, "link", "set", port, "up");
        }

        Ip("-n", ClientNamespace, "addr", "add", ClientAddress + "/24", "dev", "c0");
        Ip("-n", ServerNamespace, "addr", "add", ServerAddress + "/24", "dev", "s0");
        Ip("-n", ClientNamespace, "link", "set", "c0", "up");
        Ip("-n", ServerNamespace, "link", "set", "s0", "up");
    }
}
