using System.Net.Sockets;
using KeepAlive.Net.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NATS.Client.Core;

namespace KeepAlive.Net.Nats.Tests;

/// <summary>What UseKeepAlive sets on <see cref="NatsOpts"/>, and the input it refuses (no server needed).</summary>
public sealed class NatsProfileMappingTests
{
    [Fact]
    public void UseKeepAlive_ProfileSetsIntervalAndTimeout_PingIntervalAndMaxPingOut()
    {
        using var profiles = ClientProfiles.InCode("events", p =>
        {
            p.Heartbeat.Interval = TimeSpan.FromSeconds(20);
            p.Heartbeat.Timeout = TimeSpan.FromSeconds(50);
        });
        var original = NatsOpts.Default;

        var options = original.UseKeepAlive(profiles.Profiles, "events");

        options.PingInterval.Should().Be(TimeSpan.FromSeconds(20));
        options.MaxPingOut.Should().Be(3, "ceil(50 s / 20 s): the server is dropped no earlier than the timeout");
        options.SocketConnectionFactory.Should().BeOfType<KeepAliveNatsSocketConnectionFactory>();
        original.PingInterval.Should().Be(TimeSpan.FromMinutes(2), "NatsOpts is a record: the options passed in are not changed");
        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle().Which.Should().Contain("MaxPingOut 3 = ceil(Heartbeat:Timeout 50s / PingInterval 20s)");
    }

    [Fact]
    public void UseKeepAlive_TimeoutNotAMultipleOfTheInterval_ReportsTheWindowInWhichASilentServerIsDropped()
    {
        // NATS.Net counts unanswered PINGs only when it sends the next one: with PingInterval 2 s and MaxPingOut 2, a real
        // nats-server stopped (SIGSTOP) right after a PONG was dropped 4.2, 4.8, 5.0 and 6.0 s later. The line said "after
        // about 4s", and CLIENTS.md "within one interval after" the 3 s timeout (5 s).
        using var profiles = ClientProfiles.InCode("events", p =>
        {
            p.Heartbeat.Interval = TimeSpan.FromSeconds(2);
            p.Heartbeat.Timeout = TimeSpan.FromSeconds(3);
        });

        NatsOpts.Default.UseKeepAlive(profiles.Profiles, "events").MaxPingOut.Should().Be(2);

        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle().Which.Should()
            .Contain("MaxPingOut 2 = ceil(Heartbeat:Timeout 3s / PingInterval 2s): NATS.Net counts unanswered PINGs only when it sends the next one, so a silent server is dropped 4s to 6s after it went silent")
            .And.NotContain("after about");
    }

    [Fact]
    public void UseKeepAlive_OnlyTimeoutSet_MaxPingOutFromTheClientsOwnPingInterval()
    {
        using var profiles = ClientProfiles.InCode("events", p => p.Heartbeat.Timeout = TimeSpan.FromMinutes(5));

        var options = NatsOpts.Default.UseKeepAlive(profiles.Profiles, "events");

        options.PingInterval.Should().Be(TimeSpan.FromMinutes(2), "the profile's 10 s default must not replace NATS.Net's own");
        options.MaxPingOut.Should().Be(3, "ceil(5 min / 2 min)");
    }

    [Fact]
    public void UseKeepAlive_OnlyATimeoutNotLongerThanTheClientsOwnPingInterval_RefusedWithTheDefaultAndTheFix()
    {
        // Judged against the profile's 10 s default, 30 s passed; NATS.Net kept its own 2 min PingInterval, MaxPingOut became
        // 1, and a silent server was dropped 2 to 4 min after it went silent, not after the 30 s the profile says.
        using var profiles = ClientProfiles.InCode("events", p => p.Heartbeat.Timeout = TimeSpan.FromSeconds(30));

        var act = () => NatsOpts.Default.UseKeepAlive(profiles.Profiles, "events");

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().Equal(
            "KeepAlive profile 'events' (configured in code) Heartbeat:Timeout: Heartbeat:Timeout is 30s, not longer than NATS.Net's own NatsOpts.PingInterval, 2m by default (Heartbeat:Interval is not set): the client sends its heartbeat only that often, so a peer cannot be found silent within 30s: the connection would end later than the timeout says. Fix: set Heartbeat:Interval below 30s, for example 10s (about a third of the timeout), or Heartbeat:Timeout above 2m (a value set by hand on the client is not seen here: set it in the profile).");
    }

