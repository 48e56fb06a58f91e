using KeepAlive.Net.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace KeepAlive.Net.Npgsql.Tests;

/// <summary>What UseKeepAlive sets in Npgsql's connection string, what it reports it cannot do, and the input it refuses (no server needed).</summary>
public sealed class NpgsqlProfileMappingTests
{
    private const string ConnectionString = "Host=db.internal;Username=app";

    [Fact]
    public void UseKeepAlive_Profile_SetsTcpKeepaliveTimeIntervalAndKeepaliveInWholeSeconds()
    {
        using var profiles = ClientProfiles.InCode("db", p =>
        {
            p.Tcp.IdleTime = TimeSpan.FromMilliseconds(30500);
            p.Tcp.Interval = TimeSpan.FromSeconds(5);
            p.Tcp.ProbeCount = 4;
            p.Heartbeat.Interval = TimeSpan.FromSeconds(60);
        });

        var builder = new NpgsqlDataSourceBuilder(ConnectionString).UseKeepAlive(profiles.Profiles, "db");

        var settings = builder.ConnectionStringBuilder;
        settings.TcpKeepAlive.Should().BeTrue();
        settings.TcpKeepAliveTime.Should().Be(30, "rounded down");
        settings.TcpKeepAliveInterval.Should().Be(5);
        settings.KeepAlive.Should().Be(60);
        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle().Which.Should()
            .Contain("Tcp:ProbeCount 4 cannot be applied (Npgsql has no socket hook): the kernel's net.ipv4.tcp_keepalive_probes")
            .And.Contain("Tcp:UserTimeout cannot be applied").And.Contain("rounded down to 30 s for Tcp Keepalive Time");
    }

    [Fact]
    public void UseKeepAlive_ProfileLeavesIntervalUnset_KeepaliveStaysAsItIs()
    {
        using var profiles = ClientProfiles.InCode("db", _ => { });

        var builder = new NpgsqlDataSourceBuilder(ConnectionString + ";Keepalive=45").UseKeepAlive(profiles.Profiles, "db");

        builder.ConnectionStringBuilder.KeepAlive.Should().Be(45, "the profile's 10 s default must not replace a value the profile never set");
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().BeEmpty();
    }

    [Fact]
    public void UseKeepAlive_HandSetConnectionStringValuesConflict_ProfileWinsAndWarnsForEach()
    {
        using var profiles = ClientProfiles.InCode("db", p => p.Heartbeat.Interval = TimeSpan.FromSeconds(20));

        var builder = new NpgsqlDataSourceBuilder(ConnectionString + ";Keepalive=45;Tcp Keepalive Time=600;Tcp Keepalive Interval=60").UseKeepAlive(profiles.Profiles, "db");

        builder.ConnectionStringBuilder.KeepAlive.Should().Be(20);
        builder.ConnectionStringBuilder.TcpKeepAliveTime.Should().Be(30);
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().HaveCount(3).And
            .Contain(m => m.StartsWith("Npgsql: Keepalive was set by hand to 45 s, but KeepAlive profile 'db' sets Heartbeat:Interval, so the profile's 20 s wins", StringComparison.Ordinal));
    }

    [Fact]
    public void UseKeepAlive_ReloadTheDataSourceCannotTake_WarnsForEachValueAndForAProfileThatNoLongerSuits()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:db:Heartbeat:Interval", "60s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        new NpgsqlDataSourceBuilder(ConnectionString).UseKeepAlive(profiles.Profiles, "db");
        new NpgsqlDataSourceBuilder(ConnectionString).UseKeepAlive(profiles.Profiles, "db");

        configuration["KeepAlive:Profiles:db:Heartbeat:Interval"] = "30s";
        configuration["KeepAlive:Profiles:db:Tcp:IdleTime"] = "20s";
        configuration.Reload();
        configuration["KeepAlive:Profiles:db:Heartbeat:Interval"] = "500ms";
        configuration.Reload();

