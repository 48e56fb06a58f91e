using System.Diagnostics;
using System.Globalization;
using System.Net;
using KeepAlive.Net.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace KeepAlive.Net.Npgsql.Tests;

/// <summary>
/// A real PostgreSQL in the lab's server namespace, behind a conntrack NAT that forgets idle flows after 2 s; Npgsql opens
/// its socket synchronously in <c>OpenConnection()</c>, which the test calls on a thread inside the client namespace.
/// </summary>
[Collection(PoolStarvationGroup.Name)] // UseKeepAlive_IdleFiveNatTimeouts_* starve the process's thread pool for 8 s
public sealed class PostgresBehindNatTests(PostgresLab fixture) : IClassFixture<PostgresLab>
{
    [Fact]
    public void Defaults_IdleLongerThanTheNatTimeout_NextCommandHangsUntilTheCommandTimeout()
    {
        var (lab, server) = fixture.Server.Start();
        using var dataSource = Builder(server.EndPoint).Build();
        using var connection = Open(lab, dataSource);
        Select(connection);

        Thread.Sleep(LabServer.NatIdleTimeout * 2.5);
        var watch = Stopwatch.StartNew();
        var failure = Record.Exception(() => Select(connection));
        watch.Stop();

        NatProfiles.Report($"Npgsql, defaults, idle 5 s behind the 2 s NAT: next SELECT {(failure is null ? "answered" : $"{failure.GetType().Name} ({failure.InnerException?.GetType().Name})")} after {watch.Elapsed.TotalSeconds:0.0} s");
        failure.Should().BeOfType<NpgsqlException>("the NAT forgot the flow: the query is dropped and Npgsql waits for its Command Timeout (30 s)");
        watch.Elapsed.Should().BeGreaterThan(TimeSpan.FromSeconds(20), "the command hangs until the client's own timeout; it does not fail fast");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void UseKeepAlive_IdleFiveNatTimeouts_NextCommandAnswersAtOnce(bool starveThePool)
    {
        var (lab, server) = fixture.Server.Start();
        using var profiles = ClientProfiles.InCode("nat", NatProfiles.TcpOnly);
        using var dataSource = Builder(server.EndPoint).UseKeepAlive(profiles.Profiles, "nat").Build();
        using var connection = Open(lab, dataSource);
        Select(connection);

        if (starveThePool)
        {
            NatProfiles.SleepWithThePoolStarved(NatProfiles.FiveNatTimeouts, NatProfiles.FiveNatTimeouts - TimeSpan.FromSeconds(2));
        }
        else
        {
            Thread.Sleep(NatProfiles.FiveNatTimeouts);
        }

        var watch = Stopwatch.StartNew();
        Select(connection);
        watch.Stop();

        NatProfiles.Report($"Npgsql, profile, idle 10 s (pool starved: {starveThePool}): next SELECT answered in {watch.Elapsed.TotalMilliseconds:0} ms");
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(2), "the kernel's probes (Tcp Keepalive Time/Interval from the profile) kept the NAT's mapping alive");
    }

