using System.Globalization;
using System.Net;
using SharpPcap;
using SharpPcap.LibPcap;

namespace KeepAlive.Net.Tool.Check;

/// <summary>Records one peer's TCP packets to a pcap file through libpcap (SharpPcap) while <c>check</c> runs.</summary>
internal sealed class PacketRecorder : IDisposable
{
    private readonly LibPcapLiveDevice _device;
    private readonly CaptureFileWriterDevice _writer;
    private readonly Lock _gate = new();
    private bool _stopped;

    private PacketRecorder(LibPcapLiveDevice device, CaptureFileWriterDevice writer) => (_device, _writer) = (device, writer);

    public long Packets { get; private set; }

    /// <summary>Starts recording packets to or from <paramref name="peer"/>, on every interface where the system has the "any" device (Linux).</summary>
    /// <exception cref="ToolInputException">libpcap is missing, this process may not capture, or the file cannot be written.</exception>
    public static PacketRecorder Start(string path, IPEndPoint peer)
    {
        LibPcapLiveDevice device;
        try
        {
            var devices = LibPcapLiveDeviceList.Instance;
            device = devices.FirstOrDefault(static d => d.Name == "any")
                ?? devices.FirstOrDefault(d => d.Addresses.Any(a => a.Addr?.ipAddress?.AddressFamily == peer.AddressFamily && !IPAddress.IsLoopback(peer.Address)))
                ?? devices.FirstOrDefault(static d => d.Loopback)
                ?? throw new ToolInputException("--capture: libpcap lists no capture device. Fix: run as root or with CAP_NET_RAW, where libpcap can open the loopback and network interfaces, or leave out --capture.");
            device.Open(new DeviceConfiguration { Mode = DeviceModes.MaxResponsiveness, ReadTimeout = 100, Snaplen = 65535 });
            // Without the scope id (fe80::1%2): a BPF host expression takes none, and the device already picks the link.
            var host = new IPAddress(peer.Address.GetAddressBytes());
            device.Filter = string.Create(CultureInfo.InvariantCulture, $"tcp and host {host} and port {peer.Port}");
        }
        catch (Exception e) when (e is PcapException or DllNotFoundException or TypeInitializationException)
        {
            throw new ToolInputException($"--capture: cannot capture packets ({e.Message.Trim()}). Fix: capturing needs libpcap (apt-get install libpcap0.8) and root or CAP_NET_RAW: run with sudo, or leave out --capture.", e);
        }

        var writer = new CaptureFileWriterDevice(path, FileMode.Create);
        try
        {
            writer.Open(device);
        }
        catch (PcapException e)
        {
            device.Close();
            throw new ToolInputException($"--capture {path}: cannot write the capture there ({e.Message.Trim()}). Fix: give a file in a folder that exists and this user may write to, for example --capture /tmp/check.pcap.", e);
        }

        var recorder = new PacketRecorder(device, writer);
        device.OnPacketArrival += recorder.OnPacket;
        device.StartCapture();
        return recorder;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
        }

        // Let the last packets (a RST, the final ACK) arrive before stopping.
        Thread.Sleep(200);
        _device.StopCapture();
        _device.Close();
        lock (_gate)
        {
            _writer.Close();
        }
    }

    private void OnPacket(object sender, PacketCapture capture)
    {
        lock (_gate)
        {
            if (!_writer.Opened)
            {
                return;
            }

            _writer.Write(capture.GetPacket());
            Packets++;
        }
    }
}
