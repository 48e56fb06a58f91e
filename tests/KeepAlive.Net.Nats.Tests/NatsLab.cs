using KeepAlive.Net.Tests.TestSupport;

namespace KeepAlive.Net.Nats.Tests;

/// <summary>One nats-server behind the lab's 2 s NAT, shared by a test class.</summary>
public sealed class NatsLab : IDisposable
{
    internal LabServer Server { get; } = new(lab => Servers.Nats(lab.Server, RoutedLab.ServerAddress));

    public void Dispose() => Server.Dispose();
}
