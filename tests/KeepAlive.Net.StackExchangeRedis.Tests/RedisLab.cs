using KeepAlive.Net.Tests.TestSupport;

namespace KeepAlive.Net.StackExchangeRedis.Tests;

/// <summary>One redis-server behind the lab's 2 s NAT, shared by a test class.</summary>
public sealed class RedisLab : IDisposable
{
    internal LabServer Server { get; } = new(lab => Servers.Redis(lab.Server, RoutedLab.ServerAddress));

    public void Dispose() => Server.Dispose();
}
