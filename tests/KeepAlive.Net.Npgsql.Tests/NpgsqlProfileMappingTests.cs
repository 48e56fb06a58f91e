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
            .And.Contain("Tcp:UserTimeout cannot be applied").And.Contain("rounded down to 30s for Tcp Keepalive Time");
    }

    [Fact]
    public void UseKeepAlive_UserTimeoutNote_WritesTheRetransmissionTimeAsConfigurationReadsIt()
    {
        // The note said "retransmitted for about 15 min", whatever the kernel's tcp_retries2, in a form no option reads.
        using var profiles = ClientProfiles.InCode("db", p => p.Tcp.IdleTime = TimeSpan.FromSeconds(30));

        new NpgsqlDataSourceBuilder(ConnectionString).UseKeepAlive(profiles.Profiles, "db");

        var message = profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle().Subject;
        var note = message[message.IndexOf("Tcp:UserTimeout cannot be applied", StringComparison.Ordinal)..];
        note = note[..note.IndexOf(';', StringComparison.Ordinal)];
        DurationText.NotReadBack(note).Should().BeEmpty("a duration is written as configuration reads it: {0}", note);
        if (OperatingSystem.IsLinux() && File.Exists("/proc/sys/net/ipv4/tcp_retries2"))
        {
            var retries = File.ReadAllText("/proc/sys/net/ipv4/tcp_retries2").Trim();
            note.Should().Contain($"(net.ipv4.tcp_retries2 {retries})", "the time is the kernel's, from its setting");
            DurationText.Durations(note).Should().ContainSingle("the note states how long the kernel retransmits: {0}", note);
        }
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
            .Contain(m => m.StartsWith("Npgsql: Keepalive was set by hand to 45s, but KeepAlive profile 'db' sets Heartbeat:Interval, so the profile's 20s wins", StringComparison.Ordinal));
    }

    [Fact]
    public void UseKeepAlive_HandSetTcpKeepaliveOff_ProfileTurnsItOnAndWarnsWithTheFix()
    {
        // "Tcp Keepalive=false" in the connection string was turned on without a word (Redis warns for its TcpKeepAlive false).
        using var profiles = ClientProfiles.InCode("db", p => p.Tcp.IdleTime = TimeSpan.FromSeconds(20));

        var builder = new NpgsqlDataSourceBuilder(ConnectionString + ";Tcp Keepalive=false").UseKeepAlive(profiles.Profiles, "db");

        builder.ConnectionStringBuilder.TcpKeepAlive.Should().BeTrue();
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().ContainSingle().Which.Should()
            .StartWith("Npgsql: Tcp Keepalive was set by hand to false, but KeepAlive profile 'db' sets Tcp:Enabled, so the profile's true wins. Fix:")
            .And.Contain("set Tcp:Enabled to false");
    }

    [Fact]
    public void UseKeepAlive_HandSetTcpKeepaliveOffWithAProfileWithoutHeartbeat_TheWarningsFixIsOneTheProfileAccepts()
    {
        // The fix said "set Tcp:Enabled to false in the profile"; for a profile without Heartbeat:Interval, done literally, the
        // profile was refused ("sets nothing Npgsql can use"): the fix now names Heartbeat:Interval too, which is accepted.
        using var profiles = ClientProfiles.InCode("db", p => p.Tcp.IdleTime = TimeSpan.FromSeconds(20));
        new NpgsqlDataSourceBuilder(ConnectionString + ";Tcp Keepalive=false").UseKeepAlive(profiles.Profiles, "db");
        using var tcpOffAlone = ClientProfiles.InCode("db", p => p.Tcp.Enabled = false);
        using var tcpOffWithAHeartbeat = ClientProfiles.InCode("db", p => (p.Tcp.Enabled, p.Heartbeat.Interval) = (false, TimeSpan.FromSeconds(30)));

        var refused = () => new NpgsqlDataSourceBuilder(ConnectionString + ";Tcp Keepalive=false").UseKeepAlive(tcpOffAlone.Profiles, "db");
        var accepted = new NpgsqlDataSourceBuilder(ConnectionString + ";Tcp Keepalive=false").UseKeepAlive(tcpOffWithAHeartbeat.Profiles, "db");

        refused.Should().Throw<OptionsValidationException>().Which.Message.Should().Contain("the profile sets nothing Npgsql can use");
        accepted.ConnectionStringBuilder.TcpKeepAlive.Should().BeFalse("the profile's Tcp section is off: your value stays");
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().ContainSingle().Which.Should()
            .EndWith("Fix: remove the hand-set Tcp Keepalive, or set Tcp:Enabled to false and Heartbeat:Interval (for Keepalive) in the profile (the profile sets nothing Npgsql can use with Tcp:Enabled false alone, which is refused at start-up) to keep your value.");
    }

    [Fact]
    public void UseKeepAlive_HandSetKeepaliveWithAProfileWhoseTcpIsOff_TheWarningsFixIsOneThatKeepsYourValue()
    {
        // The fix said "or remove Heartbeat:Interval from the profile to keep your value"; with Tcp:Enabled false that, done
        // literally, leaves a profile that sets nothing Npgsql can use, which UseKeepAlive refuses.
        using var profiles = ClientProfiles.InCode("db", p => (p.Tcp.Enabled, p.Heartbeat.Interval) = (false, TimeSpan.FromSeconds(20)));

        new NpgsqlDataSourceBuilder(ConnectionString + ";Keepalive=45").UseKeepAlive(profiles.Profiles, "db");

        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().ContainSingle().Which.Should()
            .Be("Npgsql: Keepalive was set by hand to 45s, but KeepAlive profile 'db' sets Heartbeat:Interval, so the profile's 20s wins. Fix: remove the hand-set Keepalive, or apply no KeepAlive profile to this client (with Tcp:Enabled false, Heartbeat:Interval is all profile 'db' sets for it: without it the profile sets nothing Npgsql can use, which is refused at start-up) to keep your value.");
        using var withoutTheInterval = ClientProfiles.InCode("db", p => p.Tcp.Enabled = false);
        var removed = () => new NpgsqlDataSourceBuilder(ConnectionString + ";Keepalive=45").UseKeepAlive(withoutTheInterval.Profiles, "db");
        removed.Should().Throw<OptionsValidationException>("the fix it gave before, followed").Which.Message.Should().Contain("the profile sets nothing Npgsql can use");
        new NpgsqlDataSourceBuilder(ConnectionString + ";Keepalive=45").ConnectionStringBuilder.KeepAlive.Should().Be(45, "with no profile applied, your value stays");
    }

    [Fact]
    public void UseKeepAlive_HandSetTcpKeepaliveTimeConflicts_TheWarningsFixKeepsYourValue()
    {
        // The fix said "remove Tcp:IdleTime from the profile to keep your value", but with Tcp:UnsetValues UseDefaults (the
        // default) a profile without Tcp:IdleTime writes its 30 s default over the connection string's 600 all the same.
        using var profiles = ClientProfiles.InCode("db", p => p.Tcp.IdleTime = TimeSpan.FromSeconds(20));

        new NpgsqlDataSourceBuilder(ConnectionString + ";Tcp Keepalive Time=600").UseKeepAlive(profiles.Profiles, "db");

        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().ContainSingle().Which.Should()
            .Be("Npgsql: Tcp Keepalive Time was set by hand to 10m, but KeepAlive profile 'db' sets Tcp:IdleTime, so the profile's 20s wins. Fix: remove the hand-set Tcp Keepalive Time, or remove Tcp:IdleTime from the profile and set Tcp:UnsetValues to KeepCurrent (without it, the profile writes its default in place of what it does not set) to keep your value.");
        using var kept = ClientProfiles.InCode("db", p => p.Tcp.UnsetValues = TcpKeepAliveUnsetValues.KeepCurrent);
        new NpgsqlDataSourceBuilder(ConnectionString + ";Tcp Keepalive Time=600").UseKeepAlive(kept.Profiles, "db")
            .ConnectionStringBuilder.TcpKeepAliveTime.Should().Be(600, "the fix, followed, keeps the hand-set value");
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
    public void UseKeepAlive_ReloadTurnsTcpOff_TheWarningSaysTheConnectionStringsValueARebuildWouldTake()
    {
        // With Tcp off, a data source built again keeps the connection string's Tcp Keepalive Time=120: the warning said the
        // profile now leaves it to "Npgsql's own", which is off.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
        [
            new("KeepAlive:Profiles:db:Tcp:IdleTime", "20s"),
            new("KeepAlive:Profiles:db:Heartbeat:Interval", "60s"),
        ]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        new NpgsqlDataSourceBuilder(ConnectionString + ";Tcp Keepalive Time=120").UseKeepAlive(profiles.Profiles, "db");

        configuration["KeepAlive:Profiles:db:Tcp:Enabled"] = "false";
        configuration.Reload();

        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle().Which.Should()
            .Contain("Tcp Keepalive Time stays 20s (the profile now says 2m)").And.Contain("Tcp Keepalive Interval stays 10s (the profile now says not set)").And.NotContain("Npgsql's own");
    }

    [Fact]
    public void UseKeepAlive_ReloadSetsAHeartbeatWhereYourKeepaliveStays_TheWarningSaysYourValue()
    {
        // The data source keeps the connection string's Keepalive=45 where the profile sets no Heartbeat:Interval: a reload
        // setting one warned "Keepalive stays Npgsql's own", which is off, where the data source queries every 45 s.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:db:Tcp:IdleTime", "20s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        new NpgsqlDataSourceBuilder(ConnectionString + ";Keepalive=45").UseKeepAlive(profiles.Profiles, "db");

        configuration["KeepAlive:Profiles:db:Heartbeat:Interval"] = "30s";
        configuration.Reload();

        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle().Which.Should()
            .Contain("Keepalive stays 45s (the profile now says 30s)").And.NotContain("Npgsql's own");
    }

    [Fact]
    public void UseKeepAlive_KeepCurrentReloadSetsAValueTheConnectionStringGave_TheWarningSaysTheValueThatStays()
    {
        // The data source keeps the connection string's Tcp Keepalive Time (120 s) where the profile (KeepCurrent) sets none:
        // the warning said "Tcp Keepalive Time stays kept", not the 2m that stays.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
        [
            new("KeepAlive:Profiles:db:Tcp:UnsetValues", "KeepCurrent"),
            new("KeepAlive:Profiles:db:Tcp:Interval", "5s"),
        ]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        new NpgsqlDataSourceBuilder(ConnectionString + ";Tcp Keepalive Time=120").UseKeepAlive(profiles.Profiles, "db");

        configuration["KeepAlive:Profiles:db:Tcp:IdleTime"] = "30s";
        configuration.Reload();

        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle().Which.Should()
            .Contain("Tcp Keepalive Time stays 2m (the profile now says 30s)").And.NotContain("stays kept");
    }

    [Fact]
    public void UseKeepAlive_ReloadAddsAHeartbeatToAMultiplexingDataSource_TheWarningSaysRebuildingWouldBeRefused()
    {
        // The warning said "Keepalive stays Npgsql's own (the profile now says 30s). Fix: build the NpgsqlDataSource again
        // with UseKeepAlive", and following it threw: Npgsql refuses Keepalive with Multiplexing.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:db:Tcp:IdleTime", "30s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        new NpgsqlDataSourceBuilder(ConnectionString + ";Multiplexing=true").UseKeepAlive(profiles.Profiles, "db");

        configuration["KeepAlive:Profiles:db:Heartbeat:Interval"] = "30s";
        configuration.Reload();

        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle().Which.Should()
            .Contain("every value stays, and the reloaded profile does not suit Npgsql")
            .And.Contain("Multiplexing on");
    }

    [Fact]
    public void UseKeepAlive_KeepCurrentReloadLeavesAnIntervalWithoutATime_TheWarningSaysRebuildingWouldBeRefused()
    {
        // The reload drops Tcp:IdleTime (KeepCurrent) and the connection string has no Tcp Keepalive Time: a data source built
        // again would be refused, so "Fix: build the NpgsqlDataSource again" sent you into that refusal.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
        [
            new("KeepAlive:Profiles:db:Tcp:UnsetValues", "KeepCurrent"),
            new("KeepAlive:Profiles:db:Tcp:IdleTime", "20s"),
            new("KeepAlive:Profiles:db:Tcp:Interval", "5s"),
        ]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        new NpgsqlDataSourceBuilder(ConnectionString).UseKeepAlive(profiles.Profiles, "db");

        configuration["KeepAlive:Profiles:db:Tcp:IdleTime"] = null;
        configuration.Reload();

        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle().Which.Should()
            .Contain("every value stays, and the reloaded profile does not suit Npgsql: KeepAlive profile 'db' would give Npgsql Tcp Keepalive Interval 5s (from Tcp:Interval) without a Tcp Keepalive Time");
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
    public async Task UseKeepAlive_UnixDomainSocketHost_WritesNoTcpSettingsAndTheConnectionOpens()
    {
        // Npgsql sets its Tcp Keepalive settings on whatever socket it opens; on AF_UNIX the kernel refuses them
        // (EOPNOTSUPP) and every connection failed. A listener stands in for the server: it must see the startup message.
        using var profiles = ClientProfiles.InCode("db", p => p.Heartbeat.Interval = TimeSpan.FromSeconds(30));
        var folder = Directory.CreateTempSubdirectory("keepalive-npgsql-").FullName;
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(Path.Combine(folder, ".s.PGSQL.5432")));
        listener.Listen(1);

        var builder = new NpgsqlDataSourceBuilder($"Host={folder};Username=app;Pooling=false;Timeout={ClientTimeouts.ConnectSeconds}").UseKeepAlive(profiles.Profiles, "db");
        await using var source = builder.Build();
        var open = source.OpenConnectionAsync(TestContext.Current.CancellationToken).AsTask();
        using var server = await listener.AcceptAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(ClientTimeouts.Connect, TestContext.Current.CancellationToken);
        var received = await server.ReceiveAsync(new byte[256], TestContext.Current.CancellationToken).AsTask().WaitAsync(ClientTimeouts.Connect, TestContext.Current.CancellationToken);
        server.Close();

        received.Should().BeGreaterThan(0, "Npgsql got past the connect and sent its startup message");
        var error = await Record.ExceptionAsync(() => open);
        error?.GetBaseException().Should().NotBeOfType<System.Net.Sockets.SocketException>("the fake server hung up after the startup message, but the connect itself must not fail: {0}", error);
        builder.ConnectionStringBuilder.TcpKeepAlive.Should().BeFalse();
        builder.ConnectionStringBuilder.KeepAlive.Should().Be(30, "the keepalive query still watches a local connection");
        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle().Which.Should().Contain("Host is a Unix domain socket directory: it has no TCP layer, so the Tcp section is not written");
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task UseKeepAlive_AbstractUnixSocketHost_WritesNoTcpSettingsAndTheConnectionOpens()
    {
        // Npgsql takes a Host starting with '@' as a Unix domain socket in Linux's abstract namespace, as it takes a rooted
        // path: UseKeepAlive took it for a TCP host, wrote Tcp Keepalive Time, and every connection failed (EOPNOTSUPP).
        using var profiles = ClientProfiles.InCode("db", p => p.Heartbeat.Interval = TimeSpan.FromSeconds(30));
        var name = "keepalive-npgsql-" + Guid.NewGuid().ToString("N");
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint("\0" + name + "/.s.PGSQL.5432"));
        listener.Listen(1);

        var builder = new NpgsqlDataSourceBuilder($"Host=@{name};Username=app;Pooling=false;Timeout={ClientTimeouts.ConnectSeconds}").UseKeepAlive(profiles.Profiles, "db");
        await using var source = builder.Build();
        var open = source.OpenConnectionAsync(TestContext.Current.CancellationToken).AsTask();
        var accepted = listener.AcceptAsync(TestContext.Current.CancellationToken).AsTask();
        var first = await Task.WhenAny(open, accepted).WaitAsync(ClientTimeouts.Connect, TestContext.Current.CancellationToken);
        if (first == open)
        {
            (await Record.ExceptionAsync(() => open)).Should().BeNull("the connect must reach the server before anything fails");
        }

        using var server = await accepted.WaitAsync(ClientTimeouts.Connect, TestContext.Current.CancellationToken);
        var received = await server.ReceiveAsync(new byte[256], TestContext.Current.CancellationToken).AsTask().WaitAsync(ClientTimeouts.Connect, TestContext.Current.CancellationToken);
        server.Close();

        received.Should().BeGreaterThan(0, "Npgsql got past the connect and sent its startup message");
        builder.ConnectionStringBuilder.TcpKeepAliveTime.Should().Be(0);
        builder.ConnectionStringBuilder.KeepAlive.Should().Be(30, "the keepalive query still watches a local connection");
        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle().Which.Should().Contain("Host is a Unix domain socket");
        await Record.ExceptionAsync(() => open);
    }

    [Fact]
    public async Task UseKeepAlive_HeartbeatWithMultiplexing_RefusedAsNpgsqlWouldRefuseEveryConnection()
    {
        // Npgsql throws NotImplementedException("Keepalive not yet implemented for multiplexing") for every connection of a
        // data source with both: UseKeepAlive accepted the profile, and the data source could open no connection at all.
        using var profiles = ClientProfiles.InCode("db", p => p.Heartbeat.Interval = TimeSpan.FromSeconds(30));
        var builder = new NpgsqlDataSourceBuilder(ConnectionString + ";Multiplexing=true");

        var act = () => builder.UseKeepAlive(profiles.Profiles, "db");

        var error = await Record.ExceptionAsync(async () =>
        {
            await using var source = act().Build();
            await using var connection = await source.OpenConnectionAsync(TestContext.Current.CancellationToken);
        });
        error.Should().BeOfType<InvalidOperationException>().Which.Message.Should().Match(
            "KeepAlive profile 'db' sets Heartbeat:Interval 30s, which becomes Npgsql's Keepalive, but the connection string turns Multiplexing on*Npgsql refuses every connection*Fix:*");
        builder.ConnectionStringBuilder.KeepAlive.Should().Be(0, "nothing is written when the profile is refused");
    }

    [Fact]
    public void UseKeepAlive_UnixDomainSocketHostWithoutKeepalive_SaysNothingWatchesTheConnection()
    {
        // The line said "only Keepalive, the query, watches the connection" and then "Keepalive stays off".
        using var profiles = ClientProfiles.InCode("db", p => p.Tcp.IdleTime = TimeSpan.FromSeconds(20));

        new NpgsqlDataSourceBuilder("Host=/var/run/postgresql;Username=app").UseKeepAlive(profiles.Profiles, "db");

        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle().Which.Should()
            .NotContain("only Keepalive, the query, watches the connection")
            .And.Contain("nothing watches the connection: Keepalive is off. Fix: set Heartbeat:Interval in the profile");
    }

    [Fact]
    public void UseKeepAlive_UnixAndTcpHostsTogether_RefusedWithAFixThatIsAcceptedWhenFollowed()
    {
        // The fix said to build the Unix socket's data source with a profile of "Tcp": { "Enabled": false }: for a profile
        // without Heartbeat:Interval (this one) that profile is itself refused ("sets nothing Npgsql can use"), while the
        // same profile on a Host of Unix sockets alone is accepted (its Tcp section is not written there).
        using var profiles = ClientProfiles.InCode("db", _ => { });

        var act = () => new NpgsqlDataSourceBuilder("Host=/var/run/postgresql,db.internal:5433,@pg;Username=app").UseKeepAlive(profiles.Profiles, "db");

        act.Should().Throw<InvalidOperationException>().WithMessage(
            "*mixes Unix domain socket directories and TCP hosts*Fix: build one data source for the Unix sockets (Host=/var/run/postgresql,@pg) and one for the TCP hosts (Host=db.internal:5433), each with KeepAlive profile 'db'*");
        var unix = () => new NpgsqlDataSourceBuilder("Host=/var/run/postgresql,@pg;Username=app").UseKeepAlive(profiles.Profiles, "db");
        var tcp = () => new NpgsqlDataSourceBuilder("Host=db.internal:5433;Username=app").UseKeepAlive(profiles.Profiles, "db");
        unix.Should().NotThrow("the fix, followed literally, builds the Unix sockets' data source with the same profile");
        tcp.Should().NotThrow("and the TCP hosts' with it too");
    }

    [Fact]
    public void UseKeepAlive_TcpUnsetValuesKeepCurrent_KeepsTheConnectionStringsValuesTheProfileDoesNotSet()
    {
        using var profiles = ClientProfiles.InCode("db", p =>
        {
            p.Tcp.UnsetValues = TcpKeepAliveUnsetValues.KeepCurrent;
            p.Tcp.Interval = TimeSpan.FromSeconds(5);
        });

        var builder = new NpgsqlDataSourceBuilder(ConnectionString + ";Tcp Keepalive Time=120;Tcp Keepalive Interval=60").UseKeepAlive(profiles.Profiles, "db");

        builder.ConnectionStringBuilder.TcpKeepAliveTime.Should().Be(120, "the profile keeps IdleTime as the connection string has it");
        builder.ConnectionStringBuilder.TcpKeepAliveInterval.Should().Be(5);
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().ContainSingle("only Interval is set by the profile").Which.Should().Contain("Tcp Keepalive Interval was set by hand to 1m");
        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle().Which.Should().Contain("Tcp Keepalive Time 2m and Tcp Keepalive Interval 5s");
    }

    [Fact]
    public void UseKeepAlive_KeepCurrentSetsOnlyTheIntervalAndTheConnectionStringHasNoTime_RefusedAsNpgsqlWouldRefuseEveryConnection()
    {
        // Npgsql throws "If TcpKeepAliveInterval is defined, TcpKeepAliveTime must be defined as well" when each connection
        // opens: UseKeepAlive accepted the profile and every OpenConnection of the data source failed.
        using var profiles = ClientProfiles.InCode("db", p =>
        {
            p.Tcp.UnsetValues = TcpKeepAliveUnsetValues.KeepCurrent;
            p.Tcp.Interval = TimeSpan.FromSeconds(5);
        });
        var builder = new NpgsqlDataSourceBuilder(ConnectionString);

        var act = () => builder.UseKeepAlive(profiles.Profiles, "db");

        act.Should().Throw<InvalidOperationException>().WithMessage(
            "KeepAlive profile 'db' would give Npgsql Tcp Keepalive Interval 5s (from Tcp:Interval) without a Tcp Keepalive Time*Npgsql refuses every connection*Fix: set Tcp:IdleTime in the profile, or Tcp Keepalive Time in the connection string.");
        builder.ConnectionStringBuilder.TcpKeepAliveInterval.Should().Be(0, "nothing is written when the profile is refused");
        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().BeEmpty();
    }

    [Fact]
    public void UseKeepAlive_RefusedProfile_TheBuilderStillTakesAnother()
    {
        // The refused call had already recorded its profile on the builder, so the corrected call was refused in turn with
        // "these options already take KeepAlive profile 'db'", though the first one wrote nothing.
        using var profiles = ClientProfiles.Build(s => s
            .AddKeepAlive("db", p => { p.Tcp.UnsetValues = TcpKeepAliveUnsetValues.KeepCurrent; p.Tcp.Interval = TimeSpan.FromSeconds(5); })
            .AddKeepAlive("fixed", p => p.Tcp.IdleTime = TimeSpan.FromSeconds(20)));
        var builder = new NpgsqlDataSourceBuilder(ConnectionString);
        var refused = () => builder.UseKeepAlive(profiles.Profiles, "db");
        refused.Should().Throw<InvalidOperationException>().WithMessage("KeepAlive profile 'db' would give Npgsql Tcp Keepalive Interval 5s*");

        builder.UseKeepAlive(profiles.Profiles, "fixed");

        builder.ConnectionStringBuilder.TcpKeepAliveTime.Should().Be(20);
    }

    [Fact]
    public void UseKeepAlive_KeepCurrentLeavesTheIntervalUnsetEverywhere_ReportsThatNpgsqlProbesEveryTcpKeepaliveTime()
    {
        // Npgsql uses Tcp Keepalive Time as the interval when Tcp Keepalive Interval is 0: the line said "Tcp Keepalive
        // Interval 0 s" and "a dead idle peer is found after idle + 9 x interval = 5 s" for a real 5 + 9 x 5 = 50 s.
        using var profiles = ClientProfiles.InCode("db", p =>
        {
            p.Tcp.UnsetValues = TcpKeepAliveUnsetValues.KeepCurrent;
            p.Tcp.IdleTime = TimeSpan.FromSeconds(5);
        });

        var builder = new NpgsqlDataSourceBuilder(ConnectionString).UseKeepAlive(profiles.Profiles, "db");

        builder.ConnectionStringBuilder.TcpKeepAliveTime.Should().Be(5);
        builder.ConnectionStringBuilder.TcpKeepAliveInterval.Should().Be(0, "the profile keeps the connection string's interval");
        var probes = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/tcp_keepalive_probes").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle().Which.Should()
            .Contain("Tcp Keepalive Time 5s and Tcp Keepalive Interval 5s (not set, so Npgsql probes every Tcp Keepalive Time)")
            .And.Contain(System.FormattableString.Invariant($"idle + {probes} x interval = {KeepAliveDuration.Format(TimeSpan.FromSeconds(5 + (probes * 5)))}"))
            .And.NotContain("Interval 0s");
    }

    [Fact]
    public void UseKeepAlive_KeepCurrentLeavesTheProbeCountUnset_DoesNotReportAProbeCountTheProfileNeverSet()
    {
        // Under KeepCurrent the profile sets only what it names: the line said "Tcp:ProbeCount 3 cannot be applied", the
        // getter's default, for a profile without any ProbeCount.
        using var profiles = ClientProfiles.InCode("db", p =>
        {
            p.Tcp.UnsetValues = TcpKeepAliveUnsetValues.KeepCurrent;
            p.Tcp.IdleTime = TimeSpan.FromSeconds(5);
            p.Tcp.Interval = TimeSpan.FromSeconds(2);
        });

        new NpgsqlDataSourceBuilder(ConnectionString).UseKeepAlive(profiles.Profiles, "db");

        var probes = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/tcp_keepalive_probes").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle().Which.Should()
            .NotContain("Tcp:ProbeCount 3")
            .And.Contain(System.FormattableString.Invariant($"Tcp:ProbeCount is not set (Tcp:UnsetValues KeepCurrent): the kernel's net.ipv4.tcp_keepalive_probes {probes} applies, so a dead idle peer is found after idle + {probes} x interval = {KeepAliveDuration.Format(TimeSpan.FromSeconds(5 + (probes * 2)))}"));
    }

    [Fact]
    public void UseKeepAlive_KeepCurrentSetsNeitherTimeNorInterval_ReportsTheKernelsTimesThatApply()
    {
        // Npgsql then only turns SO_KEEPALIVE on: the kernel's tcp_keepalive_time and tcp_keepalive_intvl apply. The line said
        // "Tcp Keepalive Time 0 s and Tcp Keepalive Interval 0 s" and "a dead idle peer is found after ... = 0 s".
        using var profiles = ClientProfiles.InCode("db", p =>
        {
            p.Tcp.UnsetValues = TcpKeepAliveUnsetValues.KeepCurrent;
            p.Tcp.ProbeCount = 5;
        });

        new NpgsqlDataSourceBuilder(ConnectionString).UseKeepAlive(profiles.Profiles, "db");

        var kernel = (Time: Kernel("tcp_keepalive_time"), Interval: Kernel("tcp_keepalive_intvl"), Probes: Kernel("tcp_keepalive_probes"));
        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle().Which.Should()
            .Contain(System.FormattableString.Invariant($"Tcp Keepalive on with the kernel's times (net.ipv4.tcp_keepalive_time {KeepAliveDuration.Format(TimeSpan.FromSeconds(kernel.Time))}, net.ipv4.tcp_keepalive_intvl {KeepAliveDuration.Format(TimeSpan.FromSeconds(kernel.Interval))})"))
            .And.Contain(System.FormattableString.Invariant($"idle + {kernel.Probes} x interval = {KeepAliveDuration.Format(TimeSpan.FromSeconds(kernel.Time + (kernel.Probes * kernel.Interval)))}"))
            .And.NotContain("Time 0s");

        static int Kernel(string name) => int.Parse(File.ReadAllText("/proc/sys/net/ipv4/" + name).Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void UseKeepAlive_TwiceWithTheSameProfile_AcceptedWithoutAFalseWarning_AnotherProfileRefusedAsAlreadyApplied()
    {
        // Another profile silently replaced the first one's values, warned that they had been "set by hand", and left the first
        // profile's reload warnings watching a data source that no longer took it.
        using var profiles = ClientProfiles.Build(s => s
            .AddKeepAlive("db", p => { p.Tcp.IdleTime = TimeSpan.FromSeconds(7); p.Heartbeat.Interval = TimeSpan.FromSeconds(20); })
            .AddKeepAlive("other", p => p.Tcp.IdleTime = TimeSpan.FromSeconds(9)));
        var builder = new NpgsqlDataSourceBuilder(ConnectionString).UseKeepAlive(profiles.Profiles, "db").UseKeepAlive(profiles.Profiles, "DB");

        var another = () => builder.UseKeepAlive(profiles.Profiles, "other");

        another.Should().Throw<InvalidOperationException>().WithMessage("NpgsqlDataSourceBuilder.UseKeepAlive(\"other\"): these options already take KeepAlive profile 'db'*Fix: call UseKeepAlive once per options object*");
        builder.ConnectionStringBuilder.TcpKeepAliveTime.Should().Be(7);
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().BeEmpty("the first call's values are not values set by hand");
    }

    [Fact]
    public void UseKeepAlive_AgainOnTheSameBuilderAfterAReload_TakesTheNewValuesWithoutCallingTheFirstCallsValuesHandSet()
    {
        // Warning 3204's fix is to build the data source again with UseKeepAlive; on the same builder, the values the first
        // call set were reported as set by hand (3202 "Tcp Keepalive Time was set by hand to 7 s", and for Keepalive).
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
            [new("KeepAlive:Profiles:db:Tcp:IdleTime", "7s"), new("KeepAlive:Profiles:db:Heartbeat:Interval", "20s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        var builder = new NpgsqlDataSourceBuilder(ConnectionString).UseKeepAlive(profiles.Profiles, "db");

        configuration["KeepAlive:Profiles:db:Tcp:IdleTime"] = "9s";
        configuration["KeepAlive:Profiles:db:Heartbeat:Interval"] = "30s";
        configuration.Reload();
        builder.UseKeepAlive(profiles.Profiles, "db");

        builder.ConnectionStringBuilder.TcpKeepAliveTime.Should().Be(9);
        builder.ConnectionStringBuilder.KeepAlive.Should().Be(30);
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().BeEmpty("the first call set them, not you");
    }

    [Fact]
    public void UseKeepAlive_AgainOnTheSameBuilderAfterAReloadNoLongerSettingValues_YoursComeBackAsOnANewBuilder()
    {
        // Warning 3204 said "Keepalive stays 20s (the profile now says nothing: Npgsql's own)"; its fix, followed on the same
        // builder, kept the first call's 20 s (and Tcp Keepalive Time 7 s, Tcp Keepalive on) where a new builder has yours.
        const string Yours = ConnectionString + ";Keepalive=45;Tcp Keepalive Time=600";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
            [new("KeepAlive:Profiles:db:Tcp:IdleTime", "7s"), new("KeepAlive:Profiles:db:Heartbeat:Interval", "20s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        var builder = new NpgsqlDataSourceBuilder(Yours).UseKeepAlive(profiles.Profiles, "db");
        static (int, int, int, bool) Values(NpgsqlDataSourceBuilder b) =>
            (b.ConnectionStringBuilder.TcpKeepAliveTime, b.ConnectionStringBuilder.TcpKeepAliveInterval, b.ConnectionStringBuilder.KeepAlive, b.ConnectionStringBuilder.TcpKeepAlive);

        configuration["KeepAlive:Profiles:db:Tcp:IdleTime"] = null;
        configuration["KeepAlive:Profiles:db:Tcp:UnsetValues"] = "KeepCurrent";
        configuration["KeepAlive:Profiles:db:Heartbeat:Interval"] = null;
        configuration.Reload();
        builder.UseKeepAlive(profiles.Profiles, "db");

        Values(builder).Should().Be((600, 0, 45, true), "the reloaded profile sets none of them, so yours stay, as on a new builder");
        Values(builder).Should().Be(Values(new NpgsqlDataSourceBuilder(Yours).UseKeepAlive(profiles.Profiles, "db")));

        configuration["KeepAlive:Profiles:db:Tcp:Enabled"] = "false";
        configuration["KeepAlive:Profiles:db:Heartbeat:Interval"] = "30s";
        configuration.Reload();
        builder.UseKeepAlive(profiles.Profiles, "db");

        Values(builder).Should().Be((600, 0, 30, false), "with Tcp off, Tcp Keepalive is yours (off) again");
        Values(builder).Should().Be(Values(new NpgsqlDataSourceBuilder(Yours).UseKeepAlive(profiles.Profiles, "db")));
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

    [Fact]
    public void UseKeepAlive_NoIntervalAndAPeerIdleTimeout_RefusedAsNpgsqlSendsNoKeepaliveQueryUntold()
    {
        // Npgsql's Keepalive is off by default: nothing the client sent reached a peer that closes idle connections itself.
        using var profiles = ClientProfiles.InCode("db", p => p.Heartbeat.PeerIdleTimeout = PeerIdleTimeout.AzureLoadBalancer);

        var act = () => new NpgsqlDataSourceBuilder(ConnectionString).UseKeepAlive(profiles.Profiles, "db");

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle().Which.Should().Be(
            "KeepAlive profile 'db' (configured in code) Heartbeat:Interval: Heartbeat:Interval is not set, and Npgsql sends no heartbeat unless told to (Keepalive is off by default), so nothing it sends keeps an idle connection within the limit of 2m = Heartbeat:MaxIntervalToPeerIdleRatio 0.5 x Heartbeat:PeerIdleTimeout AzureLoadBalancer (4m): the peer would drop it (the Tcp section's probes keep a middlebox's flow, not a peer that closes idle connections itself). Fix: set Heartbeat:Interval, which Npgsql takes as Keepalive, to at most 2m (a value set by hand on the client is not seen here: set it in the profile).");
    }

    [Fact]
    public void Client_DefaultHeartbeat_NoneAsNpgsqlsKeepaliveIsOffUntold()
    {
        new NpgsqlConnectionStringBuilder().KeepAlive.Should().Be(0, "0 turns Npgsql's keepalive query off");
        KeepAliveNpgsqlExtensions.Client.DefaultHeartbeatInterval.Should().BeNull();
    }

    [Fact]
    public void UseKeepAlive_ServicesWithoutAddKeepAlive_RefusedWithTheCallAndTheFix()
    {
        // It threw the container's bare "No service for type IKeepAliveProfiles has been registered".
        using var services = new ServiceCollection().BuildServiceProvider();

        var act = () => new NpgsqlDataSourceBuilder("Host=localhost").UseKeepAlive(services, "cache");

        act.Should().Throw<InvalidOperationException>().WithMessage("builder.UseKeepAlive(\"cache\") needs KeepAlive profiles. Fix: call services.AddKeepAlive(*");
    }
}
