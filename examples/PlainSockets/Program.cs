// KeepAlive.Net on the sockets an application already has: Socket, TcpClient, TcpListener, NetworkStream.
// Run: dotnet run --project examples/PlainSockets
using System.Net;
using System.Net.Sockets;
using KeepAlive.Net;

Console.WriteLine($"Platform: {KeepAliveCapabilities.Current.Platform}. {KeepAliveCapabilities.Current.Limitations}");
Console.WriteLine();

// 1. A listener: sockets it accepts inherit its keep-alive settings (Linux, FreeBSD and Windows; on macOS configure each accepted socket).
var listener = new TcpListener(IPAddress.Loopback, 0);
var serverOptions = new TcpKeepAliveOptions { IdleTime = TimeSpan.FromSeconds(45), Interval = TimeSpan.FromSeconds(15), ProbeCount = 3 };
Console.WriteLine($"listener      {listener.ConfigureKeepAlive(serverOptions)}");
listener.Start();

// 2. A TcpClient, configured before it connects to one address (to a host name with several addresses, configure it
//    after the connect: TCP_USER_TIMEOUT, which .NET does not track, would stop it trying the next address).
using var client = new TcpClient(AddressFamily.InterNetwork);
var clientSettings = client.ConfigureKeepAlive(new TcpKeepAliveOptions
{
    IdleTime = TimeSpan.FromSeconds(30),
    Interval = TimeSpan.FromMilliseconds(2500), // rounds down to 2 s: the report says so
    ProbeCount = 4,
});
await client.ConnectAsync((IPEndPoint)listener.LocalEndpoint);
using var accepted = await listener.AcceptSocketAsync();
Console.WriteLine($"tcp client    {clientSettings}");
foreach (var report in clientSettings.Options.Where(o => o.Status != KeepAliveOptionStatus.Applied))
{
    Console.WriteLine($"              {report}");
}

// 3. The accepted socket: never configured itself, yet it carries the listener's values.
Console.WriteLine($"accepted      {accepted.GetKeepAlive()}");

// 4. A NetworkStream: configure the socket underneath it.
using var stream = new NetworkStream(accepted, ownsSocket: false);
var streamSettings = stream.Socket.ConfigureKeepAlive(new TcpKeepAliveOptions { UserTimeout = TimeSpan.FromSeconds(20) });
Console.WriteLine($"stream socket {streamSettings}");

// 5. A bad value is rejected before any system call; the connection keeps working. TcpKeepAliveValidator.Validate
//    finds the same errors without a socket and without throwing (to check values read from anywhere before using them).
var tooManyProbes = new TcpKeepAliveOptions { ProbeCount = 500 };
foreach (var error in TcpKeepAliveValidator.Validate(tooManyProbes))
{
    Console.WriteLine($"validated     {error}");
}

try
{
    client.ConfigureKeepAlive(tooManyProbes);
}
catch (ArgumentOutOfRangeException error)
{
    Console.WriteLine($"rejected      {error.Message.Split(Environment.NewLine)[0]}");
}

await client.GetStream().WriteAsync("still connected"u8.ToArray());
var buffer = new byte[15];
await stream.ReadExactlyAsync(buffer);
Console.WriteLine($"after reject  the connection still carries data: \"{System.Text.Encoding.ASCII.GetString(buffer)}\"");
listener.Stop();