    [Fact]
    public void UseKeepAlive_OnlyATimeoutNotLongerThanYourOwnPingInterval_RefusedWithYourValueAndTheFix()
    {
        // The same rule as NATS.Net's own 2 min, which start-up cannot see past: with a PingInterval of yours of 5 min and a
        // 3 min timeout, MaxPingOut became 1 and a silent server was dropped 5 to 10 min after it went silent, said only in
        // the Information line.
        using var profiles = ClientProfiles.InCode("events", p => p.Heartbeat.Timeout = TimeSpan.FromMinutes(3));

        var act = () => (NatsOpts.Default with { PingInterval = TimeSpan.FromMinutes(5) }).UseKeepAlive(profiles.Profiles, "events");

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().Equal(
            "KeepAlive profile 'events' (configured in code) Heartbeat:Timeout: Heartbeat:Timeout is 3m, not longer than NatsOpts.PingInterval, set by hand to 5m, which NATS.Net keeps (Heartbeat:Interval is not set): the client sends its heartbeat only that often, so a peer cannot be found silent within 3m: the connection would end later than the timeout says. Fix: set Heartbeat:Interval below 3m, for example 1m (about a third of the timeout), which replaces the hand-set NatsOpts.PingInterval, or set NatsOpts.PingInterval below 3m, or Heartbeat:Timeout above 5m.");
        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().BeEmpty("nothing was applied");
        (NatsOpts.Default with { PingInterval = TimeSpan.FromMinutes(1) }).UseKeepAlive(profiles.Profiles, "events").MaxPingOut.Should().Be(3, "the control: a PingInterval of yours shorter than the timeout is kept, ceil(3 min / 1 min)");
    }