    [Fact]
    public void UseKeepAlive_ServerLinkCut_KernelEndsTheConnectionWithinIdlePlusKernelProbesTimesIntervalAndNpgsqlBreaksIt()
    {
        var (lab, server) = fixture.Server.Start();
        using var profiles = ClientProfiles.InCode("nat", NatProfiles.TcpOnly);
        using var dataSource = Builder(server.EndPoint).UseKeepAlive(profiles.Profiles, "nat").Build();
        var before = ClientSockets.Snapshot(server.EndPoint);
        using var connection = Open(lab, dataSource);
        Select(connection);
        var socket = ClientSockets.SingleNew(server.EndPoint, before);
        var probes = KernelProbes(lab);
        var bound = TimeSpan.FromSeconds(1 + (probes * 1)); // idle 1 s + the kernel's probes x interval 1 s: Npgsql sets no probe count
        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle().Which.Should()
            .Contain($"idle + {probes} x interval = {KeepAliveDuration.Format(bound)}", "the reported bound is the one the kernel keeps");

        lab.DropEverything();
        try
        {
            var gone = ClientSockets.WaitUntilGone(socket, bound + TimeSpan.FromSeconds(8));
            var watch = Stopwatch.StartNew();
            var failure = Record.Exception(() => Select(connection));
            watch.Stop();

            NatProfiles.Report($"Npgsql, profile (bound idle 1 s + {probes} x 1 s = {bound.TotalSeconds:0} s): kernel ended the connection after {gone?.TotalSeconds:0.0} s; next SELECT failed after {watch.Elapsed.TotalMilliseconds:0} ms with {failure?.GetType().Name}; connection state {connection.FullState}");
            gone.Should().NotBeNull($"Tcp Keepalive Time and Interval bound dead-peer detection at {bound}");
            gone!.Value.Should().BeGreaterThan(bound * 0.5).And.BeLessThan(bound + TimeSpan.FromSeconds(5));
            failure.Should().BeAssignableTo<NpgsqlException>("Npgsql breaks the connection at its next use");
            watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(2), "the kernel already gave up: the command fails at once instead of hanging");
            connection.FullState.Should().HaveFlag(System.Data.ConnectionState.Broken);
        }
        finally
        {
            lab.RestoreLink();
        }
    }

    [Fact]
    public void Defaults_ServerLinkCut_NothingNoticesForLong()
    {
        var (lab, server) = fixture.Server.Start();
        using var dataSource = Builder(server.EndPoint).Build();
        var before = ClientSockets.Snapshot(server.EndPoint);
        using var connection = Open(lab, dataSource);
        Select(connection);
        var socket = ClientSockets.SingleNew(server.EndPoint, before);
        var kernel = socket.View.GetKeepAlive();

        lab.DropEverything();
        try
        {
            var gone = ClientSockets.WaitUntilGone(socket, TimeSpan.FromSeconds(12));

            NatProfiles.Report($"Npgsql, defaults: after 12 s the cut is {(gone is null ? "still unnoticed" : $"noticed at {gone}")}; keep-alive on the socket: {kernel.Enabled}; an idle pooled connection is found dead only when used (then it hangs until the command timeout)");
            gone.Should().BeNull("without the profile Npgsql turns no keep-alive on");
        }
        finally
        {
            lab.RestoreLink();
        }
    }

    [Fact]
    public void UseKeepAlive_ReadBackOnTheClientsSocket_IdleAndIntervalFromTheProfileProbesFromTheKernel()
    {
        var (lab, server) = fixture.Server.Start();
        using var profiles = ClientProfiles.InCode("readback", NatProfiles.ReadBack);
        using var dataSource = Builder(server.EndPoint).UseKeepAlive(profiles.Profiles, "readback").Build();
        var before = ClientSockets.Snapshot(server.EndPoint);
        using var connection = Open(lab, dataSource);

        var kernel = ClientSockets.SingleNew(server.EndPoint, before).View.GetKeepAlive();

        kernel.IsReadBackFromKernel.Should().BeTrue();
        kernel.Enabled.Should().BeTrue();
        kernel.IdleTime.Should().Be(TimeSpan.FromSeconds(7));
        kernel.Interval.Should().Be(TimeSpan.FromSeconds(3));
        kernel.ProbeCount.Should().Be(KernelProbes(lab), "Npgsql cannot set a probe count: the kernel's net.ipv4.tcp_keepalive_probes applies, not the profile's 4");
        kernel.UserTimeout.Should().Be(TimeSpan.Zero, "Npgsql cannot set TCP_USER_TIMEOUT");
        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle().Which.Should()
            .Contain("Tcp:ProbeCount 4 cannot be applied").And.Contain("Tcp:UserTimeout cannot be applied").And.Contain("cannot be read back");
    }

    [Fact]
    public void UseKeepAlive_ProfileReloaded_TheBuiltDataSourceKeepsItsValuesAndWarnsWithTheFixANewOneTakesTheReloadedOnes()
    {
        var (lab, server) = fixture.Server.Start();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:db:Tcp:IdleTime", "7s"), new("KeepAlive:Profiles:db:Tcp:Interval", "3s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        using var built = Builder(server.EndPoint).UseKeepAlive(profiles.Profiles, "db").Build();

        configuration["KeepAlive:Profiles:db:Tcp:IdleTime"] = "9s";
        configuration.Reload();
        var oldSource = IdleOfANewConnection(lab, server.EndPoint, built);
        using var rebuilt = Builder(server.EndPoint).UseKeepAlive(profiles.Profiles, "db").Build();
        var newSource = IdleOfANewConnection(lab, server.EndPoint, rebuilt);

        oldSource.Should().Be(TimeSpan.FromSeconds(7), "Npgsql fixes its settings when the data source is built: no hook asks for them per connection");
        newSource.Should().Be(TimeSpan.FromSeconds(9), "a data source built after the reload takes the reloaded values");
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle("the warning names what the reload does not change, once").Which.Should()
            .Be("Npgsql took these values from KeepAlive profile 'db' once, when it was set up, so the reload just accepted does not reach them: Tcp Keepalive Time stays 7s (the profile now says 9s). Fix: "
                + "build the NpgsqlDataSource again with UseKeepAlive (Npgsql fixes its settings when the data source is built; the new one opens its connections with the reloaded values), then dispose the old one once nothing uses it.");

        configuration["KeepAlive:Profiles:db:Tcp:IdleTime"] = "10";
        configuration.Reload();
        profiles.Messages(KeepAliveEventIds.ProfileReloadRejected).Should().ContainSingle("a bare number is refused");
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle("a refused reload changes nothing: the last good values stay");
        IdleOfANewConnection(lab, server.EndPoint, rebuilt).Should().Be(TimeSpan.FromSeconds(9));
    }

    [Fact]
    public void UseKeepAlive_ServerRestarted_TheDataSourcesNextConnectionWorksAndCarriesTheProfile()
    {
        var lab = fixture.Server.Lab;
        const int port = Servers.PostgresPort + 1; // the class's server keeps its port: this one is stopped and started again
        using var profiles = ClientProfiles.InCode("restart", profile =>
        {
            NatProfiles.ReadBack(profile);
            profile.Heartbeat.Interval = TimeSpan.FromSeconds(1);
        });
        var endPoint = new IPEndPoint(RoutedLab.ServerAddress, port);
        using var dataSource = new NpgsqlDataSourceBuilder(ConnectionString(endPoint, pooling: true)).UseKeepAlive(profiles.Profiles, "restart").Build();
        var first = Servers.Postgres(lab.Server, RoutedLab.ServerAddress, port);
        try
        {
            IdleOfANewConnection(lab, endPoint, dataSource).Should().Be(TimeSpan.FromSeconds(7)); // back to the pool, idle
        }
        finally
        {
            first.Dispose();
        }

        using var second = Servers.Postgres(lab.Server, RoutedLab.ServerAddress, port);
        Thread.Sleep(TimeSpan.FromSeconds(3)); // Keepalive (1 s) finds the pooled connection the restart closed

        var before = ClientSockets.Snapshot(endPoint);
        var failure = Record.Exception(() =>
        {
            using var connection = Open(lab, dataSource);
            Select(connection);
        });

        NatProfiles.Report($"Npgsql, server restarted: the data source's next connection {(failure is null ? "worked" : $"failed: {failure.GetType().Name} {failure.Message}")}");
        failure.Should().BeNull("the pooled connection the restart closed was found by Keepalive (Heartbeat:Interval) and dropped, so the data source opens a new one; without it the pool hands out the closed one and its first command fails");
        var kernel = ClientSockets.SingleNew(endPoint, before).View.GetKeepAlive();
        kernel.IdleTime.Should().Be(TimeSpan.FromSeconds(7), "a connection opened after the restart gets the profile's values too");
        kernel.Interval.Should().Be(TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void UseKeepAlive_ConnectionStringOfTheBuilder_APlainNpgsqlConnectionCarriesTheProfile()
    {
        var (lab, server) = fixture.Server.Start();
        using var profiles = ClientProfiles.InCode("readback", NatProfiles.ReadBack);
        var connectionString = Builder(server.EndPoint).UseKeepAlive(profiles.Profiles, "readback").ConnectionString;
        var before = ClientSockets.Snapshot(server.EndPoint);
        using var connection = NetworkNamespace.RunInside(lab.Client, () =>
        {
            var opened = new NpgsqlConnection(connectionString); // no data source: code that takes a connection string
            opened.Open();
            return opened;
        });
        Select(connection);

        var kernel = ClientSockets.SingleNew(server.EndPoint, before).View.GetKeepAlive();

        kernel.Enabled.Should().BeTrue();
        kernel.IdleTime.Should().Be(TimeSpan.FromSeconds(7), "the builder's connection string carries Tcp Keepalive Time from the profile");
        kernel.Interval.Should().Be(TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void UseKeepAlive_TwoDataSourcesWithDifferentProfiles_EachSocketCarriesItsOwn()
    {
        var (lab, server) = fixture.Server.Start();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([
            new("KeepAlive:Profiles:reporting:Tcp:IdleTime", "7s"), new("KeepAlive:Profiles:reporting:Tcp:Interval", "3s"),
            new("KeepAlive:Profiles:orders:Tcp:IdleTime", "11s"), new("KeepAlive:Profiles:orders:Tcp:Interval", "2s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        using var reporting = Builder(server.EndPoint).UseKeepAlive(profiles.Profiles, "reporting").Build();
        using var orders = Builder(server.EndPoint).UseKeepAlive(profiles.Profiles, "orders").Build();

        IdleOfANewConnection(lab, server.EndPoint, reporting).Should().Be(TimeSpan.FromSeconds(7));
        IdleOfANewConnection(lab, server.EndPoint, orders).Should().Be(TimeSpan.FromSeconds(11), "each data source keeps its own profile's values");
        IdleOfANewConnection(lab, server.EndPoint, reporting).Should().Be(TimeSpan.FromSeconds(7), "building another data source does not change this one");
        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().HaveCount(2).And.Contain(m => m.Contains("'reporting'", StringComparison.Ordinal)).And.Contain(m => m.Contains("'orders'", StringComparison.Ordinal));
    }

    private static TimeSpan? IdleOfANewConnection(RoutedLab lab, IPEndPoint server, NpgsqlDataSource dataSource)
    {
        var before = ClientSockets.Snapshot(server);
        using var connection = Open(lab, dataSource);
        Select(connection);
        return ClientSockets.SingleNew(server, before).View.GetKeepAlive().IdleTime;
    }

    private static NpgsqlDataSourceBuilder Builder(IPEndPoint server) => new(ConnectionString(server, pooling: false));

    private static string ConnectionString(IPEndPoint server, bool pooling) =>
        FormattableString.Invariant($"Host={server.Address};Port={server.Port};Username=postgres;Database=postgres;Pooling={pooling};Timeout={ClientTimeouts.ConnectSeconds};SSL Mode=Disable;Gss Encryption Mode=Disable");

    private static NpgsqlConnection Open(RoutedLab lab, NpgsqlDataSource dataSource) =>
        NetworkNamespace.RunInside(lab.Client, dataSource.OpenConnection);

    private static void Select(NpgsqlConnection connection)
    {
        using var command = new NpgsqlCommand("SELECT 1", connection);
        command.ExecuteScalar().Should().Be(1);
    }

    // net.ipv4.tcp_keepalive_probes of the client's namespace (the sockets live there).
    private static int KernelProbes(RoutedLab lab) =>
        NetworkNamespace.RunInside(lab.Client, () => int.Parse(File.ReadAllText("/proc/sys/net/ipv4/tcp_keepalive_probes").Trim(), CultureInfo.InvariantCulture));
}
