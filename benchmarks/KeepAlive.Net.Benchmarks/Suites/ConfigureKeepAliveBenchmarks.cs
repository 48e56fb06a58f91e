using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using KeepAlive.Net.Benchmarks.Sockets;

namespace KeepAlive.Net.Benchmarks.Suites;

/// <summary>
/// <c>socket.ConfigureKeepAlive(options)</c> against the raw <see cref="Socket.SetRawSocketOption"/> and
/// <see cref="Socket.GetRawSocketOption"/> calls it wraps (same options, same values, same read-back), on a
/// connected loopback socket. The difference is validation, planning and the <see cref="KeepAliveSettings"/> report.
/// </summary>
[MemoryDiagnoser]
public class ConfigureKeepAliveBenchmarks
{
    private readonly TcpKeepAliveOptions _options = new()
    {
        IdleTime = TimeSpan.FromSeconds(30),
        Interval = TimeSpan.FromSeconds(10),
        ProbeCount = 3,
    };

    private LoopbackPair? _pair;
    private RawKeepAlive? _raw;

    /// <summary>Connects the loopback pair and prepares the raw calls with the values ConfigureKeepAlive would write.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _pair = LoopbackPair.Connect();
        _raw = RawKeepAlive.ForCurrentPlatform(_options);
    }

    /// <summary>Closes the loopback pair.</summary>
    [GlobalCleanup]
    public void Cleanup() => _pair?.Dispose();

    /// <summary>The system calls alone: setsockopt of each option, then getsockopt of each.</summary>
    /// <returns>The sum of the values read back, so nothing is optimised away.</returns>
    [Benchmark(Baseline = true)]
    public int RawSocketOptions() => _raw!.ApplyAndRead(_pair!.Client);

    /// <summary>The library call: validate, plan, set, read back, report.</summary>
    /// <returns>The effective settings.</returns>
    [Benchmark]
    public KeepAliveSettings ConfigureKeepAlive() => _pair!.Client.ConfigureKeepAlive(_options);
}
