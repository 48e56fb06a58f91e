using System.Net;
using System.Net.Sockets;
using KeepAlive.Net.Tool.Check;

namespace KeepAlive.Net.Tool.Cli;

/// <summary>Resolving and connecting to a HOST:PORT the way <c>check</c> and <c>probe-idle</c> both do, with the same messages and exit code 2.</summary>
internal static class Target
{
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The address to use: the literal (an IPv4-mapped IPv6 one, [::ffff:10.0.0.2], as the IPv4 address it is), or of the
    /// name's addresses (IPv4 first) the first that accepts a connection (tried with a connection closed at once, only when
    /// the name has more than one); when none does, the first, whose connection then fails with its own message.
    /// </summary>
    /// <exception cref="ToolInputException">Unknown host.</exception>
    public static async Task<IPAddress> ResolveAsync(HostAndPort target, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(target.Host, out var literal))
        {
            // The socket is opened for the address's family, and an IPv6 socket is IPv6-only: a mapped address there is
            // 'Network is unreachable'.
            return literal.IsIPv4MappedToIPv6 ? literal.MapToIPv4() : literal;
        }

        IPAddress[] addresses;
        try
        {
            addresses = [.. (await Dns.GetHostAddressesAsync(target.Host, cancellationToken)).OrderBy(static a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1)];
        }
        catch (SocketException e)
        {
            throw new ToolInputException($"{target.Host}: unknown host ({e.SocketErrorCode}: {e.Message}). Fix: check the name, or give its IP address, e.g. 10.0.0.2:{target.Port}.", e);
        }

        switch (addresses.Length)
        {
            case 0:
                throw new ToolInputException($"{target.Host}: the name has no addresses. Fix: give a name with an A or AAAA record, or an IP address, e.g. 10.0.0.2:{target.Port}.");
            case 1:
                return addresses[0];
        }

        foreach (var address in addresses)
        {
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await ConnectAsync(socket, new IPEndPoint(address, target.Port), target, cancellationToken);
                return address;
            }
            catch (ToolInputException)
            {
                // Refused, unreachable or silent: the next address.
            }
        }

        return addresses[0];
    }

    /// <summary>Connects within <see cref="ConnectTimeout"/>.</summary>
    /// <exception cref="ToolInputException">Refused, unreachable, or no answer in time.</exception>
    public static async Task ConnectAsync(Socket socket, IPEndPoint peer, HostAndPort target, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ConnectTimeout);
        try
        {
            await socket.ConnectAsync(peer, timeout.Token);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            throw new ToolInputException($"{target} ({peer}): connection refused: nothing listens on port {peer.Port} there (the host answered with a RST). Fix: check the port, and that the service runs and listens on {peer} (not only on its host's loopback), or that no firewall rejects the connection.", e);
        }
        catch (SocketException e)
        {
            throw new ToolInputException($"{target} ({peer}): cannot connect ({e.SocketErrorCode}: {e.Message}). Fix: check that this machine has a route to {peer.Address} ('ip route get {peer.Address}'), and that no firewall rejects the connection.", e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ToolInputException($"{target} ({peer}): no answer to the connection request within {Units.Time(ConnectTimeout)} (a firewall may drop it). Fix: check that the host is up and that every firewall on the way lets this machine reach port {peer.Port} ('nc -vz {peer.Address} {peer.Port}' from here).", e);
        }
    }
}
