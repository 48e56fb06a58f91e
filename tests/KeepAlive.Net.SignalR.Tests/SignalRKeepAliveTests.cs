using System.Net;
using System.Net.Http;
using System.Net.WebSockets;
using FluentAssertions.Execution;
using KeepAlive.Net.Hosting;
using KeepAlive.Net.Tests.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.SignalR.Tests;

/// <summary>A profile on SignalR's client and hub, on loopback: the fixed mapping, the Tcp section on the WebSocket's socket, refusals.</summary>
public sealed class SignalRKeepAliveTests
{
    [Fact]
    public async Task UseKeepAlive_ProfileHeartbeat_ConnectionTakesIntervalAndServerTimeoutAndAHandSetValueLosesWithAWarning()
    {
        using var profiles = ClientProfiles.InCode("hub", profile =>
        {
            profile.Heartbeat.Interval = TimeSpan.FromSeconds(2);
            profile.Heartbeat.Timeout = TimeSpan.FromSeconds(9);
        });
        var logs = new FakeLogCollector();

        await using var connection = new HubConnectionBuilder()
            .WithUrl("http://127.0.0.1:1/echo")
            .ConfigureLogging(logging => logging.AddProvider(new FakeLoggerProvider(logs)))
            .WithServerTimeout(TimeSpan.FromSeconds(20))
            .UseKeepAlive(profiles.Profiles, "hub")
            .Build();

        (connection.KeepAliveInterval, connection.ServerTimeout).Should().Be((TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(9)));
        logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.SignalROptionOverridden)
            .Which.Message.Should().Be("Hub connection: HubConnectionOptions.ServerTimeout (WithServerTimeout) was set to 20s by hand, but KeepAlive profile 'hub' sets 9s (Heartbeat:Timeout); the profile's value is used. Fix: remove the hand-set value, or set SignalR:ServerTimeout to 20s in the profile to keep it.");
    }

    [Fact]
    public async Task UseKeepAlive_ValueTheProfileLeavesUnsetSetByHand_TheAppliedLineShowsTheValueInForce()
    {
        using var profiles = ClientProfiles.InCode("hub", profile => profile.Heartbeat.Timeout = TimeSpan.FromSeconds(40));
        var logs = new FakeLogCollector();

        await using var connection = new HubConnectionBuilder()
            .WithUrl("http://127.0.0.1:1/echo")
            .ConfigureLogging(logging => logging.AddProvider(new FakeLoggerProvider(logs)))
            .WithKeepAliveInterval(TimeSpan.FromSeconds(5))
            .UseKeepAlive(profiles.Profiles, "hub")
            .Build();

        connection.KeepAliveInterval.Should().Be(TimeSpan.FromSeconds(5), "the profile sets no interval, so the hand-set one stays");
        logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.SignalRProfileApplied).Which.Message
            .Should().Contain("KeepAliveInterval 5s (set in code; the profile sets none)").And.Contain("ServerTimeout 40s (Heartbeat:Timeout)")
            .And.NotContain("15s", "the line says what the connection runs with, not SignalR's default it does not use");
    }

    [Fact]
    public async Task ServerUseKeepAlive_ValueTheProfileLeavesUnsetSetInCode_TheStartUpLineShowsTheValueInForce()
    {
        var logs = new FakeLogCollector();
        await using var server = await HubServers.StartOnLoopbackAsync(builder =>
        {
            builder.Logging.AddProvider(new FakeLoggerProvider(logs));
            builder.Services.AddKeepAlive("hub", profile => profile.Heartbeat.Timeout = TimeSpan.FromSeconds(40));
            builder.Services.AddSignalR(o => o.KeepAliveInterval = TimeSpan.FromSeconds(5)).UseKeepAlive("hub");
        });

        var hub = server.App.Services.GetRequiredService<IOptions<HubOptions>>().Value;

        (hub.KeepAliveInterval, hub.ClientTimeoutInterval).Should().Be((TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(40)));
        logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.HubKeepAliveApplied).Which.Message
            .Should().Contain("KeepAliveInterval 5s (set in code; the profile sets none)").And.Contain("ClientTimeoutInterval 40s (Heartbeat:Timeout)");
    }

    [Fact]
    public void UseKeepAlive_ServerTimeoutSetInCodeBelowTwiceTheProfilesInterval_RefusedAtBuildWithBothValuesAndTheFix()
    {
        // The profile sets the interval (10 s) and leaves ServerTimeout to SignalR's 30 s, which passed its check; the 15 s
        // set by hand is what runs, and one late keep-alive message then starts a reconnect loop. Nothing said so.
        using var profiles = ClientProfiles.InCode("hub", profile => profile.SignalR = new SignalRKeepAliveOptions { KeepAliveInterval = TimeSpan.FromSeconds(10) });

        var build = () => new HubConnectionBuilder()
            .WithUrl("http://127.0.0.1:1/echo")
            .WithServerTimeout(TimeSpan.FromSeconds(15))
            .UseKeepAlive(profiles.Profiles, "hub")
            .Build();

        build.Should().Throw<InvalidOperationException>().WithMessage(
            "KeepAlive profile 'hub': the client's ServerTimeout is 15s, set in code (HubConnectionOptions.ServerTimeout (WithServerTimeout)), with a keep-alive interval of 10s (SignalR:KeepAliveInterval), below twice the interval: *reconnect loop*Fix: set HubConnectionOptions.ServerTimeout (WithServerTimeout) to at least 20s, or remove it and set SignalR:ServerTimeout in the profile.");
    }

    [Fact]
    public void UseKeepAlive_IntervalSetByHandOverHalfTheHubsClientTimeout_RefusedAtBuildWithBothValuesAndTheFix()
    {
        // The profile sets no interval, so the hand-set 20 s stays; the profile's hubs wait 30 s for a client's message,
        // below twice 20 s: one late keep-alive message and the hub drops the client, which reconnects. Nothing said so.
        using var profiles = ClientProfiles.InCode("hub", profile => profile.SignalR = new SignalRKeepAliveOptions { ClientTimeoutInterval = TimeSpan.FromSeconds(30) });

        var build = () => new HubConnectionBuilder()
            .WithUrl("http://127.0.0.1:1/echo")
            .WithKeepAliveInterval(TimeSpan.FromSeconds(20))
            .UseKeepAlive(profiles.Profiles, "hub")
            .Build();

        build.Should().Throw<InvalidOperationException>().WithMessage(
            "KeepAlive profile 'hub': the client's KeepAliveInterval is 20s, set in code (HubConnectionOptions.KeepAliveInterval (WithKeepAliveInterval)), with the hub's ClientTimeoutInterval of 30s (SignalR:ClientTimeoutInterval), over half of it: *reconnect loop*Fix: set HubConnectionOptions.KeepAliveInterval (WithKeepAliveInterval) to at most 15s, or remove it and set SignalR:KeepAliveInterval in the profile.");
    }

    // A hub connection or the hubs given a name the configuration does not define were refused without saying which call
    // asked for it, as a client library's or an HttpClient's refusal does: the one to fix was left to guess.
    [Fact]
    public void UseKeepAlive_UnknownProfile_RefusedNamingTheCallAndTheFix()
    {
        using var profiles = ClientProfiles.InCode("hub", _ => { });

        var apply = () => new HubConnectionBuilder().WithUrl("http://127.0.0.1:1/echo").UseKeepAlive(profiles.Profiles, "orders");

        apply.Should().Throw<KeepAliveProfileNotFoundException>().WithMessage(
            "No KeepAlive profile named 'orders' is registered (registered: 'hub'), but HubConnectionBuilder.UseKeepAlive(\"orders\") uses it.*Fix: add a \"orders\" section*, or give HubConnectionBuilder.UseKeepAlive(\"orders\") a registered profile ('hub').");
    }

    [Fact]
    public async Task ServerUseKeepAlive_UnknownProfile_HostDoesNotStartAndTheRefusalNamesTheCallAndTheFix()
    {
        var start = async () =>
        {
            await using var server = await HubServers.StartOnLoopbackAsync(builder =>
            {
                builder.Services.AddKeepAlive("hub", _ => { });
                builder.Services.AddSignalR().UseKeepAlive("orders");
            });
        };

        (await start.Should().ThrowAsync<Exception>("the hub is mapped at start-up")).Which.Message.Should().Match(
            "*No KeepAlive profile named 'orders' is registered (registered: 'hub'), but services.AddSignalR().UseKeepAlive(\"orders\") uses it.*Fix: add a \"orders\" section*, or give services.AddSignalR().UseKeepAlive(\"orders\") a registered profile ('hub').*");
    }

    [Fact]
    public async Task ServerUseKeepAlive_ClientTimeoutSetInCodeBelowTwiceTheProfilesInterval_RefusedWithBothValuesAndTheFix()
    {
        var start = async () =>
        {
            await using var server = await HubServers.StartOnLoopbackAsync(builder =>
            {
                builder.Services.AddKeepAlive("hub", profile => profile.SignalR = new SignalRKeepAliveOptions { KeepAliveInterval = TimeSpan.FromSeconds(10) });
                builder.Services.AddSignalR(o => o.ClientTimeoutInterval = TimeSpan.FromSeconds(15)).UseKeepAlive("hub");
            });
        };

        (await start.Should().ThrowAsync<InvalidOperationException>("the hub is mapped at start-up, with the options in force")).WithMessage(
            "KeepAlive profile 'hub': the hub's ClientTimeoutInterval is 15s, set in code (HubOptions.ClientTimeoutInterval), with a keep-alive interval of 10s (SignalR:KeepAliveInterval), below twice the interval: *Fix: set HubOptions.ClientTimeoutInterval to at least 20s*");
    }

    [Fact]
    public async Task ServerUseKeepAlive_FractionalIntervalWithATimeoutBelowTwiceIt_RefusedAlikeFromTheProfileAndFromCode()
    {
        // SignalR:KeepAliveInterval 7s500ms (the hubs run 7s: SignalR's 1 s tick) with a ClientTimeoutInterval of 14s500ms:
        // in the profile it was refused against 7s500ms, set in code (AddSignalR(o => ...)) it was accepted against 7s.
        var interval = TimeSpan.FromMilliseconds(7500);
        var timeout = TimeSpan.FromMilliseconds(14500);
        async Task<string> RefusalAsync(Action<SignalRKeepAliveOptions> profile, Action<HubOptions> hubs)
        {
            var start = async () =>
            {
                await using var server = await HubServers.StartOnLoopbackAsync(builder =>
                {
                    builder.Services.AddKeepAlive("hub", p => profile(p.SignalR = new SignalRKeepAliveOptions { KeepAliveInterval = interval }));
                    builder.Services.AddSignalR(hubs).UseKeepAlive("hub");
                });
            };

            return (await start.Should().ThrowAsync<Exception>()).Which.Message;
        }

        var fromProfile = await RefusalAsync(p => p.ClientTimeoutInterval = timeout, _ => { });
        var fromCode = await RefusalAsync(_ => { }, o => o.ClientTimeoutInterval = timeout);

        const string Judged = "judged as the profile asks it, not as the 7s SignalR's 1s tick runs it, since that tick sends a keep-alive message up to 1s after the interval";
        fromProfile.Should().Contain($"SignalR:ClientTimeoutInterval is 14s500ms, below twice SignalR:KeepAliveInterval 7s500ms ({Judged}):").And.Contain("at least 15s");
        fromCode.Should().Be($"KeepAlive profile 'hub': the hub's ClientTimeoutInterval is 14s500ms, set in code (HubOptions.ClientTimeoutInterval), with a keep-alive interval of 7s500ms (SignalR:KeepAliveInterval; {Judged}), below twice the interval: SignalR requires the hub's ClientTimeoutInterval to be at least twice the keep-alive interval; below it one late or lost keep-alive message makes that side declare the other gone, and the connection reconnects, again and again (a reconnect loop). Fix: set HubOptions.ClientTimeoutInterval to at least 15s, or remove it and set SignalR:ClientTimeoutInterval in the profile.");
    }

    [Fact]
    public async Task ServerUseKeepAlive_OneHubsClientTimeoutSetByAddHubOptionsBelowTwiceTheProfilesInterval_RefusedNamingTheHub()
    {
        // AddHubOptions<THub> replaces the hubs' values for one hub: that hub runs with its own, which the rule must see too.
        var start = async () =>
        {
            await using var server = await HubServers.StartOnLoopbackAsync(builder =>
            {
                builder.Services.AddKeepAlive("hub", profile => profile.SignalR = new SignalRKeepAliveOptions { KeepAliveInterval = TimeSpan.FromSeconds(10) });
                builder.Services.AddSignalR().UseKeepAlive("hub").AddHubOptions<EchoHub>(o => o.ClientTimeoutInterval = TimeSpan.FromSeconds(15));
            });
        };

        (await start.Should().ThrowAsync<InvalidOperationException>("the hub is mapped at start-up, with its own options in force")).WithMessage(
            "KeepAlive profile 'hub': the hub's ClientTimeoutInterval is 15s, set in code (HubOptions<EchoHub>.ClientTimeoutInterval), with a keep-alive interval of 10s (SignalR:KeepAliveInterval), below twice the interval: *Fix: set HubOptions<EchoHub>.ClientTimeoutInterval to at least 20s*");
    }

    [Fact]
    public async Task ServerUseKeepAlive_OneHubsOwnClientTimeout_ItsOwnStartUpLineShowsTheValueItRunsWith()
    {
        var logs = new FakeLogCollector();
        await using var server = await HubServers.StartOnLoopbackAsync(builder =>
        {
            builder.Logging.AddProvider(new FakeLoggerProvider(logs));
            builder.Services.AddKeepAlive("hub", profile => (profile.Heartbeat.Interval, profile.Heartbeat.Timeout) = (TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(12)));
            builder.Services.AddSignalR().UseKeepAlive("hub").AddHubOptions<EchoHub>(o => o.ClientTimeoutInterval = TimeSpan.FromSeconds(20));
        });

        var echo = server.App.Services.GetRequiredService<IOptions<HubOptions<EchoHub>>>().Value;

        echo.ClientTimeoutInterval.Should().Be(TimeSpan.FromSeconds(20));
        var lines = logs.GetSnapshot().Where(static r => r.Id.Id == KeepAliveEventIds.HubKeepAliveApplied).Select(static r => r.Message).ToList();
        lines.Should().HaveCount(2, "every hub's line, and one for the hub that runs with values of its own");
        lines.Should().ContainSingle(l => l.StartsWith("SignalR hub EchoHub (AddHubOptions<EchoHub>) uses KeepAlive profile 'hub'", StringComparison.Ordinal))
            .Which.Should().Contain("ClientTimeoutInterval 20s (set in code").And.Contain("KeepAliveInterval 3s (Heartbeat:Interval)");
    }

    [Fact]
    public async Task ServerUseKeepAlive_ClientTimeoutConfiguredAfterTheCallBelowTwiceTheProfilesInterval_RefusedWithBothValuesAndTheFix()
    {
        // services.Configure<HubOptions> after UseKeepAlive runs after the profile's values: the 15 s is what the hubs run
        // with, and the check had looked at the value before it (SignalR's 30 s). Nothing said so.
        var start = async () =>
        {
            await using var server = await HubServers.StartOnLoopbackAsync(builder =>
            {
                builder.Services.AddKeepAlive("hub", profile => profile.SignalR = new SignalRKeepAliveOptions { KeepAliveInterval = TimeSpan.FromSeconds(10) });
                builder.Services.AddSignalR().UseKeepAlive("hub");
                builder.Services.Configure<HubOptions>(o => o.ClientTimeoutInterval = TimeSpan.FromSeconds(15));
            });
        };

        (await start.Should().ThrowAsync<InvalidOperationException>()).WithMessage(
            "KeepAlive profile 'hub': the hub's ClientTimeoutInterval is 15s, set in code (HubOptions.ClientTimeoutInterval), with a keep-alive interval of 10s (SignalR:KeepAliveInterval), below twice the interval: *Fix: set HubOptions.ClientTimeoutInterval to at least 20s*");
    }

    [Fact]
    public async Task ServerUseKeepAlive_IntervalConfiguredAfterTheCallOverHalfTheClientsServerTimeout_RefusedWithBothValuesAndTheFix()
    {
        // The hub sends its keep-alive every 20 s; the profile's clients wait 30 s (SignalR's ServerTimeout, which the profile's
        // 10 s interval passed), below twice 20 s: one late keep-alive message and every client reconnects. Nothing said so.
        var start = async () =>
        {
            await using var server = await HubServers.StartOnLoopbackAsync(builder =>
            {
                builder.Services.AddKeepAlive("hub", profile => profile.SignalR = new SignalRKeepAliveOptions { KeepAliveInterval = TimeSpan.FromSeconds(10) });
                builder.Services.AddSignalR().UseKeepAlive("hub");
                builder.Services.Configure<HubOptions>(o => o.KeepAliveInterval = TimeSpan.FromSeconds(20));
            });
        };

        (await start.Should().ThrowAsync<InvalidOperationException>()).WithMessage(
            "KeepAlive profile 'hub': the hub's KeepAliveInterval is 20s, set in code (HubOptions.KeepAliveInterval), with the client's ServerTimeout of 30s (SignalR's default), over half of it: *reconnect loop*Fix: set HubOptions.KeepAliveInterval to at most 15s, or remove it and set SignalR:KeepAliveInterval in the profile.");
    }

    [Fact]
    public void Create_NoIntervalAndAPeerIdleTimeoutUnderSignalRsOwnInterval_RefusedWithTheClientLibrarysDefault()
    {
        // Without Heartbeat:Interval the hub connection keeps SignalR's own keep-alive interval: the one judged against
        // the peer is the client library's (HubConnection.DefaultKeepAliveInterval), not a value of ours that could drift from it.
        using var untold = ClientProfiles.InCode("hub", _ => { });
        using var profiles = ClientProfiles.InCode("hub", profile =>
        {
            (profile.Tcp.IdleTime, profile.Tcp.Interval) = (TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5));
            profile.Heartbeat.PeerIdleTimeout = HubConnection.DefaultKeepAliveInterval * 2 - TimeSpan.FromSeconds(1);
        });

        var create = () => KeepAliveSignalRSettings.Create(profiles.Profiles, "hub");

        KeepAliveSignalRSettings.Create(untold.Profiles, "hub").ToString().Should().StartWith(
            $"KeepAliveInterval {KeepAliveDuration.Format(HubConnection.DefaultKeepAliveInterval)} (SignalR's default), ServerTimeout {KeepAliveDuration.Format(HubConnection.DefaultServerTimeout)} (SignalR's default)");
        create.Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle().Which.Should()
            .Contain($"SignalR's keep-alive interval is {KeepAliveDuration.Format(HubConnection.DefaultKeepAliveInterval)} (SignalR's default), over").And.Contain("Fix: set SignalR:KeepAliveInterval");
    }

    [Fact]
    public async Task ServerUseKeepAlive_IntervalConfiguredAfterTheCallOverThePeerIdleBudget_RefusedWithTheBudgetAndTheFix()
    {
        // The profile's 10 s interval fits the middlebox (PeerIdleTimeout 1m); the 2 min the hubs run with does not: an idle
        // connection is dropped between two keep-alive messages. The profile's own interval is checked; this one was not.
        var start = async () =>
        {
            await using var server = await HubServers.StartOnLoopbackAsync(builder =>
            {
                builder.Services.AddKeepAlive("hub", profile =>
                {
                    profile.Heartbeat.PeerIdleTimeout = TimeSpan.FromMinutes(1);
                    profile.SignalR = new SignalRKeepAliveOptions { KeepAliveInterval = TimeSpan.FromSeconds(10), ServerTimeout = TimeSpan.FromMinutes(10) };
                });
                builder.Services.AddSignalR().UseKeepAlive("hub");
                builder.Services.Configure<HubOptions>(o => o.KeepAliveInterval = TimeSpan.FromMinutes(2));
            });
        };

        (await start.Should().ThrowAsync<InvalidOperationException>()).WithMessage(
            "KeepAlive profile 'hub': the hub's KeepAliveInterval is 2m, set in code (HubOptions.KeepAliveInterval), over 30s = Heartbeat:MaxIntervalToPeerIdleRatio 0.5 x Heartbeat:PeerIdleTimeout 1m: *Fix: set HubOptions.KeepAliveInterval to at most 30s.");
    }

    [Fact]
    public async Task ServerUseKeepAlive_OneHubsIntervalSetByAddHubOptionsOverHalfTheClientsServerTimeout_RefusedNamingTheHub()
    {
        var start = async () =>
        {
            await using var server = await HubServers.StartOnLoopbackAsync(builder =>
            {
                builder.Services.AddKeepAlive("hub", profile => (profile.Heartbeat.Interval, profile.Heartbeat.Timeout) = (TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(12)));
                builder.Services.AddSignalR().UseKeepAlive("hub").AddHubOptions<EchoHub>(o => o.KeepAliveInterval = TimeSpan.FromSeconds(8));
            });
        };

        (await start.Should().ThrowAsync<InvalidOperationException>("the hub is mapped at start-up, with its own options in force")).WithMessage(
            "KeepAlive profile 'hub': the hub's KeepAliveInterval is 8s, set in code (HubOptions<EchoHub>.KeepAliveInterval), with the client's ServerTimeout of 12s (Heartbeat:Timeout), over half of it: *Fix: set HubOptions<EchoHub>.KeepAliveInterval to at most 6s*");
    }

    [Fact]
    public async Task ServerUseKeepAlive_ProfileValueReplacedByConfigureAfterTheCall_TheStartUpLineShowsTheValueInForce()
    {
        var logs = new FakeLogCollector();
        await using var server = await HubServers.StartOnLoopbackAsync(builder =>
        {
            builder.Logging.AddProvider(new FakeLoggerProvider(logs));
            builder.Services.AddKeepAlive("hub", profile => profile.SignalR.ClientTimeoutInterval = TimeSpan.FromSeconds(40));
            builder.Services.AddSignalR().UseKeepAlive("hub");
            builder.Services.Configure<HubOptions>(o => o.ClientTimeoutInterval = TimeSpan.FromSeconds(50));
        });

        server.App.Services.GetRequiredService<IOptions<HubOptions>>().Value.ClientTimeoutInterval.Should().Be(TimeSpan.FromSeconds(50));
        logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.HubKeepAliveApplied).Which.Message
            .Should().Contain("ClientTimeoutInterval 50s (set in code, over SignalR:ClientTimeoutInterval 40s)");
    }

    // ownFactoryFollowingTheFix: the fix warning 3351 gives for a WebSocketFactory of the user's, connecting in it through
    // KeepAlive.Net.Hosting's ClientWebSocket.ConnectAsync(uri, profiles, name, ct), puts the Tcp section on the socket too.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task UseKeepAlive_WebSocketWithoutNegotiation_ItsSocketCarriesTheTcpSectionReadBackFromTheKernel(bool ownFactoryFollowingTheFix)
    {
        TestEnvironment.RequireLinux();
        await using var server = await HubServers.StartOnLoopbackAsync();
        using var profiles = ClientProfiles.InCode("hub", NatProfiles.ReadBack);
        var endPoint = new IPEndPoint(IPAddress.Loopback, HubServers.Url(server).Port);
        var before = ClientSockets.Snapshot(endPoint);
        await using var connection = new HubConnectionBuilder()
            .WithUrl(HubServers.Url(server), o =>
            {
                (o.SkipNegotiation, o.Transports) = (true, HttpTransportType.WebSockets);
                if (ownFactoryFollowingTheFix)
                {
                    o.WebSocketFactory = async (context, cancellationToken) =>
                    {
                        var webSocket = new ClientWebSocket();
                        await webSocket.ConnectAsync(context.Uri, profiles.Profiles, "hub", cancellationToken);
                        return webSocket;
                    };
                }
            })
            .UseKeepAlive(profiles.Profiles, "hub")
            .Build();

        await connection.StartAsync(Token);
        (await connection.InvokeAsync<string>("Echo", "hi", Token)).Should().StartWith("hi on ");

        var settings = ClientSockets.SingleNew(endPoint, before).View.GetKeepAlive();
        (settings.Enabled, settings.IdleTime, settings.Interval, settings.ProbeCount).Should().Be((true, TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(3), 4), "read back from the kernel on the WebSocket's socket");
    }

    [Fact]
    public async Task UseKeepAlive_WebSocket_SendsTheHeadersSignalRsOwnFactorySends()
    {
        await using var server = await HubServers.StartOnLoopbackAsync();
        using var profiles = ClientProfiles.InCode("hub", NatProfiles.ReadBack);

        var withoutProfile = await ClientHeadersAsync(server, builder => builder);
        var withProfile = await ClientHeadersAsync(server, builder => builder.UseKeepAlive(profiles.Profiles, "hub"));

        withoutProfile.Should().StartWith("User-Agent: Microsoft SignalR/").And.Contain("X-Requested-With: XMLHttpRequest");
        withProfile.Should().Be(withoutProfile, "the WebSocket connected through the profile's handler is SignalR's, header for header");
    }

    // The profile's WebSocket section replaced the KeepAliveInterval and KeepAliveTimeout a WebSocketConfiguration of the
    // user's had set on the WebSocket, without a word, while a hand-set KeepAliveInterval or ServerTimeout of the hub
    // connection that the profile replaces is reported (event 3352). Values the profile leaves unset stay, unreported.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task UseKeepAlive_WebSocketConfigurationSetsKeepAliveValues_TheProfilesWinWithAWarningOrYoursStay(bool profileSetsThem)
    {
        await using var server = await HubServers.StartOnLoopbackAsync();
        using var profiles = ClientProfiles.InCode("hub", profile => (profile.WebSocket.KeepAliveInterval, profile.WebSocket.KeepAliveTimeout) =
            profileSetsThem ? (TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(10)) : ((TimeSpan?)null, (TimeSpan?)null));
        var logs = new FakeLogCollector();
        ClientWebSocketOptions? configured = null;
        await using var connection = Logged(new HubConnectionBuilder().WithUrl(HubServers.Url(server), o =>
        {
            (o.SkipNegotiation, o.Transports) = (true, HttpTransportType.WebSockets);
            o.WebSocketConfiguration = webSocket => (configured, webSocket.KeepAliveInterval, webSocket.KeepAliveTimeout) = (webSocket, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(3));
        }), logs).UseKeepAlive(profiles.Profiles, "hub").Build();

        await connection.StartAsync(Token);
        await connection.StopAsync(Token);
        await connection.StartAsync(Token);

        (configured!.KeepAliveInterval, configured.KeepAliveTimeout).Should().Be(profileSetsThem ? (TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(10)) : (TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(3)));
        logs.GetSnapshot().Where(static r => r.Id.Id == KeepAliveEventIds.SignalROptionOverridden).Select(static r => r.Message).Should().BeEquivalentTo(profileSetsThem
            ?
            [
                "Hub connection: ClientWebSocketOptions.KeepAliveInterval (WebSocketConfiguration) was set to 5s by hand, but KeepAlive profile 'hub' sets 20s (WebSocket:KeepAliveInterval); the profile's value is used. Fix: remove the hand-set value, or set WebSocket:KeepAliveInterval to 5s in the profile to keep it.",
                "Hub connection: ClientWebSocketOptions.KeepAliveTimeout (WebSocketConfiguration) was set to 3s by hand, but KeepAlive profile 'hub' sets 10s (WebSocket:KeepAliveTimeout); the profile's value is used. Fix: remove the hand-set value, or set WebSocket:KeepAliveTimeout to 3s in the profile to keep it.",
            ]
            : [], "each replaced value is said once, not at every connect, and a value the profile leaves alone is not replaced");
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().BeEmpty("3352 reports these values for the hub connection; the WebSocket options' own 3202 would say each again at every connect");
    }

    private static async Task<string> ClientHeadersAsync(WebServer server, Func<IHubConnectionBuilder, IHubConnectionBuilder> configure)
    {
        await using var connection = configure(new HubConnectionBuilder()
            .WithUrl(HubServers.Url(server), o => (o.SkipNegotiation, o.Transports) = (true, HttpTransportType.WebSockets))).Build();
        await connection.StartAsync(Token);
        return await connection.InvokeAsync<string>("ClientHeaders", Token);
    }

    [Fact]
    public async Task UseKeepAlive_NegotiatedWebSocket_EveryConnectionCarriesTheTcpSection()
    {
        TestEnvironment.RequireLinux();
        await using var server = await HubServers.StartOnLoopbackAsync();
        using var profiles = ClientProfiles.InCode("hub", NatProfiles.ReadBack);
        var endPoint = new IPEndPoint(IPAddress.Loopback, HubServers.Url(server).Port);
        var before = ClientSockets.Snapshot(endPoint);
        await using var connection = new HubConnectionBuilder().WithUrl(HubServers.Url(server)).UseKeepAlive(profiles.Profiles, "hub").Build();

        await connection.StartAsync(Token);
        (await connection.InvokeAsync<string>("Echo", "hi", Token)).Should().StartWith("hi on ");

        var sockets = ClientSockets.NewSince(endPoint, before);
        sockets.Should().NotBeEmpty();
        sockets.Select(static s => s.View.GetKeepAlive().IdleTime).Should().OnlyContain(idle => idle == TimeSpan.FromSeconds(7), "the negotiation's and the WebSocket's sockets both carry the profile");
        profiles.Messages(KeepAliveEventIds.HttpConnectionConfigured).Should().NotBeEmpty();
    }

    [Fact]
    public async Task UseKeepAlive_WebSocketFactoryOfItsOwn_KeptAndTheTcpSectionIsReportedNotApplicable()
    {
        await using var server = await HubServers.StartOnLoopbackAsync();
        using var profiles = ClientProfiles.InCode("hub", _ => { });
        var logs = new FakeLogCollector();
        var own = 0;
        await using var connection = new HubConnectionBuilder()
            .WithUrl(HubServers.Url(server), o =>
            {
                o.Transports = HttpTransportType.WebSockets;
                o.WebSocketFactory = async (context, cancellationToken) =>
                {
                    Interlocked.Increment(ref own);
                    var webSocket = new ClientWebSocket();
                    await webSocket.ConnectAsync(context.Uri, cancellationToken);
                    return webSocket;
                };
            })
            .ConfigureLogging(logging => logging.AddProvider(new FakeLoggerProvider(logs)))
            .UseKeepAlive(profiles.Profiles, "hub")
            .Build();

        await connection.StartAsync(Token);

        own.Should().Be(1, "the user's factory opens the WebSocket");
        logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.SignalRWebSocketTcpNotApplicable).Which.Message.Should().Contain("a WebSocketFactory of your own")
            .And.Contain("Fix: remove the WebSocketFactory, or connect the WebSocket in it with webSocket.ConnectAsync(context.Uri, profiles, \"hub\", cancellationToken) from KeepAlive.Net.Hosting, which applies the Tcp section to its socket", "the warning says how to get the profile onto the WebSocket the user's factory opens");
    }

    // With a WebSocketFactory of the user's, line 3350 said "the Tcp section on every transport's socket, the WebSocket
    // section on the WebSocket" next to warning 3351 saying the WebSocket's socket does not get the Tcp section.
    [Fact]
    public void UseKeepAlive_WebSocketFactoryOfItsOwn_TheAppliedLineDoesNotClaimTheWebSocket()
    {
        using var profiles = ClientProfiles.InCode("hub", _ => { });
        var logs = new FakeLogCollector();
        var builder = new HubConnectionBuilder().WithUrl(new Uri("http://127.0.0.1:1/echo"), o => o.WebSocketFactory = static (_, _) => throw new InvalidOperationException("never called"));
        builder.ConfigureLogging(logging => logging.AddProvider(new FakeLoggerProvider(logs)));

        using var connection = builder.UseKeepAlive(profiles.Profiles, "hub").Build() as IDisposable;

        logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.SignalRProfileApplied).Which.Message
            .Should().NotContain("on every transport's socket").And.Contain("not the WebSocket's: a WebSocketFactory of your own opens it");
    }

    // On long polling SignalR's client sends no keep-alive messages and runs no ServerTimeout (the poll stands in for them):
    // line 3350 still said the connection ran with the profile's KeepAliveInterval and ServerTimeout, and the WebSocket
    // section on a WebSocket it never opens.
    [Fact]
    public void UseKeepAlive_LongPollingOnly_TheAppliedLineSaysTheIntervalAndTimeoutDoNotRun()
    {
        using var profiles = ClientProfiles.InCode("hub", profile => (profile.Heartbeat.Interval, profile.Heartbeat.Timeout) = (TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(9)));
        var logs = new FakeLogCollector();

        using var connection = Logged(new HubConnectionBuilder().WithUrl(new Uri("http://127.0.0.1:1/echo"), HttpTransportType.LongPolling), logs)
            .UseKeepAlive(profiles.Profiles, "hub").Build() as IDisposable;

        logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.SignalRProfileApplied).Which.Message
            .Should().Contain("long polling only, on which SignalR sends no keep-alive messages and runs no ServerTimeout")
            .And.NotContain("the WebSocket section on the WebSocket");
    }

    // Without WebSockets among HttpConnectionOptions.Transports, line 3350 still said "the WebSocket section on the
    // WebSocket" (or, with a WebSocketFactory of the user's, "not the WebSocket's"), and warning 3351 said the factory's
    // WebSocket runs without the Tcp section: the connection opens no WebSocket.
    [Theory]
    [InlineData(HttpTransportType.ServerSentEvents)]
    [InlineData(HttpTransportType.LongPolling | HttpTransportType.ServerSentEvents)]
    public void UseKeepAlive_TransportsWithoutWebSockets_NeitherTheAppliedLineNorAWarningNamesTheWebSocket(HttpTransportType transports)
    {
        using var profiles = ClientProfiles.InCode("hub", _ => { });
        var logs = new FakeLogCollector();

        using var connection = Logged(new HubConnectionBuilder().WithUrl(new Uri("http://127.0.0.1:1/echo"), transports, o => o.WebSocketFactory = static (_, _) => throw new InvalidOperationException("never called")), logs)
            .UseKeepAlive(profiles.Profiles, "hub").Build() as IDisposable;

        using var _ = new AssertionScope();
        logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.SignalRProfileApplied).Which.Message.Should()
            .EndWith("the Tcp section on every transport's socket; the WebSocket section on none, as HttpConnectionOptions.Transports leave out WebSockets.");
        logs.GetSnapshot().Should().NotContain(r => r.Id.Id == KeepAliveEventIds.SignalRWebSocketTcpNotApplicable, "no WebSocket is opened, by the user's factory or any");
    }

    [Fact]
    public async Task UseKeepAlive_HandlerFactoryChangesSignalRsOwnHandler_HandlerKeptAndTheTcpSectionIsReportedNotApplicable()
    {
        await using var server = await HubServers.StartOnLoopbackAsync();
        using var profiles = ClientProfiles.InCode("hub", NatProfiles.ReadBack);
        var logs = new FakeLogCollector();
        HttpMessageHandler? given = null;
        await using var connection = new HubConnectionBuilder()
            .WithUrl(HubServers.Url(server), o => o.HttpMessageHandlerFactory = signalRs =>
            {
                // The documented way to accept a development certificate: a setting a replacement handler would lose.
                ((HttpClientHandler)signalRs).ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator;
                return given = signalRs;
            })
            .ConfigureLogging(logging => logging.AddProvider(new FakeLoggerProvider(logs)))
            .UseKeepAlive(profiles.Profiles, "hub")
            .Build();

        await connection.StartAsync(Token);

        (await connection.InvokeAsync<string>("Echo", "hi", Token)).Should().StartWith("hi on ", "the connection works with the user's handler");
        given.Should().BeOfType<HttpClientHandler>().Which.ServerCertificateCustomValidationCallback.Should().NotBeNull();
        logs.GetSnapshot().Should().Contain(r => r.Id.Id == KeepAliveEventIds.SignalRWebSocketTcpNotApplicable)
            .Which.Message.Should().Contain("set ServerCertificateCustomValidationCallback on SignalR's HttpClientHandler").And.Contain("return a SocketsHttpHandler");
        profiles.Messages(KeepAliveEventIds.HttpConnectionConfigured).Should().BeEmpty("no socket got the profile rather than a handler that loses the user's setting");
    }

    // The common factory that wraps SignalR's own handler (logging, auth) without changing it: SignalR's handler was kept
    // under the user's, so no socket of any transport got the Tcp section (warning 3351 said so), though nothing stood in
    // the way of replacing it as it is replaced when the factory returns it as it is.
    [Theory]
    [InlineData(HttpTransportType.WebSockets)]
    [InlineData(HttpTransportType.LongPolling)]
    public async Task UseKeepAlive_HandlerFactoryWrapsSignalRsOwnHandlerInADelegatingHandler_TheSocketsCarryTheTcpSection(HttpTransportType transport)
    {
        var (logs, passed) = (new FakeLogCollector(), 0);
        await using var server = await HubServers.StartOnLoopbackAsync();
        using var profiles = ClientProfiles.InCode("hub", NatProfiles.ReadBack);
        await using var connection = Logged(new HubConnectionBuilder().WithUrl(HubServers.Url(server), o => (o.Transports, o.HttpMessageHandlerFactory) =
            (transport, signalRs => new PassThrough(() => Interlocked.Increment(ref passed)) { InnerHandler = signalRs })), logs).UseKeepAlive(profiles.Profiles, "hub").Build();

        await connection.StartAsync(Token);

        (await connection.InvokeAsync<string>("Echo", "hi", Token)).Should().StartWith("hi on ");
        passed.Should().BeGreaterThan(0, "the user's handler stays in the chain");
        logs.GetSnapshot().Should().NotContain(r => r.Id.Id == KeepAliveEventIds.SignalRWebSocketTcpNotApplicable);
        profiles.Messages(KeepAliveEventIds.HttpConnectionConfigured).Should().NotBeEmpty("the connection's sockets carry the profile under the user's handler");
    }

    private static IHubConnectionBuilder Logged(IHubConnectionBuilder builder, FakeLogCollector logs) =>
        builder.ConfigureLogging(logging => logging.AddProvider(new FakeLoggerProvider(logs)));

    private sealed class PassThrough(Action onSend) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            onSend();
            return base.SendAsync(request, cancellationToken);
        }
    }

    [Theory]
    [InlineData(HttpTransportType.LongPolling)]
    [InlineData(HttpTransportType.ServerSentEvents)]
    public async Task UseKeepAlive_HandlerFactoryChangesSignalRsOwnHandlerWithoutWebSockets_TheTcpSectionIsReportedNotApplicable(HttpTransportType transport)
    {
        await using var server = await HubServers.StartOnLoopbackAsync();
        using var profiles = ClientProfiles.InCode("hub", NatProfiles.ReadBack);
        var logs = new FakeLogCollector();
        await using var connection = new HubConnectionBuilder()
            .WithUrl(HubServers.Url(server), o =>
            {
                o.Transports = transport;
                o.HttpMessageHandlerFactory = signalRs =>
                {
                    ((HttpClientHandler)signalRs).ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator;
                    return signalRs;
                };
            })
            .ConfigureLogging(logging => logging.AddProvider(new FakeLoggerProvider(logs)))
            .UseKeepAlive(profiles.Profiles, "hub")
            .Build();

        await connection.StartAsync(Token);

        (await connection.InvokeAsync<string>("Echo", "hi", Token)).Should().StartWith("hi on ", "the connection works with the user's handler");
        profiles.Messages(KeepAliveEventIds.HttpConnectionConfigured).Should().BeEmpty("the user's handler is kept, so no socket carries the profile");
        logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.SignalRWebSocketTcpNotApplicable, "the connection's sockets run without the Tcp section, which must not go unsaid")
            .Which.Message.Should().Contain("the connection's sockets (negotiation, Server-Sent Events, long polling").And.Contain("set ServerCertificateCustomValidationCallback on SignalR's HttpClientHandler");
    }

    [Theory]
    [InlineData(HttpTransportType.WebSockets)]
    [InlineData(HttpTransportType.LongPolling)]
    public async Task UseKeepAlive_HandlerFactorySetsAResponseHeaderLimitOnSignalRsOwnHandler_TheLimitStaysOnTheHandlerCarryingTheProfile(HttpTransportType transport)
    {
        // SignalR's handler was replaced by a SocketsHttpHandler without its MaxResponseHeadersLength: the 1 KB limit the
        // user set was silently dropped, and a 2 KB header was accepted.
        await using var server = await HubServers.StartOnLoopbackAsync(static builder => builder.Services.AddTransient<Microsoft.AspNetCore.Hosting.IStartupFilter, LargeResponseHeader>());
        using var profiles = ClientProfiles.InCode("hub", NatProfiles.ReadBack);
        await using var connection = new HubConnectionBuilder()
            .WithUrl(HubServers.Url(server), o => (o.Transports, o.HttpMessageHandlerFactory) = (transport, signalRs =>
            {
                ((HttpClientHandler)signalRs).MaxResponseHeadersLength = 1;
                return signalRs;
            }))
            .UseKeepAlive(profiles.Profiles, "hub")
            .Build();

        var start = () => connection.StartAsync(Token);

        (await start.Should().ThrowAsync<Exception>()).Which.ToString().Should().Contain("response headers length exceeded the set limit of 1024 bytes");
        profiles.Messages(KeepAliveEventIds.HttpConnectionConfigured).Should().NotBeEmpty("the handler keeping the limit carries the profile");
    }

    private sealed class LargeResponseHeader : Microsoft.AspNetCore.Hosting.IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                context.Response.Headers["X-Large"] = new string('x', 2048);
                return nextMiddleware(context);
            });
            next(app);
        };
    }

    // SignalR gives its WebSocket the options' proxy (and cookies, certificates, credentials) whatever the handler factory
    // returns. The profile's WebSocket factory connected through the user's own SocketsHttpHandler, which has none of them,
    // and, where it kept SignalR's way (a handler it cannot replace), left them off: the WebSocket bypassed the proxy.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task UseKeepAlive_HttpConnectionOptionsProxyAndAHandlerFactory_TheWebSocketGoesThroughTheProxyAsSignalRsOwnWould(bool yourSocketsHandler)
    {
        await using var server = await HubServers.StartOnLoopbackAsync();
        using var profiles = ClientProfiles.InCode("hub", NatProfiles.ReadBack);
        var logs = new FakeLogCollector();
        var proxy = new AskedProxy();
        await using var connection = Logged(new HubConnectionBuilder().WithUrl(HubServers.Url(server), o =>
        {
            (o.SkipNegotiation, o.Transports, o.Proxy) = (true, HttpTransportType.WebSockets, proxy);
            o.HttpMessageHandlerFactory = signalRs =>
            {
                if (yourSocketsHandler)
                {
                    return new SocketsHttpHandler();
                }

                ((HttpClientHandler)signalRs).ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator;
                return signalRs;
            };
        }), logs).UseKeepAlive(profiles.Profiles, "hub").Build();

        await connection.StartAsync(Token);

        (await connection.InvokeAsync<string>("Echo", "hi", Token)).Should().StartWith("hi on ");
        proxy.Asked.Should().ContainSingle("the WebSocket asks the options' proxy, as SignalR's own does").Which.Port.Should().Be(HubServers.Url(server).Port);
        logs.GetSnapshot().Should().Contain(r => r.Id.Id == KeepAliveEventIds.SignalRWebSocketTcpNotApplicable, "the WebSocket's socket runs without the Tcp section");
    }

    private sealed class AskedProxy : IWebProxy
    {
        public System.Collections.Concurrent.ConcurrentQueue<Uri> Asked { get; } = new();

        public ICredentials? Credentials { get; set; }

        public Uri? GetProxy(Uri destination) => destination;

        public bool IsBypassed(Uri host)
        {
            Asked.Enqueue(host);
            return true;
        }
    }

    [Fact]
    public async Task UseKeepAlive_HandlerFactoryReturnsAHandlerCarryingAnotherProfile_RefusedNamingBothAndTheFix()
    {
        // The handler kept the other profile's Tcp and Http sections while line 3350 said the connection used 'hub'.
        await using var server = await HubServers.StartOnLoopbackAsync();
        using var profiles = ClientProfiles.Build(services => services.AddKeepAlive("hub", NatProfiles.ReadBack).AddKeepAlive("other", static _ => { }));
        await using var connection = new HubConnectionBuilder()
            .WithUrl(HubServers.Url(server), o => o.HttpMessageHandlerFactory = _ => new SocketsHttpHandler().UseKeepAlive(profiles.Profiles, "other"))
            .UseKeepAlive(profiles.Profiles, "hub")
            .Build();

        var start = () => connection.StartAsync(Token);

        (await start.Should().ThrowAsync<InvalidOperationException>()).WithMessage(
            "HubConnectionBuilder.UseKeepAlive(\"hub\"): the SocketsHttpHandler the HttpMessageHandlerFactory returns already carries KeepAlive profile 'other'*Fix:*");
    }

    // The hub connection takes KeepAliveInterval and ServerTimeout once, when it is built; a reload changing them was
    // accepted without a word, while the other client packages (3204) and the hubs (3106) say what stays.
    [Fact]
    public async Task UseKeepAlive_AReloadChangesTheIntervalAfterTheConnectionWasBuilt_WarnsThatTheValuesStayWithTheFix()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
            [new("KeepAlive:Profiles:hub:Heartbeat:Interval", "5s"), new("KeepAlive:Profiles:hub:Heartbeat:Timeout", "20s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        await using var connection = new HubConnectionBuilder().WithUrl(new Uri("http://127.0.0.1:1/echo")).UseKeepAlive(profiles.Profiles, "hub").Build();

        configuration["KeepAlive:Profiles:hub:Heartbeat:Interval"] = "8s";
        configuration["KeepAlive:Profiles:hub:Heartbeat:Timeout"] = "24s";
        configuration.Reload();

        connection.KeepAliveInterval.Should().Be(TimeSpan.FromSeconds(5), "a built connection keeps its values");
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle().Which.Should().Be(
            "SignalR hub connection took these values from KeepAlive profile 'hub' once, when it was set up, so the reload just accepted does not reach them: "
            + "HubConnectionOptions.KeepAliveInterval stays 5s (the profile now says 8s); HubConnectionOptions.ServerTimeout stays 20s (the profile now says 24s). "
            + "Fix: build the hub connection again with UseKeepAlive (its sockets already follow reloads; KeepAliveInterval and ServerTimeout are fixed when it is built).");
    }

    [Fact]
    public async Task UseKeepAlive_AReloadChangesAFractionalInterval_TheWarningShowsTheProfilesValueAndWhatRuns()
    {
        // SignalR's 1 s tick: the connection runs 7s500ms as 7s. After a reload to 8s500ms, 3204 said "the profile now says
        // 8s", a value the profile does not say (the hubs' 3106 shows it as "8s500ms, run as 8s").
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:hub:SignalR:KeepAliveInterval", "7s500ms")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        await using var connection = new HubConnectionBuilder().WithUrl(new Uri("http://127.0.0.1:1/echo")).UseKeepAlive(profiles.Profiles, "hub").Build();

        configuration["KeepAlive:Profiles:hub:SignalR:KeepAliveInterval"] = "8s500ms";
        configuration.Reload();

        connection.KeepAliveInterval.Should().Be(TimeSpan.FromSeconds(7), "the control: rounded down to whole seconds");
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle().Which.Should()
            .Contain("HubConnectionOptions.KeepAliveInterval stays 7s (the profile now says 8s500ms, run as 8s)");
    }

    [Fact]
    public async Task UseKeepAlive_AReloadBetweenTheCallAndBuild_TheConnectionTakesTheReloadedValues()
    {
        // A builder set up at start-up and built later: the connection took the values of the UseKeepAlive call, 5s and 20s,
        // while the profile said 8s and 24s, and no warning said so (3204 watches only reloads after Build).
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
            [new("KeepAlive:Profiles:hub:Heartbeat:Interval", "5s"), new("KeepAlive:Profiles:hub:Heartbeat:Timeout", "20s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        var logs = new FakeLogCollector();
        var builder = new HubConnectionBuilder().WithUrl(new Uri("http://127.0.0.1:1/echo"))
            .ConfigureLogging(logging => logging.AddProvider(new FakeLoggerProvider(logs))).UseKeepAlive(profiles.Profiles, "hub");

        configuration["KeepAlive:Profiles:hub:Heartbeat:Interval"] = "8s";
        configuration["KeepAlive:Profiles:hub:Heartbeat:Timeout"] = "24s";
        configuration.Reload();
        await using var connection = builder.Build();

        (connection.KeepAliveInterval, connection.ServerTimeout).Should().Be((TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(24)), "a hub connection takes its values when it is built");
        logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.SignalRProfileApplied).Which.Message.Should()
            .Contain("KeepAliveInterval 8s (Heartbeat:Interval), ServerTimeout 24s (Heartbeat:Timeout)");
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().BeEmpty("the connection runs what the profile says");
    }

    [Fact]
    public void UseKeepAlive_AReloadBetweenTheCallAndBuildToAReconnectLoop_RefusedAtBuildWithThePathAndTheFix()
    {
        // Accepted as a profile (a timeout longer than the interval), not as SignalR takes it (below twice the interval).
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
            [new("KeepAlive:Profiles:hub:Heartbeat:Interval", "5s"), new("KeepAlive:Profiles:hub:Heartbeat:Timeout", "20s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        var builder = new HubConnectionBuilder().WithUrl(new Uri("http://127.0.0.1:1/echo")).UseKeepAlive(profiles.Profiles, "hub");

        configuration["KeepAlive:Profiles:hub:Heartbeat:Interval"] = "10s";
        configuration["KeepAlive:Profiles:hub:Heartbeat:Timeout"] = "15s";
        configuration.Reload();
        var build = () => builder.Build();

        profiles.Messages(KeepAliveEventIds.ProfileReloaded).Should().ContainSingle("the control: the reload was accepted");
        build.Should().Throw<OptionsValidationException>().Which.Message.Should()
            .Contain("KeepAlive:Profiles:hub:Heartbeat:Timeout").And.Contain("would be 15s (Heartbeat:Timeout) with a keep-alive interval of 10s (Heartbeat:Interval)").And.Contain("Fix: set Heartbeat:Timeout to at least 20s");
    }

    // The connection's handlers are set up by socketsHttpHandler.UseKeepAlive, which says 3204 for a handler of yours: the
    // connection's own warning names the connection and its fix, and one reload says it once, not once more per handler.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task UseKeepAlive_AReloadChangesTheIntervalAndTheHttpSectionOfAStartedConnection_OneWarningNamingTheConnection(bool handlerFromYourFactory)
    {
        await using var server = await HubServers.StartOnLoopbackAsync();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
            [new("KeepAlive:Profiles:hub:Heartbeat:Interval", "5s"), new("KeepAlive:Profiles:hub:Http:PooledConnectionIdleTimeout", "50s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        await using var connection = new HubConnectionBuilder().WithUrl(HubServers.Url(server), options =>
        {
            if (handlerFromYourFactory)
            {
                options.HttpMessageHandlerFactory = _ => new SocketsHttpHandler();
            }
        }).UseKeepAlive(profiles.Profiles, "hub").Build();
        await connection.StartAsync(Token);
        (await connection.InvokeAsync<string>("Echo", "hi", Token)).Should().StartWith("hi on ", "the control: the connection's handlers carry the profile");

        configuration["KeepAlive:Profiles:hub:Heartbeat:Interval"] = "8s";
        configuration["KeepAlive:Profiles:hub:Http:PooledConnectionIdleTimeout"] = "40s";
        configuration.Reload();

        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle("one reload, one warning per client").Which.Should()
            .StartWith("SignalR hub connection took these values").And.Contain("HubConnectionOptions.KeepAliveInterval stays 5s (the profile now says 8s)");
    }

    [Fact]
    public async Task UseKeepAlive_ConnectionDisposedAndCollected_AReloadOfTheIntervalNoLongerWarns()
    {
        // 3204 is tied, weakly, to what the hub connection keeps of the package's: once the connection is disposed and
        // collected, an accepted reload says nothing (the control: while it lives, it says KeepAliveInterval stays 5s).
        await using var server = await HubServers.StartOnLoopbackAsync();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:hub:Heartbeat:Interval", "5s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);

        await ReloadWarnings.StopOnceTheClientIsCollectedAsync(profiles, configuration, "KeepAlive:Profiles:hub:Heartbeat:Interval", "9s",
            "HubConnectionOptions.KeepAliveInterval stays 5s (the profile now says 8s)", () => ReloadWhileAConnectionLivesThenDisposeAsync(server, profiles, configuration));
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static async Task<WeakReference> ReloadWhileAConnectionLivesThenDisposeAsync(WebServer server, ClientProfiles profiles, IConfigurationRoot configuration)
    {
        var connection = new HubConnectionBuilder().WithUrl(HubServers.Url(server)).UseKeepAlive(profiles.Profiles, "hub").Build();
        await connection.StartAsync(Token);
        (await connection.InvokeAsync<string>("Echo", "hi", Token)).Should().StartWith("hi on ");
        configuration["KeepAlive:Profiles:hub:Heartbeat:Interval"] = "8s";
        configuration.Reload();
        await connection.DisposeAsync();
        return new WeakReference(connection);
    }

    [Fact]
    public async Task UseKeepAlive_ConnectionDisposedButStillReferenced_AReloadNoLongerWarns()
    {
        // 3204 said "SignalR hub connection took these values" for as long as a disposed connection was referenced (a field
        // of a service that keeps it): a disposed connection keeps nothing in force.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:hub:Heartbeat:Interval", "5s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        var connection = new HubConnectionBuilder().WithUrl(new Uri("http://127.0.0.1:1/echo")).UseKeepAlive(profiles.Profiles, "hub").Build();
        configuration["KeepAlive:Profiles:hub:Heartbeat:Interval"] = "8s";
        configuration.Reload();
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle("the control: a live connection keeps KeepAliveInterval 5s");

        await connection.DisposeAsync();
        configuration["KeepAlive:Profiles:hub:Heartbeat:Interval"] = "9s";
        configuration.Reload();

        profiles.Messages(KeepAliveEventIds.ProfileReloaded).Should().HaveCount(2);
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle("the disposed connection keeps no values in force");
        GC.KeepAlive(connection);
    }

    [Fact]
    public void UseKeepAlive_TwoConnectionsWithTheirOwnLogging_AReloadWarnsInTheProfilesLoggingNotTheFirstConnections()
    {
        // The connections built with the same values share one watcher: it warned through the logger of the first one built,
        // which a second connection (its own logging) never saw, and which outlived the first connection's disposal.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:hub:Heartbeat:Interval", "5s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        var (first, second) = (new FakeLogCollector(), new FakeLogCollector());
        var one = Logged(new HubConnectionBuilder().WithUrl(new Uri("http://127.0.0.1:1/echo")), first).UseKeepAlive(profiles.Profiles, "hub").Build();
        var two = Logged(new HubConnectionBuilder().WithUrl(new Uri("http://127.0.0.1:1/echo")), second).UseKeepAlive(profiles.Profiles, "hub").Build();

        configuration["KeepAlive:Profiles:hub:Heartbeat:Interval"] = "8s";
        configuration.Reload();

        (one.KeepAliveInterval, two.KeepAliveInterval).Should().Be((TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5)));
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle("one warning for both connections, where the profiles report their reloads")
            .Which.Should().Contain("HubConnectionOptions.KeepAliveInterval stays 5s (the profile now says 8s)");
        first.GetSnapshot().Should().NotContain(r => r.Id.Id == KeepAliveEventIds.ClientReloadNotApplied, "the watcher is not the first connection's");
    }

    [Fact]
    public void UseKeepAlive_ProfileWhoseTimeoutIsBelowTwiceItsInterval_RefusedAtTheCallAsAReconnectLoop()
    {
        using var profiles = ClientProfiles.InCode("hub", profile =>
        {
            profile.Heartbeat.Interval = TimeSpan.FromSeconds(10);
            profile.Heartbeat.Timeout = TimeSpan.FromSeconds(15);
        });

        var apply = () => new HubConnectionBuilder().WithUrl("http://127.0.0.1:1/echo").UseKeepAlive(profiles.Profiles, "hub");

        apply.Should().Throw<OptionsValidationException>().WithMessage("KeepAlive profile 'hub' (configured in code) Heartbeat:Timeout: the client's ServerTimeout would be 15s*reconnect loop*Fix: set Heartbeat:Timeout to at least 20s*");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void UseKeepAlive_IntervalOverHalfTheLongestTimeout_TheFixLowersTheIntervalNotATimeoutOverItsCeiling(bool fromTheSignalRSection)
    {
        // A 40m interval with 1h timeouts: the fix said "set the timeout to at least 1h20m, or the interval to at most 30m",
        // and the first half of it is refused in turn: SignalR's timeouts go up to 1h, also when taken from Heartbeat:Timeout.
        using var profiles = ClientProfiles.InCode("hub", profile =>
        {
            if (fromTheSignalRSection)
            {
                profile.SignalR = new() { KeepAliveInterval = TimeSpan.FromMinutes(40), ServerTimeout = TimeSpan.FromHours(1), ClientTimeoutInterval = TimeSpan.FromHours(1) };
            }
            else
            {
                (profile.Heartbeat.Interval, profile.Heartbeat.Timeout) = (TimeSpan.FromMinutes(40), TimeSpan.FromHours(1));
            }
        });
        var interval = fromTheSignalRSection ? "SignalR:KeepAliveInterval" : "Heartbeat:Interval";

        var apply = () => new HubConnectionBuilder().WithUrl("http://127.0.0.1:1/echo").UseKeepAlive(profiles.Profiles, "hub");

        apply.Should().Throw<OptionsValidationException>().Which.Failures.Should().HaveCount(2).And.Contain(f => f.Contains("the client's ServerTimeout", StringComparison.Ordinal))
            .And.AllSatisfy(f =>
            {
                var timeout = f.Contains("ClientTimeoutInterval", StringComparison.Ordinal) ? "ClientTimeoutInterval" : "ServerTimeout";
                f.Should().EndWith($"Fix: set {interval} to at most 30m ({(fromTheSignalRSection ? $"SignalR:{timeout}" : "Heartbeat:Timeout")} cannot be raised to 1h20m: SignalR's {timeout} goes up to 1h).");
            });
    }

    [Theory]
    [InlineData(1, 1, "Fix: set SignalR:ServerTimeout to at least 2s (SignalR:KeepAliveInterval cannot be lowered to 500ms: SignalR's KeepAliveInterval starts at 1s).")]
    [InlineData(2400, 1, "Fix: set SignalR:KeepAliveInterval to at most 30m and SignalR:ServerTimeout to at least twice it (SignalR's ServerTimeout goes up to 1h, and its KeepAliveInterval starts at 1s).")]
    [InlineData(10, 15, "Fix: set SignalR:ServerTimeout to at least 20s, or SignalR:KeepAliveInterval to at most 7s500ms.")]
    public void UseKeepAlive_TimeoutBelowTwiceTheIntervalAtTheEndsOfSignalRsRanges_TheFixNamesOnlyValuesSignalRTakes(int intervalSeconds, int timeoutSeconds, string fix)
    {
        // 1s and 1s: the fix said "or SignalR:KeepAliveInterval to at most 500ms", under SignalR's 1s floor, refused in turn.
        using var profiles = ClientProfiles.InCode("hub", profile => profile.SignalR = new()
        {
            KeepAliveInterval = TimeSpan.FromSeconds(intervalSeconds),
            ServerTimeout = TimeSpan.FromSeconds(timeoutSeconds),
            ClientTimeoutInterval = TimeSpan.FromHours(1),
        });

        var apply = () => new HubConnectionBuilder().WithUrl("http://127.0.0.1:1/echo").UseKeepAlive(profiles.Profiles, "hub");

        apply.Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle(f => f.Contains("SignalR:ServerTimeout:", StringComparison.Ordinal)).Which.Should().EndWith(fix);
    }

    // SignalR sends keep-alive messages from a 1 s timer tick (the hub's HubConnectionContext and the client's HubConnection
    // alike), once the interval has passed: a 2s500ms interval ran as 3s, later than asked, and the start-up lines (3105,
    // 3350) said 2500ms. The client packages round their whole-second settings down and say so (3201); SignalR now does too.
    [Fact]
    public async Task ServerUseKeepAlive_IntervalNotInWholeSeconds_RoundedDownAndTheStartUpLineSaysSo()
    {
        var logs = new FakeLogCollector();
        await using var server = await HubServers.StartOnLoopbackAsync(builder =>
        {
            builder.Logging.AddProvider(new FakeLoggerProvider(logs));
            builder.Services.AddKeepAlive("hub", profile => (profile.Heartbeat.Interval, profile.Heartbeat.Timeout) = (TimeSpan.FromMilliseconds(2500), TimeSpan.FromSeconds(10)));
            builder.Services.AddSignalR().UseKeepAlive("hub");
        });

        var hub = server.App.Services.GetRequiredService<IOptions<HubOptions>>().Value;

        hub.KeepAliveInterval.Should().Be(TimeSpan.FromSeconds(2), "rounded down: never later than asked");
        logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.HubKeepAliveApplied).Which.Message
            .Should().Contain("KeepAliveInterval 2s (Heartbeat:Interval)")
            .And.Contain("Heartbeat:Interval 2s500ms is rounded down to 2s for SignalR's KeepAliveInterval (SignalR sends keep-alive messages on a 1s timer tick, so 2s500ms would run as 3s; rounding down never makes it later than asked)")
            .And.NotContain("set in code", "the rounded value is the profile's, not code's");
    }

    [Fact]
    public async Task UseKeepAlive_IntervalNotInWholeSeconds_RoundedDownAndTheAppliedLineSaysSo()
    {
        using var profiles = ClientProfiles.InCode("hub", profile => profile.SignalR.KeepAliveInterval = TimeSpan.FromMilliseconds(1500));
        var logs = new FakeLogCollector();

        await using var connection = new HubConnectionBuilder()
            .WithUrl("http://127.0.0.1:1/echo")
            .ConfigureLogging(logging => logging.AddProvider(new FakeLoggerProvider(logs)))
            .UseKeepAlive(profiles.Profiles, "hub")
            .Build();

        connection.KeepAliveInterval.Should().Be(TimeSpan.FromSeconds(1));
        logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.SignalRProfileApplied).Which.Message
            .Should().Contain("SignalR:KeepAliveInterval 1s500ms is rounded down to 1s for SignalR's KeepAliveInterval");
        logs.GetSnapshot().Should().NotContain(r => r.Id.Id == KeepAliveEventIds.SignalROptionOverridden);
    }

    [Fact]
    public async Task ServerUseKeepAlive_Profile_HubsTakeIntervalAndClientTimeout()
    {
        var logs = new FakeLogCollector();
        await using var server = await HubServers.StartOnLoopbackAsync(builder =>
        {
            builder.Logging.AddProvider(new FakeLoggerProvider(logs));
            builder.Services.AddKeepAlive("hub", profile =>
            {
                profile.Heartbeat.Interval = TimeSpan.FromSeconds(3);
                profile.SignalR.ClientTimeoutInterval = TimeSpan.FromSeconds(12);
            });
            builder.Services.AddSignalR().UseKeepAlive("hub");
        });

        var hub = server.App.Services.GetRequiredService<IOptions<HubOptions>>().Value; // every hub's, unless a hub sets its own

        (hub.KeepAliveInterval, hub.ClientTimeoutInterval).Should().Be((TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(12)));
        logs.GetSnapshot().Where(static r => r.Id.Id == KeepAliveEventIds.HubKeepAliveApplied).Should().ContainSingle("one start-up line, though HubOptions are built twice (SignalR's IOptions, ValidateOnStart's IOptionsMonitor)");
    }

    [Fact]
    public void ClientUseKeepAlive_WithTheHostsServices_ItsMessagesGoToTheHostsLogging()
    {
        // The hub builder has logging of its own that nobody configured here; the host's is where KeepAlive's messages go.
        using var profiles = ClientProfiles.InCode("hub", p => p.SignalR.KeepAliveInterval = TimeSpan.FromSeconds(5));
        var builder = new HubConnectionBuilder().WithUrl("http://localhost:1/hub").WithKeepAliveInterval(TimeSpan.FromSeconds(7)).UseKeepAlive(profiles.Services, "hub");

        var connection = builder.Build();

        connection.KeepAliveInterval.Should().Be(TimeSpan.FromSeconds(5));
        profiles.Messages(KeepAliveEventIds.SignalROptionOverridden).Should().ContainSingle("the hand-set 7 s that the profile's 5 s replaced is reported in the host's logs")
            .Which.Should().Contain("HubConnectionOptions.KeepAliveInterval (WithKeepAliveInterval) was set to 7s by hand, but KeepAlive profile 'hub' sets 5s (SignalR:KeepAliveInterval)")
            .And.EndWith("Fix: remove the hand-set value, or set SignalR:KeepAliveInterval to 7s in the profile to keep it.");
    }

    [Fact]
    public void ClientUseKeepAlive_ServicesWithoutAddKeepAlive_RefusedWithTheFix()
    {
        using var services = new ServiceCollection().AddLogging().BuildServiceProvider();

        var apply = () => new HubConnectionBuilder().WithUrl("http://localhost:1/hub").UseKeepAlive(services, "hub");

        apply.Should().Throw<InvalidOperationException>().WithMessage("HubConnectionBuilder.UseKeepAlive(\"hub\") needs KeepAlive profiles. Fix: call services.AddKeepAlive(*) or services.AddKeepAlive(\"hub\", ...) when building the host.");
    }

    [Fact]
    public void ClientUseKeepAlive_TwiceWithTheSameProfile_AppliedOnce_AnotherProfileRefused()
    {
        using var profiles = ClientProfiles.Build(s => s.AddKeepAlive("hub", _ => { }).AddKeepAlive("edge", _ => { }));
        var builder = new HubConnectionBuilder().WithUrl("http://localhost:1/hub").UseKeepAlive(profiles.Profiles, "hub").UseKeepAlive(profiles.Profiles, "Hub");

        var another = () => builder.UseKeepAlive(profiles.Profiles, "edge");

        builder.Services.Count(static d => d.ServiceType == typeof(IPostConfigureOptions<Microsoft.AspNetCore.Http.Connections.Client.HttpConnectionOptions>) && d.ImplementationFactory is not null)
            .Should().Be(1, "a second call would wrap the first's WebSocketFactory and warn (3351) that it is the user's");
        another.Should().Throw<InvalidOperationException>().WithMessage("HubConnectionBuilder.UseKeepAlive(\"edge\"): this connection already takes KeepAlive profile 'hub'*Fix: call UseKeepAlive once per hub connection*");
    }

    // A second call on a builder that already takes the profile returned early and accepted null profiles without a word.
    [Fact]
    public void ClientUseKeepAlive_NullProfilesOnABuilderThatAlreadyTakesTheProfile_Refused()
    {
        using var profiles = ClientProfiles.InCode("hub", _ => { });
        var builder = new HubConnectionBuilder().WithUrl("http://localhost:1/hub").UseKeepAlive(profiles.Profiles, "hub");

        var again = () => builder.UseKeepAlive((IKeepAliveProfiles)null!, "hub");

        again.Should().Throw<ArgumentNullException>().WithParameterName("profiles");
    }

    [Fact]
    public void ServerUseKeepAlive_TwiceWithAnotherProfile_RefusedNamingBothAndTheSameProfileAgainIsKept()
    {
        var services = new ServiceCollection();
        var signalR = services.AddSignalR().UseKeepAlive("hub").UseKeepAlive("hub").UseKeepAlive("Hub"); // profile names are case-insensitive

        var again = () => signalR.UseKeepAlive("edge");

        again.Should().Throw<InvalidOperationException>().WithMessage("services.AddSignalR().UseKeepAlive(\"edge\"): the hubs already take profile 'hub'*Fix: call UseKeepAlive once*");
        services.Count(static d => d.ServiceType == typeof(IConfigureOptions<HubOptions>) && d.ImplementationFactory is not null).Should().Be(1, "the same profile twice is applied once");
    }

    [Theory]
    [InlineData(true, "KeepAlive profile 'hub' (configured in code) Heartbeat:Timeout: the client's ServerTimeout would be 15s")]
    [InlineData(false, "needs KeepAlive profiles. Fix: call services.AddKeepAlive(")]
    public async Task ServerUseKeepAlive_ReconnectLoopProfileOrNoProfiles_HostDoesNotStart(bool withProfiles, string expected)
    {
        var start = () => HubServers.StartOnLoopbackAsync(builder =>
        {
            if (withProfiles)
            {
                builder.Services.AddKeepAlive("hub", profile =>
                {
                    profile.Heartbeat.Interval = TimeSpan.FromSeconds(10);
                    profile.Heartbeat.Timeout = TimeSpan.FromSeconds(15);
                });
            }

            builder.Services.AddSignalR().UseKeepAlive("hub");
        });

        (await start.Should().ThrowAsync<Exception>()).Which.ToString().Should().Contain(expected);
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;
}
