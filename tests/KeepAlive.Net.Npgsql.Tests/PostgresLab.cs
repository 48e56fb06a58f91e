using KeepAlive.Net.Tests.TestSupport;

namespace KeepAlive.Net.Npgsql.Tests;

/// <summary>One PostgreSQL 15 server (initdb and postgres as the postgres user) behind the lab's 2 s NAT, shared by a test class.</summary>
public sealed class PostgresLab : IDisposable
{
    internal LabServer Server { get; } = new(lab => Servers.Postgres(lab.Server, RoutedLab.ServerAddress));

    public void Dispose() => Server.Dispose();
}