    [Fact]
    public void UseKeepAlive_YourPingIntervalAndAReloadDroppingTheIntervalUnderIt_TheWarningSaysTheProfileNoLongerSuitsNotARefusedFix()
    {
        // The profile's 1m replaced your 5m; a reload dropping Heartbeat:Interval leaves your 5m with the 3m timeout. 3204's
        // fix, create the options again from UseKeepAlive, is refused for it: the warning says why, with the fix that works.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
            [new("KeepAlive:Profiles:events:Heartbeat:Interval", "1m"), new("KeepAlive:Profiles:events:Heartbeat:Timeout", "3m")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        var yours = NatsOpts.Default with { PingInterval = TimeSpan.FromMinutes(5) };
        var options = yours.UseKeepAlive(profiles.Profiles, "events");

        configuration["KeepAlive:Profiles:events:Heartbeat:Interval"] = null;
        configuration.Reload();

        (options.PingInterval, options.MaxPingOut).Should().Be((TimeSpan.FromMinutes(1), 3), "the control: the profile's values, taken once");
        profiles.Messages(KeepAliveEventIds.ProfileReloaded).Should().ContainSingle("the control: the reload was accepted");
        var again = () => yours.UseKeepAlive(profiles.Profiles, "events");
        again.Should().Throw<OptionsValidationException>().Which.Message.Should().Contain("set by hand to 5m");
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle().Which.Should()
            .Contain("every value stays, and the reloaded profile does not suit NATS.Net: KeepAlive:Profiles:events:Heartbeat:Timeout: Heartbeat:Timeout is 3m, not longer than NatsOpts.PingInterval, set by hand to 5m");
    }

    [Fact]
    public void UseKeepAlive_OnlyTimeoutSetAndYourPingsOff_SaysTheTimeoutIsNotUsed()
    {
        // With PingInterval 0 NATS.Net sends no PING, so no MaxPingOut can end a silent connection: the profile's timeout was
        // dropped without a word.
        using var profiles = ClientProfiles.InCode("events", p => p.Heartbeat.Timeout = TimeSpan.FromMinutes(5));

        var options = (NatsOpts.Default with { PingInterval = TimeSpan.Zero }).UseKeepAlive(profiles.Profiles, "events");

        options.PingInterval.Should().Be(TimeSpan.Zero);
        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle().Which.Should()
            .Contain("Heartbeat:Timeout 5m is not used: NatsOpts.PingInterval is 0, so NATS.Net sends no PING and MaxPingOut never ends a connection. Fix: set Heartbeat:Interval");
    }

    [Fact]
    public void UseKeepAlive_HandSetPingIntervalConflicts_ProfileWinsAndWarns()
    {
        using var profiles = ClientProfiles.InCode("events", p => p.Heartbeat.Interval = TimeSpan.FromSeconds(20));

        var options = (NatsOpts.Default with { PingInterval = TimeSpan.FromSeconds(90) }).UseKeepAlive(profiles.Profiles, "events");

        options.PingInterval.Should().Be(TimeSpan.FromSeconds(20));
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().ContainSingle().Which.Should()
            .Contain("NatsOpts.PingInterval was set by hand to 1m30s, but KeepAlive profile 'events' sets Heartbeat:Interval, so the profile's 20s wins");
    }

    [Fact]
    public void UseKeepAlive_HandSetMaxPingOutAndTcpOffWithOnlyATimeout_The3202FixIsNotOneThatGetsTheProfileRefused()
    {
        // The fix said "remove Heartbeat:Timeout from the profile to keep your value": followed, the profile ("Tcp": { "Enabled":
        // false } alone) set nothing NATS.Net can use, and UseKeepAlive refused it.
        using var profiles = ClientProfiles.Build(s => s
            .AddKeepAlive("events", p => (p.Tcp.Enabled, p.Heartbeat.Timeout) = (false, TimeSpan.FromMinutes(5)))
            .AddKeepAlive("events-without-timeout", p => p.Tcp.Enabled = false));

        var options = (NatsOpts.Default with { MaxPingOut = 5 }).UseKeepAlive(profiles.Profiles, "events");

        options.MaxPingOut.Should().Be(3, "ceil(5 min / NATS.Net's own 2 min)");
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().ContainSingle().Which.Should().EndWith(
            "Fix: remove the hand-set NatsOpts.MaxPingOut, or apply no KeepAlive profile to this client (with Tcp:Enabled false, Heartbeat:Timeout is all profile 'events' sets for it: without it the profile sets nothing NATS.Net can use, which is refused at start-up) to keep your value.");
        var removingTheTimeout = () => (NatsOpts.Default with { MaxPingOut = 5 }).UseKeepAlive(profiles.Profiles, "events-without-timeout");
        removingTheTimeout.Should().Throw<OptionsValidationException>("why the fix is not to remove Heartbeat:Timeout").Which.Message.Should().Contain("the profile sets nothing NATS.Net can use");
    }

    [Fact]
    public void UseKeepAlive_TwiceWithTheSameProfile_Accepted_AnotherProfileRefusedAsAlreadyApplied()
    {
        using var profiles = ClientProfiles.Build(s => s.AddKeepAlive("events", p => p.Heartbeat.Interval = TimeSpan.FromSeconds(20)).AddKeepAlive("other", _ => { }));
        var options = NatsOpts.Default.UseKeepAlive(profiles.Profiles, "events").UseKeepAlive(profiles.Profiles, "events");

        var another = () => options.UseKeepAlive(profiles.Profiles, "other");

        options.PingInterval.Should().Be(TimeSpan.FromSeconds(20));
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().BeEmpty();
        another.Should().Throw<InvalidOperationException>().WithMessage("NatsOpts.UseKeepAlive(\"other\"): these options already take KeepAlive profile 'events'*Fix: call UseKeepAlive once per NatsOpts*");
    }

    [Fact]
    public void UseKeepAlive_AgainOnItsOwnResultAfterAReload_TakesTheReloadedValuesWithoutCallingTheFirstOnesHandSet()
    {
        // 3204's fix, "create the NatsConnection again from NatsOpts.UseKeepAlive", followed on the options the first call
        // returned (or a copy of them) warned 3202 that the first call's PingInterval and MaxPingOut were "set by hand".
        var (configuration, profiles, first) = Every20sDroppedAfter50s();
        using var _ = profiles;
        configuration["KeepAlive:Profiles:events:Heartbeat:Interval"] = "30s";
        configuration["KeepAlive:Profiles:events:Heartbeat:Timeout"] = "100s";
        configuration.Reload();

        var again = first.UseKeepAlive(profiles.Profiles, "events");
        var copy = (first with { Name = "copy" }).UseKeepAlive(profiles.Profiles, "events");

        (again.PingInterval, again.MaxPingOut, copy.PingInterval, copy.MaxPingOut).Should().Be((TimeSpan.FromSeconds(30), 4, TimeSpan.FromSeconds(30), 4));
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().BeEmpty("the values replaced are the first call's, not yours");

        configuration["KeepAlive:Profiles:events:Heartbeat:Interval"] = null;
        configuration["KeepAlive:Profiles:events:Heartbeat:Timeout"] = null;
        configuration.Reload();

        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().Contain(m => m.Contains("NatsOpts.PingInterval stays 30s (the profile now says nothing: NATS.Net's own)", StringComparison.Ordinal))
            .And.NotContain(m => m.Contains("the profile now says 20s", StringComparison.Ordinal) || m.Contains("the profile now says 3)", StringComparison.Ordinal), "the first call's values are not yours either");
    }

    [Theory]
    [InlineData("nats://nats.internal:4222", false)]
    [InlineData("nats://nats.internal:4222", true)]
    [InlineData("ws://nats.internal:8080", false)]
    [InlineData("ws://nats.internal:8080", true)]
    public void UseKeepAlive_AgainOnAWithCopyOfItsResult_BehavesExactlyAsOnTheResultItself(string url, bool yoursByHand)
    {
        // NatsOpts is a record: a `with` copy of the options UseKeepAlive returned carries what it set (through the package's
        // socket factory, or its WebSocket callback), and the same rule takes it back on either; reloaded in between, without
        // the interval and then without the timeout, each call again must give the copy exactly what it gives the original.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:events:Heartbeat:Interval", "20s"), new("KeepAlive:Profiles:events:Heartbeat:Timeout", "5m")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        var start = NatsOpts.Default with { Url = url };
        start = yoursByHand ? start with { PingInterval = TimeSpan.FromSeconds(30), MaxPingOut = 5 } : start;
        var original = start.UseKeepAlive(profiles.Profiles, "events");
        var copy = original with { Name = "copy" };
        IReadOnlyList<string> Warned(Action call)
        {
            var before = profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Count;
            call();
            return [.. profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Skip(before)];
        }

        foreach (var (key, value, expected) in new[] { ("Interval", (string?)null, yoursByHand ? (30, 10) : (120, 3)), ("Timeout", null, yoursByHand ? (30, 5) : (120, 2)) })
        {
            configuration[$"KeepAlive:Profiles:events:Heartbeat:{key}"] = value;
            configuration.Reload();
            var again = original;
            var onTheCopy = copy;
            var warned = Warned(() => again = original.UseKeepAlive(profiles.Profiles, "events"));
            Warned(() => onTheCopy = copy.UseKeepAlive(profiles.Profiles, "events")).Should().Equal(warned, "the copy's values are set and yours as the original's are");
            warned.Should().NotContain(m => m.Contains("set by hand to 20s", StringComparison.Ordinal), "the first call's interval is not yours");

            (again.PingInterval, again.MaxPingOut).Should().Be((TimeSpan.FromSeconds(expected.Item1), expected.Item2), "what the reloaded profile leaves is yours or NATS.Net's own, after {0} was dropped", key);
            (onTheCopy.PingInterval, onTheCopy.MaxPingOut, onTheCopy.SocketConnectionFactory is null, onTheCopy.Name).Should().Be((again.PingInterval, again.MaxPingOut, again.SocketConnectionFactory is null, "copy"));
            (original, copy) = (again, onTheCopy with { Name = "copy" });
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void UseKeepAlive_AgainOnItsOwnResultAfterAReloadDroppedTheInterval_TakesWhat3204Says(bool yoursByHand)
    {
        // With a 50 s Timeout, 3204 said "NatsOpts.PingInterval stays 20s (the profile now says nothing: NATS.Net's own)" and "MaxPingOut stays 3
        // (the profile now says 1)"; its fix followed on the options the first call returned kept PingInterval 20s, and so
        // MaxPingOut 3, the first call's values, which were neither yours nor NATS.Net's own.
        // A Timeout longer than NATS.Net's own 2 min PingInterval, which a profile without Heartbeat:Interval must have.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:events:Heartbeat:Interval", "20s"), new("KeepAlive:Profiles:events:Heartbeat:Timeout", "5m")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        var start = yoursByHand ? NatsOpts.Default with { PingInterval = TimeSpan.FromSeconds(30), MaxPingOut = 5 } : NatsOpts.Default;
        var first = start.UseKeepAlive(profiles.Profiles, "events");
        var handSetWarnings = profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Count;

        configuration["KeepAlive:Profiles:events:Heartbeat:Interval"] = null;
        configuration.Reload();
        var (pingInterval, maxPingOut) = yoursByHand ? (TimeSpan.FromSeconds(30), 10) : (TimeSpan.FromMinutes(2), 3); // ceil(5 min / PingInterval)
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle().Which.Should()
            .Contain($"NatsOpts.MaxPingOut stays 15 (the profile now says {maxPingOut}); NatsOpts.PingInterval stays 20s (the profile now says {(yoursByHand ? "30s" : "nothing: NATS.Net's own")})");
        var again = first.UseKeepAlive(profiles.Profiles, "events");

        (again.PingInterval, again.MaxPingOut).Should().Be((pingInterval, maxPingOut), "the fix gives what the warning says the profile now says");
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Skip(handSetWarnings).Should().NotContain(m => m.Contains("set by hand to 20s", StringComparison.Ordinal) || m.Contains("set by hand to 15,", StringComparison.Ordinal), "the first call's values are not yours");
    }

    [Fact]
    public void UseKeepAlive_YourOwnSocketConnectionFactory_RefusedWithTheFix()
    {
        using var profiles = ClientProfiles.InCode("events", _ => { });
        var yours = NatsOpts.Default.UseKeepAlive(profiles.Profiles, "events").SocketConnectionFactory;

        var act = () => (NatsOpts.Default with { SocketConnectionFactory = new Wrapper(yours!) }).UseKeepAlive(profiles.Profiles, "events");

        act.Should().Throw<InvalidOperationException>().WithMessage("NatsOpts.SocketConnectionFactory is already set*Fix: remove your factory*");
    }

    [Fact]
    public void UseKeepAlive_YourOwnSocketConnectionFactory_TheFixKeepsTcpOnForConfigureAndOffForUseKeepAlive()
    {
        // The fix said "IKeepAliveProfiles.Configure(socket, "events") inside yours and set Tcp:Enabled to false in the
        // profile used here": done with that one profile, Configure turned the keep-alive of your socket off.
        using var profiles = ClientProfiles.Build(s => s
            .AddKeepAlive("events", p => p.Heartbeat.Interval = TimeSpan.FromSeconds(20))
            .AddKeepAlive("events-off", p => (p.Tcp.Enabled, p.Heartbeat.Interval) = (false, TimeSpan.FromSeconds(20))));
        var yours = new Wrapper(NatsOpts.Default.UseKeepAlive(profiles.Profiles, "events").SocketConnectionFactory!);

        var act = () => (NatsOpts.Default with { SocketConnectionFactory = yours }).UseKeepAlive(profiles.Profiles, "events");

        act.Should().Throw<InvalidOperationException>().Which.Message.Should()
            .Contain("IKeepAliveProfiles.Configure(socket, \"events\") (its Tcp section is on)")
            .And.Contain("give UseKeepAlive another profile, with the same Heartbeat section and \"Tcp\": { \"Enabled\": false }")
            .And.NotContain("set Tcp:Enabled to false in the profile used here");
        bool KeepAliveAfterConfigure(string profile)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            profiles.Profiles.Configure(socket, profile);
            return (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)! != 0;
        }

        KeepAliveAfterConfigure("events-off").Should().BeFalse("Configure with a profile whose Tcp:Enabled is false turns the socket's keep-alive off, hence two profiles");
        KeepAliveAfterConfigure("events").Should().BeTrue();
        (NatsOpts.Default with { SocketConnectionFactory = yours }).UseKeepAlive(profiles.Profiles, "events-off").PingInterval.Should().Be(TimeSpan.FromSeconds(20), "the fix's UseKeepAlive is accepted");
    }

    [Fact]
    public void UseKeepAlive_WebSocketServers_HeartbeatOnlyAndSaysTcpIsNotApplied()
    {
        using var profiles = ClientProfiles.InCode("events", p => p.Heartbeat.Interval = TimeSpan.FromSeconds(20));

        var options = (NatsOpts.Default with { Url = "ws://nats.internal:8080" }).UseKeepAlive(profiles.Profiles, "events");

        options.SocketConnectionFactory.Should().BeNull("NATS.Net's own WebSocket connection is kept");
        options.PingInterval.Should().Be(TimeSpan.FromSeconds(20));
        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle().Which.Should().Contain("Tcp is not applied: every server URL is a WebSocket");
        var mixed = () => (NatsOpts.Default with { Url = "nats://a:4222,ws://b:8080" }).UseKeepAlive(profiles.Profiles, "events");
        mixed.Should().Throw<InvalidOperationException>().WithMessage("*mixes WebSocket and TCP servers*Fix:*");
    }

    [Theory]
    [InlineData("")]
    [InlineData(" , ")]
    public void UseKeepAlive_UrlListsNoServer_RefusedWithTheValueAndTheFix(string url)
    {
        // A Url listing no server counted as "every server URL is a WebSocket": the heartbeat was applied and the line said
        // the Tcp section could not reach a WebSocket connection that does not exist.
        using var profiles = ClientProfiles.InCode("events", p => p.Heartbeat.Interval = TimeSpan.FromSeconds(20));

        var act = () => (NatsOpts.Default with { Url = url }).UseKeepAlive(profiles.Profiles, "events");

        act.Should().Throw<InvalidOperationException>().Which.Message.Should()
            .Be($"NatsOpts.Url '{url}' lists no server, so KeepAlive profile 'events' has no connection to apply to. Fix: set NatsOpts.Url to the servers, for example \"nats://localhost:4222\" (NATS.Net's default), or leave it unset.");
        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().BeEmpty();
    }

    [Fact]
    public void UseKeepAlive_WebSocketServersTwice_TheSameProfileAppliedAsOnce_AnotherRefusedAsAlreadyApplied()
    {
        // With only WebSocket servers no factory of ours marks the options: UseKeepAlive("other") on them was accepted, its
        // heartbeat mixed in, and the first profile's PingInterval was warned (3202) as "set by hand".
        using var profiles = ClientProfiles.Build(s => s.AddKeepAlive("events", p => p.Heartbeat.Interval = TimeSpan.FromSeconds(20)).AddKeepAlive("other", p => p.Heartbeat.Interval = TimeSpan.FromSeconds(30)));
        var options = (NatsOpts.Default with { Url = "ws://nats.internal:8080" }).UseKeepAlive(profiles.Profiles, "events");

        var another = () => options.UseKeepAlive(profiles.Profiles, "other");

        another.Should().Throw<InvalidOperationException>().WithMessage("NatsOpts.UseKeepAlive(\"other\"): these options already take KeepAlive profile 'events'*");
        options.UseKeepAlive(profiles.Profiles, "events").PingInterval.Should().Be(TimeSpan.FromSeconds(20));
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().BeEmpty();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task UseKeepAlive_OnACopyOfOptionsWithoutOurFactory_TheSameProfileAppliedAsOnce_AnotherRefused(bool yourFactoryWithTcpOff)
    {
        // With only WebSocket servers (or your own factory while Tcp is off) no factory of ours marks the options, and the
        // profile was kept for the very object UseKeepAlive returned: a `with` copy of it forgot it, so another profile was
        // accepted on the copy, mixing two, and the same one again warned (3202) that the first call's PingInterval was set by hand.
        using var profiles = ClientProfiles.Build(s => s
            .AddKeepAlive("events", p => (p.Tcp.Enabled, p.Heartbeat.Interval) = (false, TimeSpan.FromSeconds(20)))
            .AddKeepAlive("other", p => (p.Tcp.Enabled, p.Heartbeat.Interval) = (false, TimeSpan.FromSeconds(30))));
        var yours = yourFactoryWithTcpOff ? new Wrapper(NatsOpts.Default.UseKeepAlive(profiles.Profiles, "events").SocketConnectionFactory!) : null;
        var yourWebSocketCallback = 0;
        var start = yours is null
            ? NatsOpts.Default with { Url = "ws://nats.internal:8080", WebSocketOpts = new() { ConfigureClientWebSocketOptions = (_, _, _) => { yourWebSocketCallback++; return default; } } }
            : NatsOpts.Default with { SocketConnectionFactory = yours };
        var copy = start.UseKeepAlive(profiles.Profiles, "events") with { Name = "copy" };

        var another = () => copy.UseKeepAlive(profiles.Profiles, "other");

        another.Should().Throw<InvalidOperationException>().WithMessage("NatsOpts.UseKeepAlive(\"other\"): these options already take KeepAlive profile 'events'*");
        var again = copy.UseKeepAlive(profiles.Profiles, "events");
        (again.PingInterval, again.SocketConnectionFactory).Should().Be((TimeSpan.FromSeconds(20), yours));
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().BeEmpty("the copy's PingInterval is the first call's, not yours");
        using var webSocket = new System.Net.WebSockets.ClientWebSocket();
        await again.WebSocketOpts.ConfigureClientWebSocketOptions!(new Uri("ws://nats.internal:8080"), webSocket.Options, TestContext.Current.CancellationToken);
        yourWebSocketCallback.Should().Be(yours is null ? 1 : 0, "a WebSocket callback of yours still runs, once, however often UseKeepAlive ran");
    }

    [Fact]
    public void UseKeepAlive_ReloadChangesTheHeartbeat_WarnsThatPingIntervalAndMaxPingOutStayWithTheFix()
    {
        var (configuration, profiles, options) = Every20sDroppedAfter50s();
        using var _ = profiles;

        configuration["KeepAlive:Profiles:events:Tcp:IdleTime"] = "20s";
        configuration.Reload();
        profiles.Messages(KeepAliveEventIds.ProfileReloaded).Should().ContainSingle();
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().BeEmpty("the Tcp section reaches every new socket: nothing stays behind");

        configuration["KeepAlive:Profiles:events:Heartbeat:Interval"] = "10s";
        configuration.Reload();

        options.PingInterval.Should().Be(TimeSpan.FromSeconds(20), "options already made keep their values");
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle().Which.Should()
            .Be("NATS.Net took these values from KeepAlive profile 'events' once, when it was set up, so the reload just accepted does not reach them: NatsOpts.MaxPingOut stays 3 (the profile now says 5); NatsOpts.PingInterval stays 20s (the profile now says 10s). "
                + "Fix: create the NatsConnection again from NatsOpts.UseKeepAlive (its sockets already follow reloads; PingInterval and MaxPingOut are fixed when the options are made).");
    }

    [Fact]
    public void UseKeepAlive_YourPingIntervalAndAReloadSettingTheInterval_TheWarningNamesTheIntervalYourConnectionKeeps()
    {
        // The warning said "NatsOpts.PingInterval stays NATS.Net's own", while the connection pings every 5 s, as set by hand.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:events:Heartbeat:Timeout", "5m")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        var options = (NatsOpts.Default with { PingInterval = TimeSpan.FromSeconds(5) }).UseKeepAlive(profiles.Profiles, "events");

        configuration["KeepAlive:Profiles:events:Heartbeat:Interval"] = "10s";
        configuration.Reload();

        options.PingInterval.Should().Be(TimeSpan.FromSeconds(5));
        options.MaxPingOut.Should().Be(60);
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle().Which.Should()
            .Contain("NatsOpts.MaxPingOut stays 60 (the profile now says 30); NatsOpts.PingInterval stays 5s (the profile now says 10s).");
    }

    [Fact]
    public void UseKeepAlive_YourMaxPingOutAndAReloadSettingTheTimeout_TheWarningNamesTheCountYourConnectionKeeps()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:events:Heartbeat:Interval", "10s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        var options = (NatsOpts.Default with { MaxPingOut = 5 }).UseKeepAlive(profiles.Profiles, "events");

        configuration["KeepAlive:Profiles:events:Heartbeat:Timeout"] = "30s";
        configuration.Reload();

        options.MaxPingOut.Should().Be(5);
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle().Which.Should()
            .Contain("NatsOpts.MaxPingOut stays 5 (the profile now says 3).");
    }

    [Fact]
    public async Task UseKeepAlive_ProfileWithTcpOffAtSetUp_AReloadTurningItOnReachesTheNextConnection()
    {
        // Off at set-up, NATS.Net's own connection stayed, whose sockets no reload can reach, and no warning said so.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:events:Tcp:Enabled", "false"), new("KeepAlive:Profiles:events:Tcp:IdleTime", "7s"), new("KeepAlive:Profiles:events:Heartbeat:Interval", "20s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var options = (NatsOpts.Default with { Url = $"nats://127.0.0.1:{((System.Net.IPEndPoint)listener.LocalEndpoint).Port}" }).UseKeepAlive(profiles.Profiles, "events");

        configuration["KeepAlive:Profiles:events:Tcp:Enabled"] = "true";
        configuration.Reload();

        options.SocketConnectionFactory.Should().BeOfType<KeepAliveNatsSocketConnectionFactory>();
        await using var connection = await options.SocketConnectionFactory!.ConnectAsync(new Uri(options.Url), options, TestContext.Current.CancellationToken);
        ((KeepAliveNatsSocketConnection)connection).Socket.GetKeepAlive().IdleTime.Should().Be(TimeSpan.FromSeconds(7));
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().BeEmpty("the Tcp section reaches every new socket");
    }

    [Fact]
    public void UseKeepAlive_YourOwnSocketConnectionFactoryWithTcpOff_AReloadTurningTcpOnWarnsThatItCannotReachYourSockets()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:events:Tcp:Enabled", "false"), new("KeepAlive:Profiles:events:Heartbeat:Interval", "20s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        var yours = new Wrapper(NatsOpts.Default.UseKeepAlive(profiles.Profiles, "events").SocketConnectionFactory!);
        (NatsOpts.Default with { SocketConnectionFactory = yours }).UseKeepAlive(profiles.Profiles, "events");

        configuration["KeepAlive:Profiles:events:Tcp:Enabled"] = "true";
        configuration.Reload();

        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle().Which.Should().Contain("Tcp:Enabled stays false (the profile now says true)");
    }

    [Fact]
    public void UseKeepAlive_YourOwnFactoryAndAReloadTurningTcpOn_TheWarningsFixIsNotOneUseKeepAliveRefuses()
    {
        // The fix said "create the NatsConnection again from NatsOpts.UseKeepAlive", and with Tcp on UseKeepAlive refuses
        // your own SocketConnectionFactory: the warning now says so, with the way that works (keep-alive inside your factory).
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:events:Tcp:Enabled", "false"), new("KeepAlive:Profiles:events:Heartbeat:Interval", "20s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        var yours = new Wrapper(NatsOpts.Default.UseKeepAlive(profiles.Profiles, "events").SocketConnectionFactory!);
        var options = NatsOpts.Default with { SocketConnectionFactory = yours };
        options.UseKeepAlive(profiles.Profiles, "events");

        configuration["KeepAlive:Profiles:events:Tcp:Enabled"] = "true";
        configuration.Reload();

        var refusal = () => options.UseKeepAlive(profiles.Profiles, "events");
        refusal.Should().Throw<InvalidOperationException>().WithMessage("NatsOpts.SocketConnectionFactory is already set*");
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle().Which.Should()
            .Contain("with Tcp on, UseKeepAlive refuses these options: NatsOpts.SocketConnectionFactory is already set")
            .And.Contain("IKeepAliveProfiles.Configure(socket, \"events\")");
    }

    [Fact]
    public void UseKeepAlive_UnknownProfile_Throws()
    {
        using var profiles = ClientProfiles.InCode("events", _ => { });

        var act = () => NatsOpts.Default.UseKeepAlive(profiles.Profiles, "audit");

        act.Should().Throw<InvalidOperationException>().WithMessage("No KeepAlive profile named 'audit' is registered (registered: 'events')*");
    }

    [Fact]
    public void UseKeepAlive_HeartbeatOverThePeerIdleBudget_Refused()
    {
        using var profiles = ClientProfiles.InCode("events", p =>
        {
            p.Heartbeat.Interval = TimeSpan.FromMinutes(3);
            p.Heartbeat.PeerIdleTimeout = PeerIdleTimeout.AzureLoadBalancer;
        });

        var act = () => NatsOpts.Default.UseKeepAlive(profiles.Profiles, "events");

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().Contain(f => f.Contains("Heartbeat:Interval: Interval is 3m, over the limit of 2m", StringComparison.Ordinal));
    }

    [Fact]
    public void UseKeepAlive_FromTheServiceProvider_AppliesTheRegisteredProfile()
    {
        using var profiles = ClientProfiles.InCode("events", p => p.Heartbeat.Interval = TimeSpan.FromSeconds(15));

        NatsOpts.Default.UseKeepAlive(profiles.Services, "events").PingInterval.Should().Be(TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task AddNatsKeepAlive_SubSecondHeartbeat_StartsAndIsThePingIntervalAsGiven()
    {
        // NATS.Net takes NatsOpts.PingInterval as a TimeSpan (a PeriodicTimer of it): 250 ms was refused at start-up with
        // "NATS.Net counts NatsOpts.PingInterval in whole seconds: below 1s it would round to 0", which it does not.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection([new("KeepAlive:Profiles:events:Heartbeat:Interval", "250ms")]);
        builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive")).AddNatsKeepAlive("events");
        using var host = builder.Build();

        await host.StartAsync(TestContext.Current.CancellationToken);

        NatsOpts.Default.UseKeepAlive(host.Services, "events").PingInterval.Should().Be(TimeSpan.FromMilliseconds(250));
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task AddNatsKeepAlive_OnlyATimeoutAndAPeerIdleTimeoutUnderTheClientsOwnPingInterval_HostStopsWithTheDefaultAndTheFix()
    {
        // Tcp off and only Heartbeat:Timeout (MaxPingOut): the profile's 10 s default interval was judged against the 30 s
        // peer, not NATS.Net's own 2 min PING, the only thing that reaches it. The host started; the peer drops idle connections.
        var refused = await ClientProfiles.StartFailingAsync(static services => services.AddNatsKeepAlive("events"),
            ("KeepAlive:Profiles:events:Tcp:Enabled", "false"), ("KeepAlive:Profiles:events:Heartbeat:Timeout", "5m"), ("KeepAlive:Profiles:events:Heartbeat:PeerIdleTimeout", "30s"));

        refused.Failures.Should().Equal(
            "KeepAlive:Profiles:events:Heartbeat:Interval: Heartbeat:Interval is not set, so NATS.Net keeps its own NatsOpts.PingInterval, 2m by default, over the limit of 15s = Heartbeat:MaxIntervalToPeerIdleRatio 0.5 x Heartbeat:PeerIdleTimeout 30s: the peer would drop an idle connection before the client's heartbeat reaches it (the Tcp section's probes keep a middlebox's flow, not a peer that closes idle connections itself). Fix: set Heartbeat:Interval, which NATS.Net takes as NatsOpts.PingInterval, to at most 15s (a value set by hand on the client is not seen here: set it in the profile).");
    }

    [Fact]
    public async Task AddNatsKeepAlive_OnlyATimeoutUnderTheTenSecondDefault_HostStopsSayingOnlyTheClientsOwnPingInterval()
    {
        // 5 s is refused for NATS.Net's own 2 min PING; it was refused as well for the profile's 10 s default interval, which
        // NATS.Net never sends: two messages on Heartbeat:Timeout, the first about an interval nobody set or sends.
        var refused = await ClientProfiles.StartFailingAsync(static services => services.AddNatsKeepAlive("events"), ("KeepAlive:Profiles:events:Heartbeat:Timeout", "5s"));

        refused.Failures.Should().Equal(
            "KeepAlive:Profiles:events:Heartbeat:Timeout: Heartbeat:Timeout is 5s, not longer than NATS.Net's own NatsOpts.PingInterval, 2m by default (Heartbeat:Interval is not set): the client sends its heartbeat only that often, so a peer cannot be found silent within 5s: the connection would end later than the timeout says. Fix: set Heartbeat:Interval below 5s, for example 1s (about a third of the timeout), or Heartbeat:Timeout above 2m (a value set by hand on the client is not seen here: set it in the profile).");

        // A Timeout outside its own range is refused by that range alone, whatever the interval: NATS.Net's rule said as well
        // "Fix: set Heartbeat:Interval below 0s".
        var outOfRange = await ClientProfiles.StartFailingAsync(static services => services.AddNatsKeepAlive("events"), ("KeepAlive:Profiles:events:Heartbeat:Timeout", "0s"));
        outOfRange.Failures.Should().ContainSingle().Which.Should().StartWith("KeepAlive:Profiles:events:Heartbeat:Timeout: '0s' is below the floor of 1ms");
    }

    [Fact]
    public void UseKeepAlive_WebSocketServersNoIntervalAndAPeerIdleTimeoutUnderTheClientsOwnPingInterval_Refused()
    {
        // Over ws:// the Tcp section cannot reach the socket: NATS.Net's own 2 min PING was all that reached the peer.
        using var profiles = ClientProfiles.InCode("events", p => p.Heartbeat.PeerIdleTimeout = PeerIdleTimeout.AwsAlb);

        var act = () => (NatsOpts.Default with { Url = "ws://nats.internal:8080" }).UseKeepAlive(profiles.Profiles, "events");

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle(f => f.Contains("Heartbeat:Interval: Heartbeat:Interval is not set, so NATS.Net keeps its own NatsOpts.PingInterval, 2m by default, over the limit of 30s", StringComparison.Ordinal));
    }

    [Fact]
    public void Client_DefaultHeartbeat_IsThePingIntervalOfNewOptions()
    {
        KeepAliveNatsExtensions.Client.DefaultHeartbeatInterval.Should().Be(new NatsOpts().PingInterval).And.Be(TimeSpan.FromMinutes(2));
    }

    [Fact]
    public void UseKeepAlive_FractionOfASecond_KeptAsGivenAndMaxPingOutCountedFromIt()
    {
        // 2.5 s became 2 s ("NATS.Net counts whole seconds"), and MaxPingOut ceil(5 s / 2 s) = 3 where the profile's own
        // interval gives 2: the silent server was dropped 6-8 s after it went silent instead of 5-7.5 s.
        using var profiles = ClientProfiles.InCode("events", p =>
        {
            p.Heartbeat.Interval = TimeSpan.FromMilliseconds(2500);
            p.Heartbeat.Timeout = TimeSpan.FromSeconds(5);
        });

        var options = NatsOpts.Default.UseKeepAlive(profiles.Profiles, "events");

        (options.PingInterval, options.MaxPingOut).Should().Be((TimeSpan.FromMilliseconds(2500), 2));
        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle().Which.Should().NotContain("rounded");
    }

    /// <summary>Reloadable profile 'events' (Heartbeat:Interval 20s, Timeout 50s) and NatsOpts.Default with it applied.</summary>
    private static (IConfigurationRoot Configuration, ClientProfiles Profiles, NatsOpts Options) Every20sDroppedAfter50s()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:events:Heartbeat:Interval", "20s"), new("KeepAlive:Profiles:events:Heartbeat:Timeout", "50s")]).Build();
        var profiles = ClientProfiles.FromConfiguration(configuration);
        return (configuration, profiles, NatsOpts.Default.UseKeepAlive(profiles.Profiles, "events"));
    }

    private sealed class Wrapper(INatsSocketConnectionFactory inner) : INatsSocketConnectionFactory
    {
        public ValueTask<INatsSocketConnection> ConnectAsync(Uri uri, NatsOpts opts, CancellationToken cancellationToken) => inner.ConnectAsync(uri, opts, cancellationToken);
    }

    [Fact]
    public void UseKeepAlive_ServicesWithoutAddKeepAlive_RefusedWithTheCallAndTheFix()
    {
        // It threw the container's bare "No service for type IKeepAliveProfiles has been registered".
        using var services = new ServiceCollection().BuildServiceProvider();

        var act = () => NatsOpts.Default.UseKeepAlive(services, "cache");

        act.Should().Throw<InvalidOperationException>().WithMessage("options.UseKeepAlive(\"cache\") needs KeepAlive profiles. Fix: call services.AddKeepAlive(*");
    }
}
