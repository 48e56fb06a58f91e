using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace KeepAlive.Net.Tests.TestSupport;

/// <summary>
/// A client and a server in network namespaces of their own, routed through a third "middle" namespace that can
/// silently drop everything (a peer that vanishes) or be a conntrack NAT with a short established-idle timeout
/// (a middlebox that forgets idle flows). Everything is created by the test and removed on dispose.
/// </summary>
internal sealed class RoutedLab : IDisposable
{
    public const int ServerPort = 47001;
    private const string Prefix = "katool-";
    private static int _counter;

    private RoutedLab(string name) => Name = name;

    public string Name { get; }

    public string Client => Name + "-c";

    public string Middle => Name + "-m";

    public string Server => Name + "-s";

    public static IPAddress ClientAddress { get; } = IPAddress.Parse("10.214.1.2");

    public static IPAddress ServerAddress { get; } = IPAddress.Parse("10.214.2.2");

    public static IPEndPoint ServerEndPoint { get; } = new(ServerAddress, ServerPort);

    /// <summary>Creates the lab; with <paramref name="natIdleTimeoutSeconds"/> the middle masquerades and forgets flows idle that long.</summary>
    public static RoutedLab Create(int? natIdleTimeoutSeconds = null)
    {
        TestEnvironment.Require(OperatingSystem.IsLinux(), "network namespaces need Linux");
        TestEnvironment.Require(TestEnvironment.IsRoot, $"network namespaces need root; running as '{Environment.UserName}'");
        TestEnvironment.Require(NetworkNamespace.Run("ip", "-V").ExitCode == 0, "the 'ip' command (iproute2) is missing: apt-get install iproute2");
        TestEnvironment.Require(NetworkNamespace.Run("tcpdump", "--version").ExitCode == 0, "tcpdump is missing: apt-get install tcpdump");
        if (natIdleTimeoutSeconds is not null)
        {
            TestEnvironment.Require(NetworkNamespace.Run("nft", "--version").ExitCode == 0, "nft is missing: apt-get install nftables");
        }

        RemoveStaleLabs();
        var lab = new RoutedLab(string.Create(CultureInfo.InvariantCulture, $"{Prefix}{Environment.ProcessId}-{Interlocked.Increment(ref _counter)}"));
        try
        {
            lab.Build();
            if (natIdleTimeoutSeconds is { } timeout)
            {
                lab.MakeNat(timeout);
            }
        }
        catch (InvalidOperationException error)
        {
            lab.Dispose();
            TestEnvironment.Require(false, "could not build the lab: " + error.Message);
        }

        return lab;
    }

    public Socket Listen(int backlog = 64)
    {
        var listener = NetworkNamespace.CreateSocket(Server);
        listener.Bind(ServerEndPoint);
        listener.Listen(backlog);
        return listener;
    }

    /// <summary>Takes the middle's link to the server down: the server vanishes for the client, with no RST and no ICMP.</summary>
    public void CutServerLink() => Ip("-n", Middle, "link", "set", "ms", "down");

    public Socket CreateClientSocket() => NetworkNamespace.CreateSocket(Client);

    /// <summary>The middle drops every packet from now on, silently: no RST, no ICMP, as when a peer loses power.</summary>
    public void DropEverything()
    {
        Exec(Middle, "nft", "add", "table", "inet", "cut");
        Exec(Middle, "nft", "add chain inet cut forward { type filter hook forward priority -10; policy drop; }");
    }

    /// <summary>Undoes <see cref="DropEverything"/>: the middle forwards again (connections the kernel already gave up on stay dead).</summary>
    public void RestoreLink() => NetworkNamespace.Run("ip", "netns", "exec", Middle, "nft", "delete", "table", "inet", "cut");

    /// <summary>
    /// With the NAT (<see cref="Create"/> with an idle timeout): a segment of a flow conntrack has forgotten is answered
    /// with a RST from the middle (nft <c>reject with tcp reset</c>) instead of being dropped, as AWS NLB answers the
    /// first segment after its idle timeout. The RST leaves the middle with a fresh TTL, one hop more than the server's.
    /// </summary>
    public void ResetForgottenFlows() =>
        Exec(Middle, "nft", "insert rule inet filter forward ct state invalid meta l4proto tcp reject with tcp reset");

