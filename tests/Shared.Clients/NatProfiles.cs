using KeepAlive.Net.Hosting;

namespace KeepAlive.Net.Tests.TestSupport;

/// <summary>The profiles the client tests apply behind the lab's 2 s NAT.</summary>
internal static class NatProfiles
{
    /// <summary>Probes after 1 s idle, every 1 s, 3 unanswered: keeps a flow alive through a NAT that forgets after 2 s, and finds a dead peer in about 4 s. No heartbeat: the client's own stays, so only the kernel keeps the flow.</summary>
    public static void TcpOnly(KeepAliveProfileOptions profile)
    {
        profile.Tcp.IdleTime = TimeSpan.FromSeconds(1);
        profile.Tcp.Interval = TimeSpan.FromSeconds(1);
        profile.Tcp.ProbeCount = 3;
    }

    /// <summary>Distinct values to read back from the client's socket.</summary>
    public static void ReadBack(KeepAliveProfileOptions profile)
    {
        profile.Tcp.IdleTime = TimeSpan.FromSeconds(7);
        profile.Tcp.Interval = TimeSpan.FromSeconds(3);
        profile.Tcp.ProbeCount = 4;
    }

    /// <summary>Asserts that a client's socket, read back from the kernel, carries <see cref="ReadBack"/>.</summary>
    public static void ShouldCarryReadBack(KeepAliveSettings kernel)
    {
        kernel.IsReadBackFromKernel.Should().BeTrue();
        kernel.Enabled.Should().BeTrue();
        kernel.IdleTime.Should().Be(TimeSpan.FromSeconds(7));
        kernel.Interval.Should().Be(TimeSpan.FromSeconds(3));
        kernel.ProbeCount.Should().Be(4);
        kernel.UserTimeout.Should().BeGreaterThan(TimeSpan.Zero).And.BeLessThan(TimeSpan.FromSeconds(19), "derived slightly below idle + interval x probes");
    }

    /// <summary>How long the test holds an idle connection: five times the NAT's idle timeout.</summary>
    public static TimeSpan FiveNatTimeouts => LabServer.NatIdleTimeout * 5;

    /// <summary>Starves the thread pool for <paramref name="duration"/> while the calling (dedicated) thread sleeps through it, then restores the pool.</summary>
    public static void SleepWithThePoolStarved(TimeSpan sleep, TimeSpan duration)
    {
        ThreadPoolFlood.Start(duration, workItems: 64, out var maxWorkers, out var maxIo);
        try
        {
            Thread.Sleep(sleep);
        }
        finally
        {
            ThreadPool.SetMaxThreads(maxWorkers, maxIo);
        }
    }

    public static void Report(string line) => TestContext.Current.TestOutputHelper?.WriteLine(line);
}