        var warnings = profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied);
        warnings.Should().HaveCount(2, "one warning per reload for data sources built with the same values");
        warnings[0].Should().Contain("Tcp Keepalive Time stays 30s (the profile now says 20s)")
            .And.Contain("Keepalive stays 1m (the profile now says 30s)").And.Contain("Fix: build the NpgsqlDataSource again with UseKeepAlive");
        warnings[0].Should().NotContain("Tcp Keepalive Interval", "the interval did not change");
        warnings[1].Should().Contain("every value stays, and the reloaded profile does not suit Npgsql: KeepAlive:Profiles:db:Heartbeat:Interval: Heartbeat:Interval is 500ms");
    }

    [Fact]
    public void UseKeepAlive_UnknownProfile_Throws()
    {
        using var profiles = ClientProfiles.InCode("db", _ => { });

        var act = () => new NpgsqlDataSourceBuilder(ConnectionString).UseKeepAlive(profiles.Profiles, "reports");

        act.Should().Throw<InvalidOperationException>().WithMessage("No KeepAlive profile named 'reports' is registered (registered: 'db')*");
    }

    [Fact]
    public void UseKeepAlive_TcpOverThePeerIdleBudget_Refused()
    {
        using var profiles = ClientProfiles.InCode("db", p =>
        {
            p.Tcp.IdleTime = TimeSpan.FromMinutes(5);
            p.Heartbeat.PeerIdleTimeout = PeerIdleTimeout.AzureLoadBalancer;
        });

        var act = () => new NpgsqlDataSourceBuilder(ConnectionString).UseKeepAlive(profiles.Profiles, "db");

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().Contain(f => f.Contains("Tcp:IdleTime: Tcp:IdleTime is 5m and Tcp:Interval 10s", StringComparison.Ordinal));
    }

    [Fact]
    public void UseKeepAlive_HeartbeatOverThePeerIdleBudget_Refused()
    {
        using var profiles = ClientProfiles.InCode("db", p =>
        {
            p.Heartbeat.Interval = TimeSpan.FromMinutes(3);
            p.Heartbeat.PeerIdleTimeout = PeerIdleTimeout.AzureLoadBalancer;
        });

        var act = () => new NpgsqlDataSourceBuilder(ConnectionString).UseKeepAlive(profiles.Profiles, "db");

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().Contain(f => f.Contains("Heartbeat:Interval: Interval is 3m, over the limit of 2m", StringComparison.Ordinal));
    }

    [Fact]
    public void UseKeepAlive_UnixDomainSocketHost_SaysTcpKeepAliveDoesNotApply()
    {
        using var profiles = ClientProfiles.InCode("db", _ => { });

        new NpgsqlDataSourceBuilder("Host=/var/run/postgresql;Username=app").UseKeepAlive(profiles.Profiles, "db");

        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle().Which.Should().Contain("Host is a Unix domain socket directory: TCP keep-alive does not apply to it");
    }

    [Fact]
    public void UseKeepAlive_FromTheServiceProvider_AppliesTheRegisteredProfile()
    {
        using var profiles = ClientProfiles.InCode("db", p => p.Tcp.IdleTime = TimeSpan.FromSeconds(40));

        new NpgsqlDataSourceBuilder(ConnectionString).UseKeepAlive(profiles.Services, "db").ConnectionStringBuilder.TcpKeepAliveTime.Should().Be(40);
    }

    [Fact]
    public async Task AddNpgsqlKeepAlive_ProfileNotRegistered_HostStopsAtStartUp()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection([new("KeepAlive:Profiles:db:Tcp:IdleTime", "30s")]);
        builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive")).AddNpgsqlKeepAlive("postgres");
        using var host = builder.Build();

        var error = await Record.ExceptionAsync(() => host.StartAsync(TestContext.Current.CancellationToken));

        error.Should().BeOfType<OptionsValidationException>().Which.Message.Should().Contain("No KeepAlive profile named 'postgres' is registered (registered: 'db')");
    }
}
