using System.Net.Http;
using KeepAlive.Net.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary><c>SocketsHttpHandler.UseKeepAlive</c> on a handler the factory does not build (a gRPC channel's, a WebSocket's invoker, SignalR's).</summary>
public sealed class SocketsHttpHandlerUseKeepAliveTests
{
    [Fact]
    public void UseKeepAlive_TwiceWithTheSameProfile_TheSecondChangesNothing()
    {
        using var services = Profiles();
        var profiles = services.GetRequiredService<IKeepAliveProfiles>();
        using var handler = new SocketsHttpHandler().UseKeepAlive(profiles, "a", o => o.PooledConnectionLifetime = TimeSpan.FromMinutes(3));
        var callback = handler.ConnectCallback;

        handler.UseKeepAlive(profiles, "A");

        handler.ConnectCallback.Should().BeSameAs(callback, "a factory that returns the same handler for every connection applies it again: the first call's options stay");
        handler.PooledConnectionLifetime.Should().Be(TimeSpan.FromMinutes(3), "the per-connection options' lifetime overrides the profile's");
        handler.PooledConnectionIdleTimeout.Should().Be(TimeSpan.FromSeconds(40), "profile 'a'");
    }

    // A handler shared by two clients (a gRPC channel's and an HttpClient's, say) given a second profile kept the first one
    // in silence: the second caller believed its connections ran with 'b' while they ran with 'a'.
    [Fact]
    public void UseKeepAlive_AgainWithAnotherProfile_RefusedNamingBothAndTheFix()
    {
        using var services = Profiles();
        var profiles = services.GetRequiredService<IKeepAliveProfiles>();
        using var handler = new SocketsHttpHandler().UseKeepAlive(profiles, "a");
        var callback = handler.ConnectCallback;

        var apply = () => handler.UseKeepAlive(profiles, "b");

        apply.Should().Throw<InvalidOperationException>().WithMessage(
            "socketsHttpHandler.UseKeepAlive(profiles, \"b\"): the handler already carries KeepAlive profile 'a'*a handler carries one profile*Fix: name the same profile in both calls, or give this client a SocketsHttpHandler of its own.");
        handler.ConnectCallback.Should().BeSameAs(callback, "nothing of 'b' is applied");
        handler.PooledConnectionIdleTimeout.Should().Be(TimeSpan.FromSeconds(40), "profile 'a', not 'b'");
    }

    // A handler of yours given a name no configuration defines was refused without saying which call asked for it, as a
    // client library's or an HttpClient's refusal does: with several handlers, the one to fix was left to guess.
    [Fact]
    public void UseKeepAlive_UnknownProfile_RefusedNamingTheCallAndTheFix()
    {
        using var services = Profiles();
        using var handler = new SocketsHttpHandler();

        var apply = () => handler.UseKeepAlive(services.GetRequiredService<IKeepAliveProfiles>(), "orders");

        apply.Should().Throw<KeepAliveProfileNotFoundException>().WithMessage(
            "No KeepAlive profile named 'orders' is registered (registered: 'a', 'b'), but socketsHttpHandler.UseKeepAlive(profiles, \"orders\") uses it.*Fix: add a \"orders\" section under KeepAlive:Profiles*, or give socketsHttpHandler.UseKeepAlive(profiles, \"orders\") a registered profile ('a', 'b').");
    }

    [Fact]
    public async Task UseKeepAlive_HandlerThatHasSentARequest_Refused()
    {
        using var services = Profiles();
        using var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(2) };
        using (var client = new HttpClient(handler, disposeHandler: false))
        {
            var refused = () => client.GetAsync(new Uri("http://127.0.0.1:1/"), TestContext.Current.CancellationToken);
            await refused.Should().ThrowAsync<HttpRequestException>("nothing listens on port 1, but the handler has started");
        }

        var apply = () => handler.UseKeepAlive(services.GetRequiredService<IKeepAliveProfiles>(), "a");

        apply.Should().Throw<InvalidOperationException>("a started handler's settings can no longer change");
    }

    [Fact]
    public void UseKeepAlive_UnknownProfile_RefusedWithTheRegisteredNames()
    {
        using var services = Profiles();
        using var handler = new SocketsHttpHandler();

        var apply = () => handler.UseKeepAlive(services.GetRequiredService<IKeepAliveProfiles>(), "c");

        apply.Should().Throw<KeepAliveProfileNotFoundException>().Which.RegisteredNames.Should().BeEquivalentTo("a", "b");
        handler.ConnectCallback.Should().BeNull("nothing is applied from a refused call");
    }

    [Fact]
    public void UseKeepAlive_HandlerWithItsOwnIdleTimeout_TheProfileWinsAndSaysSoButNotForALifetimeTheOptionsSet()
    {
        // The handler's PooledConnectionIdleTimeout was set by hand; the profile's replaced it without a word. Its hand-set
        // PooledConnectionLifetime loses to the per-connection options' lifetime, not to the profile: nothing to say there.
        using var services = Profiles(logging: true);
        using var handler = new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(10), PooledConnectionLifetime = TimeSpan.FromMinutes(1) };

        handler.UseKeepAlive(services.GetRequiredService<IKeepAliveProfiles>(), "a", o => o.PooledConnectionLifetime = TimeSpan.FromMinutes(3));

        handler.PooledConnectionIdleTimeout.Should().Be(TimeSpan.FromSeconds(40), "the profile's value wins");
        handler.PooledConnectionLifetime.Should().Be(TimeSpan.FromMinutes(3));
        services.GetFakeLogCollector().GetSnapshot().Where(static r => r.Id.Id == KeepAliveEventIds.ClientOptionOverridden).Should().ContainSingle()
            .Which.Message.Should().Be("socketsHttpHandler.UseKeepAlive(profiles, \"a\"): SocketsHttpHandler.PooledConnectionIdleTimeout was set by hand to 10s, but KeepAlive profile 'a' sets Http:PooledConnectionIdleTimeout, so the profile's 40s wins. Fix: remove the hand-set SocketsHttpHandler.PooledConnectionIdleTimeout, or remove Http:PooledConnectionIdleTimeout from the profile to keep your value.");
    }

    // A handler of yours had no pool check: with the Tcp section off, PINGs only with calls (the profile's policy over the
    // handler's own delay) and the handler's 1 min pool idle timeout against a 30 s middlebox, idle pooled connections went
    // into a dead flow without a word, while an HttpClient of the factory with the same profile stops the host.
    [Fact]
    public void UseKeepAlive_NothingKeepsAnIdlePooledConnection_WarnsWithTheHandlersValuesAndTheFix()
    {
        using var services = PeerProfile();
        using var handler = new SocketsHttpHandler { KeepAlivePingDelay = TimeSpan.FromSeconds(10) };

        handler.UseKeepAlive(services.GetRequiredService<IKeepAliveProfiles>(), "nat");

        handler.KeepAlivePingPolicy.Should().Be(HttpKeepAlivePingPolicy.WithActiveRequests, "the profile's policy");
        var warning = services.GetFakeLogCollector().GetSnapshot().Should().ContainSingle(static r => r.Id.Id == KeepAliveEventIds.IdlePooledConnectionUnkept).Subject;
        warning.Level.Should().Be(LogLevel.Warning);
        warning.Message.Should().Be(
            "socketsHttpHandler.UseKeepAlive(profiles, \"nat\"): nothing keeps an idle pooled connection against Heartbeat:PeerIdleTimeout 30s of KeepAlive profile 'nat': "
            + "Tcp:Enabled is false, the HTTP/2 PINGs run only with calls in flight (Http:KeepAlivePingPolicy WithActiveRequests or Http:PeerPermitsPingsWithoutCalls false), "
            + "and the pool keeps an idle connection for 1m (Http:PooledConnectionIdleTimeout), not less than 30s, so the middlebox forgets it and the next request goes into a dead flow. "
            + "Fix: enable the Tcp section (remove \"Enabled\": false; Tcp:IdleTime plus Tcp:Interval below 30s) so the kernel keeps idle connections alive, "
            + "or set Http:KeepAlivePingDelay to at most 15s with PINGs without calls, "
            + "or set Http:PooledConnectionIdleTimeout below 30s, for example 25s, so the client drops an idle connection first.");
    }

    // The handler's real values are judged once the profile is applied: its own pool idle timeout, below the middlebox's, drops
    // an idle connection first (and the Tcp section, when on, keeps it).
    [Theory]
    [InlineData(false, 20)]
    [InlineData(true, null)]
    public void UseKeepAlive_AnIdlePooledConnectionDroppedOrKept_SaysNothing(bool tcpEnabled, int? poolIdleSeconds)
    {
        using var services = PeerProfile(tcpEnabled);
        using var handler = new SocketsHttpHandler { KeepAlivePingDelay = TimeSpan.FromSeconds(10) };
        if (poolIdleSeconds is { } seconds)
        {
            handler.PooledConnectionIdleTimeout = TimeSpan.FromSeconds(seconds);
        }

        handler.UseKeepAlive(services.GetRequiredService<IKeepAliveProfiles>(), "nat");

        services.GetFakeLogCollector().GetSnapshot().Should().NotContain(static r => r.Id.Id == KeepAliveEventIds.IdlePooledConnectionUnkept);
    }

    // 3011 was judged once, when the profile was applied: the Tcp section follows reloads (read at each connect), so a reload
    // that turned it off left the handler's idle pooled connections unkept against a 30 s middlebox, without a word.
    [Fact]
    public void UseKeepAlive_AReloadTurnsTheTcpSectionOff_WarnsOnceWithTheHandlersValuesAndTheFix()
    {
        var configuration = Configuration(("Tcp:IdleTime", "10s"), ("Tcp:Interval", "5s"), ("Heartbeat:PeerIdleTimeout", "30s"), ("Heartbeat:Interval", "10s"),
            ("Http:KeepAlivePingPolicy", "WithActiveRequests"));
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        using var handler = new SocketsHttpHandler { KeepAlivePingDelay = TimeSpan.FromSeconds(10) }.UseKeepAlive(profiles.Profiles, "direct");
        var atStartUp = profiles.Messages(KeepAliveEventIds.IdlePooledConnectionUnkept);

        configuration["KeepAlive:Profiles:direct:Tcp:Enabled"] = "false";
        configuration.Reload();
        var afterTheTcpSectionOff = profiles.Messages(KeepAliveEventIds.IdlePooledConnectionUnkept);
        configuration["KeepAlive:Profiles:direct:Heartbeat:Interval"] = "12s";
        configuration.Reload();
        var whileItStaysOff = profiles.Messages(KeepAliveEventIds.IdlePooledConnectionUnkept);
        configuration["KeepAlive:Profiles:direct:Tcp:Enabled"] = "true";
        configuration.Reload();

        profiles.Messages(KeepAliveEventIds.ProfileReloaded).Should().HaveCount(3, "each reload is accepted");
        atStartUp.Should().BeEmpty("the Tcp section keeps an idle connection");
        afterTheTcpSectionOff.Should().ContainSingle("one reload, one warning").Which.Should().Be(
            "socketsHttpHandler.UseKeepAlive(profiles, \"direct\"), after the reload just accepted: nothing keeps an idle pooled connection against Heartbeat:PeerIdleTimeout 30s of KeepAlive profile 'direct': "
            + "Tcp:Enabled is false, the HTTP/2 PINGs run only with calls in flight (Http:KeepAlivePingPolicy WithActiveRequests or Http:PeerPermitsPingsWithoutCalls false), "
            + "and the pool keeps an idle connection for 1m (Http:PooledConnectionIdleTimeout), not less than 30s, so the middlebox forgets it and the next request goes into a dead flow. "
            + "Fix: enable the Tcp section (remove \"Enabled\": false; Tcp:IdleTime plus Tcp:Interval below 30s) so the kernel keeps idle connections alive, "
            + "or set Http:KeepAlivePingDelay to at most 15s with PINGs without calls, "
            + "or set Http:PooledConnectionIdleTimeout below 30s, for example 25s, so the client drops an idle connection first "
            + "(an Http value reaches a new SocketsHttpHandler given the profile, not this one, which keeps those it took; the Tcp section reaches its next connections).");
        whileItStaysOff.Should().HaveCount(1, "a reload that leaves it as it was says nothing again");
        profiles.Messages(KeepAliveEventIds.IdlePooledConnectionUnkept).Should().HaveCount(1, "the Tcp section back on keeps an idle connection again");
    }

    // A handler of the user's takes the Http section once, when UseKeepAlive runs, and a started handler cannot change: a
    // reload changing one of its values was accepted without a word, while every other client says so (3204). The Tcp
    // section is read at each connect, so its reload reaches the handler and says nothing.
    [Fact]
    public void UseKeepAlive_AReloadChangesTheHttpSection_WarnsThatTheHandlersValuesStayWithTheFix()
    {
        var configuration = Configuration(("Http:PooledConnectionIdleTimeout", "50s"), ("Tcp:IdleTime", "17s"));
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        using var handler = new SocketsHttpHandler().UseKeepAlive(profiles.Profiles, "direct");

        configuration["KeepAlive:Profiles:direct:Tcp:IdleTime"] = "19s";
        configuration.Reload();
        var afterTheTcpReload = profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied);
        configuration["KeepAlive:Profiles:direct:Http:PooledConnectionIdleTimeout"] = "40s";
        configuration.Reload();

        afterTheTcpReload.Should().BeEmpty("the Tcp section reaches each new connection");
        handler.PooledConnectionIdleTimeout.Should().Be(TimeSpan.FromSeconds(50), "the handler took the Http section once");
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle("one reload, one warning").Which.Should().Be(
            "SocketsHttpHandler took these values from KeepAlive profile 'direct' once, when it was set up, so the reload just accepted does not reach them: "
            + "SocketsHttpHandler.PooledConnectionIdleTimeout stays 50s (the profile now says 40s). "
            + "Fix: a SocketsHttpHandler cannot change once it has sent a request: create a new SocketsHttpHandler and call socketsHttpHandler.UseKeepAlive(profiles, \"direct\") on it (its sockets already follow reloads of the Tcp section), "
            + "or let services.AddHttpClient(...).UseKeepAlive(\"direct\") build the handler, which the factory builds again with the reloaded values.");
    }

    [Fact]
    public void UseKeepAlive_ALifetimeOfTheOptionsAndAReloadOfTheProfilesLifetime_SaysNothingAsTheProfilesWasNeverTaken()
    {
        // The per-connection options' lifetime wins over the profile's: a reload of Http:PooledConnectionLifetime leaves
        // nothing behind on this handler (the control: a reload of a value it did take is said).
        var configuration = Configuration(("Http:PooledConnectionLifetime", "5m"), ("Http:ConnectTimeout", "4s"));
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        using var handler = new SocketsHttpHandler().UseKeepAlive(profiles.Profiles, "direct", o => o.PooledConnectionLifetime = TimeSpan.FromMinutes(3));

        configuration["KeepAlive:Profiles:direct:Http:PooledConnectionLifetime"] = "10m";
        configuration.Reload();
        var afterTheLifetimeReload = profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied);
        configuration["KeepAlive:Profiles:direct:Http:ConnectTimeout"] = "6s";
        configuration.Reload();

        handler.PooledConnectionLifetime.Should().Be(TimeSpan.FromMinutes(3));
        afterTheLifetimeReload.Should().BeEmpty("the handler runs with the options' lifetime, not the profile's");
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle().Which.Should().Contain("SocketsHttpHandler.ConnectTimeout stays 4s (the profile now says 6s)")
            .And.NotContain("PooledConnectionLifetime");
    }

    [Fact]
    public async Task UseKeepAlive_HandlerDisposedAndCollected_AReloadNoLongerWarns()
    {
        // The warning is tied, weakly, to the handler: once it is dropped and collected, nothing keeps the values.
        var configuration = Configuration(("Http:KeepAlivePingDelay", "20s"));
        using var profiles = ClientProfiles.FromConfiguration(configuration);

        await ReloadWarnings.StopOnceTheClientIsCollectedAsync(profiles, configuration, "KeepAlive:Profiles:direct:Http:KeepAlivePingDelay", "40s",
            "SocketsHttpHandler.KeepAlivePingDelay stays 20s (the profile now says 30s)", () => Task.FromResult(ReloadWhileAHandlerLivesThenDispose(profiles, configuration)));
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference ReloadWhileAHandlerLivesThenDispose(ClientProfiles profiles, IConfigurationRoot configuration)
    {
        var handler = new SocketsHttpHandler().UseKeepAlive(profiles.Profiles, "direct");
        configuration["KeepAlive:Profiles:direct:Http:KeepAlivePingDelay"] = "30s";
        configuration.Reload();
        handler.Dispose();
        return new WeakReference(handler);
    }

    /// <summary>Profile 'direct' in an in-memory configuration that the test reloads.</summary>
    private static IConfigurationRoot Configuration(params (string Key, string Value)[] profile) =>
        new ConfigurationBuilder().AddInMemoryCollection(profile.Select(static p => new KeyValuePair<string, string?>($"KeepAlive:Profiles:direct:{p.Key}", p.Value))).Build();

    /// <summary>Profile 'nat': a 30 s middlebox, HTTP/2 PINGs only with calls, no pool idle timeout, the Tcp section as given; logged.</summary>
    private static ServiceProvider PeerProfile(bool tcpEnabled = false)
    {
        var services = new ServiceCollection().AddLogging(static l => l.AddFakeLogging());
        services.AddKeepAlive("nat", p =>
        {
            p.Tcp.Enabled = tcpEnabled;
            (p.Tcp.IdleTime, p.Tcp.Interval) = (TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5));
            (p.Heartbeat.PeerIdleTimeout, p.Heartbeat.Interval) = (TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(10));
            p.Http.KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests;
        });
        return services.BuildServiceProvider();
    }

    private static ServiceProvider Profiles(bool logging = false)
    {
        var services = new ServiceCollection();
        if (logging)
        {
            services.AddLogging(l => l.AddFakeLogging());
        }

        services.AddKeepAlive("a", p => p.Http.PooledConnectionIdleTimeout = TimeSpan.FromSeconds(40));
        services.AddKeepAlive("b", p => p.Http.PooledConnectionIdleTimeout = TimeSpan.FromSeconds(20));
        return services.BuildServiceProvider();
    }
}
