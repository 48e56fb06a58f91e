using KeepAlive.Net.Tests.TestSupport;

namespace KeepAlive.Net.RabbitMQ.Tests;

/// <summary>One rabbitmq-server (its own node name, data directory and ports) behind the lab's 2 s NAT, shared by a test class.</summary>
public sealed class RabbitMqLab : IDisposable
{
    internal LabServer Server { get; } = new(lab => Servers.RabbitMq(lab.Server, RoutedLab.ServerAddress));

    public void Dispose() => Server.Dispose();
}