    /// <summary>Starts tcpdump on the client's link, writing every TCP packet to <paramref name="path"/>.</summary>
    public PacketCapture StartCapture(string path) => PacketCapture.Start(Client, "c0", path);

    public void Dispose()
    {
        foreach (var netns in new[] { Client, Middle, Server })
        {
            Delete(netns);
        }
    }

    /// <summary>Kills every process still running in a namespace (a server a test started there), then deletes it, so no server outlives its lab.</summary>
    private static void Delete(string netns)
    {
        foreach (var pid in NetworkNamespace.Run("ip", "netns", "pids", netns).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (int.TryParse(pid, CultureInfo.InvariantCulture, out _))
            {
                NetworkNamespace.Run("kill", "-9", pid);
            }
        }

        NetworkNamespace.Run("ip", "netns", "del", netns);
    }

    private static void RemoveStaleLabs()
    {
        foreach (var line in NetworkNamespace.Run("ip", "netns", "list").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = line.Split(' ')[0];
            var parts = name.Split('-');
            if (name.StartsWith(Prefix, StringComparison.Ordinal) && parts.Length == 4
                && int.TryParse(parts[1], CultureInfo.InvariantCulture, out var pid) && !Directory.Exists("/proc/" + pid.ToString(CultureInfo.InvariantCulture)))
            {
                Delete(name);
            }
        }
    }

    private static void Exec(string netns, string command, params string[] arguments) =>
        Check(NetworkNamespace.Run("ip", ["netns", "exec", netns, command, .. arguments]), command, arguments);

    private static void Ip(params string[] arguments) => Check(NetworkNamespace.Run("ip", arguments), "ip", arguments);

    private static void Check((int ExitCode, string Output) result, string command, string[] arguments)
    {
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{command} {string.Join(' ', arguments)} failed ({result.ExitCode}): {result.Output}");
        }
    }

    private void Build()
    {
        foreach (var netns in new[] { Client, Middle, Server })
        {
            Ip("netns", "add", netns);
            Ip("-n", netns, "link", "set", "lo", "up");
        }

        Ip("link", "add", "c0", "netns", Client, "type", "veth", "peer", "name", "mc", "netns", Middle);
        Ip("link", "add", "s0", "netns", Server, "type", "veth", "peer", "name", "ms", "netns", Middle);
        Ip("-n", Client, "addr", "add", "10.214.1.2/24", "dev", "c0");
        Ip("-n", Middle, "addr", "add", "10.214.1.1/24", "dev", "mc");
        Ip("-n", Middle, "addr", "add", "10.214.2.1/24", "dev", "ms");
        Ip("-n", Server, "addr", "add", "10.214.2.2/24", "dev", "s0");
        foreach (var (netns, link) in new[] { (Client, "c0"), (Middle, "mc"), (Middle, "ms"), (Server, "s0") })
        {
            Ip("-n", netns, "link", "set", link, "up");
        }

        Ip("-n", Client, "route", "add", "default", "via", "10.214.1.1");
        Ip("-n", Server, "route", "add", "default", "via", "10.214.2.1");
        Exec(Middle, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
    }

    /// <summary>
    /// Masquerades the client behind the middle's address and lets conntrack forget established flows idle for
    /// <paramref name="seconds"/>; a segment of a forgotten flow is then invalid (no loose pick-up) and dropped,
    /// as a cloud NAT gateway drops it: no RST, just silence.
    /// </summary>
    private void MakeNat(int seconds)
    {
        Exec(Middle, "nft", "add", "table", "ip", "nat");
        Exec(Middle, "nft", "add chain ip nat postrouting { type nat hook postrouting priority 100; }");
        Exec(Middle, "nft", "add rule ip nat postrouting oifname ms masquerade");
        Exec(Middle, "nft", "add", "table", "inet", "filter");
        Exec(Middle, "nft", "add chain inet filter forward { type filter hook forward priority 0; policy accept; }");
        Exec(Middle, "nft", "add rule inet filter forward ct state invalid drop");
        Exec(Middle, "sysctl", "-q", "-w", string.Create(CultureInfo.InvariantCulture, $"net.netfilter.nf_conntrack_tcp_timeout_established={seconds}"));
        Exec(Middle, "sysctl", "-q", "-w", "net.netfilter.nf_conntrack_tcp_loose=0");
        Ip("-n", Server, "route", "del", "default");
    }
}
