using System.Net.Http;
using KeepAlive.Net.Tests.TestSupport;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Configuration;

namespace KeepAlive.Net.SignalR.Tests;

/// <summary>
/// The <c>Http</c> section of a hub connection's handler, which SignalR asks the HttpMessageHandlerFactory for at each
/// connection: what warning 3204 says after a reload, on loopback, where the factory returns the same handler or a new one.
/// </summary>
public sealed class HubConnectionHandlerReloadTests
{
    private const string SameHandlerFix = "Fix: return a new SocketsHttpHandler from the HttpMessageHandlerFactory at each call, not the same one";

    // The factory returned the same SocketsHttpHandler every time: the second UseKeepAlive on it changes nothing, its Http
    // values never follow a reload, and nothing said so (the connection had turned the handler's own 3204 off).
    [Fact]
    public async Task UseKeepAlive_FactoryReturnsTheSameHandlerAndAReloadChangesTheHttpSection_OneWarningNamingTheConnectionAndTheFix()
    {
        var shared = new SocketsHttpHandler();

        var (warnings, _) = await ReloadAsync(_ => shared, HttpTransportType.WebSockets, restart: false, ("Http:PooledConnectionIdleTimeout", "40s"));

        warnings.Should().ContainSingle("one reload, one warning per client").Which.Should().Be(
            "SignalR hub connection took these values from KeepAlive profile 'hub' once, when it was set up, so the reload just accepted does not reach them: "
            + "SocketsHttpHandler.PooledConnectionIdleTimeout stays 50s (the profile now says 40s). "
            + "Fix: return a new SocketsHttpHandler from the HttpMessageHandlerFactory at each call, not the same one (SignalR asks for one at each connection, reconnections included, and disposes it with the connection; "
            + "the hub connection sets each up with the profile, so the Http section follows reloads at the next connection); "
            + "for KeepAliveInterval and ServerTimeout, build the hub connection again with UseKeepAlive (its sockets already follow reloads; KeepAliveInterval and ServerTimeout are fixed when it is built).");
    }

    // A handler shared under a DelegatingHandler that does not dispose it outlives the connection: long polling asks the
    // factory once per connection, so the second connection is where the same handler shows; the values it took stay.
    [Fact]
    public async Task UseKeepAlive_SameHandlerKeptOverARestartAndAReloadChangesTheIntervalAndTheHttpSection_OneWarningNamingBoth()
    {
        using var shared = new SocketsHttpHandler();

        var (warnings, _) = await ReloadAsync(_ => new NotDisposing(shared), HttpTransportType.LongPolling, restart: true,
            ("Heartbeat:Interval", "8s"), ("Http:PooledConnectionIdleTimeout", "40s"));

        warnings.Should().ContainSingle("one reload, one warning per client").Which.Should().Contain("HubConnectionOptions.KeepAliveInterval stays 5s (the profile now says 8s)")
            .And.Contain("SocketsHttpHandler.PooledConnectionIdleTimeout stays 50s (the profile now says 40s)").And.Contain(SameHandlerFix);
    }

    // A new handler at each call is set up with the profile as it is then: the Http section follows at the next connection,
    // so a reload of it alone is not a value the connection keeps.
    [Theory]
    [InlineData(HttpTransportType.WebSockets)]
    [InlineData(HttpTransportType.LongPolling)]
    public async Task UseKeepAlive_FactoryReturnsANewHandlerEachTimeAndAReloadChangesOnlyTheHttpSection_NoWarning(HttpTransportType transport)
    {
        var handlers = 0;

        var (warnings, reloads) = await ReloadAsync(_ =>
        {
            Interlocked.Increment(ref handlers);
            return new SocketsHttpHandler();
        }, transport, restart: true, ("Http:PooledConnectionIdleTimeout", "40s"));

        Volatile.Read(ref handlers).Should().BeGreaterThanOrEqualTo(2, "the control: the factory was asked at each connection");
        reloads.Should().Be(1, "the control: the reload was accepted");
        warnings.Should().BeEmpty("the next connection's handler takes the reloaded Http section");
    }

    // Long polling asks the factory once per connection: a reload of the Http section before the handler comes back at the
    // next connection was never said, although the handler kept the values it took. It is said when the handler comes back,
    // once: a reload that leaves those values alone does not say it again, one that changes them again does.
    [Fact]
    public async Task UseKeepAlive_SameHandlerComesBackAfterAReloadChangedTheHttpSection_SaidThenOnceAndAgainOnlyWhenItChangesAgain()
    {
        using var shared = new SocketsHttpHandler();
        await using var hub = await LoopbackHub.StartAsync(_ => new NotDisposing(shared), HttpTransportType.LongPolling);

        hub.Reload(("Http:PooledConnectionIdleTimeout", "40s"));
        hub.Warnings.Should().BeEmpty("the control: the connection has not seen the handler again yet");
        await hub.RestartAsync();

        hub.Warnings.Should().ContainSingle("the reload before the handler came back is said when it does").Which.Should().Be(
            "SignalR hub connection took these values from KeepAlive profile 'hub' once, when it was set up, so a reload accepted since does not reach them: "
            + "SocketsHttpHandler.PooledConnectionIdleTimeout stays 50s (the profile now says 40s). "
            + "Fix: return a new SocketsHttpHandler from the HttpMessageHandlerFactory at each call, not the same one (SignalR asks for one at each connection, reconnections included, and disposes it with the connection; "
            + "the hub connection sets each up with the profile, so the Http section follows reloads at the next connection); "
            + "for KeepAliveInterval and ServerTimeout, build the hub connection again with UseKeepAlive (its sockets already follow reloads; KeepAliveInterval and ServerTimeout are fixed when it is built).");

        hub.Reload(("Tcp:IdleTime", "9s"));
        hub.Reloads.Should().Be(2, "the control: the reload of the Tcp section was accepted");
        hub.Warnings.Should().ContainSingle("a reload that leaves the values the handler keeps alone does not say them again");

        hub.Reload(("Http:PooledConnectionIdleTimeout", "30s"));
        hub.Warnings.Should().HaveCount(2, "a reload that changes them again is said").And.Contain(w => w.Contains("so the reload just accepted does not reach them: SocketsHttpHandler.PooledConnectionIdleTimeout stays 50s (the profile now says 30s).", StringComparison.Ordinal));
    }

    // Starts a hub connection with the factory (stopped and started again on `restart`), reloads the profile with `after`,
    // and returns the warnings 3204 and how many reloads were accepted.
    private static async Task<(IReadOnlyList<string> Warnings, int Reloads)> ReloadAsync(Func<HttpMessageHandler, HttpMessageHandler> factory, HttpTransportType transport, bool restart, params (string Key, string Value)[] after)
    {
        await using var hub = await LoopbackHub.StartAsync(factory, transport);
        if (restart)
        {
            await hub.RestartAsync();
        }

        hub.Reload(after);
        return (hub.Warnings, hub.Reloads);
    }

    /// <summary>
    /// A hub connection with profile 'hub' (Heartbeat:Interval 5s, Http:PooledConnectionIdleTimeout 50s) and a factory,
    /// started on loopback; the profile reloaded from in-memory configuration.
    /// </summary>
    private sealed class LoopbackHub(WebServer server, IConfigurationRoot configuration, ClientProfiles profiles, HubConnection connection) : IAsyncDisposable
    {
        public static async Task<LoopbackHub> StartAsync(Func<HttpMessageHandler, HttpMessageHandler> factory, HttpTransportType transport)
        {
            var server = await HubServers.StartOnLoopbackAsync();
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(
                [new("KeepAlive:Profiles:hub:Heartbeat:Interval", "5s"), new("KeepAlive:Profiles:hub:Http:PooledConnectionIdleTimeout", "50s")]).Build();
            var profiles = ClientProfiles.FromConfiguration(configuration);
            var connection = new HubConnectionBuilder().WithUrl(HubServers.Url(server), transport, o => o.HttpMessageHandlerFactory = factory)
                .UseKeepAlive(profiles.Profiles, "hub").Build();
            var hub = new LoopbackHub(server, configuration, profiles, connection);
            try
            {
                await connection.StartAsync(Token);
                await hub.EchoAsync();
                return hub;
            }
            catch
            {
                await hub.DisposeAsync();
                throw;
            }
        }

        /// <summary>The warnings 3204 logged so far.</summary>
        public IReadOnlyList<string> Warnings => [.. profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied)];

        /// <summary>How many reloads were accepted so far.</summary>
        public int Reloads => profiles.Messages(KeepAliveEventIds.ProfileReloaded).Count;

        public async Task RestartAsync()
        {
            await connection.StopAsync(Token);
            await connection.StartAsync(Token);
            await EchoAsync();
        }

        public void Reload(params (string Key, string Value)[] values)
        {
            foreach (var (key, value) in values)
            {
                configuration[$"KeepAlive:Profiles:hub:{key}"] = value;
            }

            configuration.Reload();
        }

        public async ValueTask DisposeAsync()
        {
            await connection.DisposeAsync();
            profiles.Dispose();
            await server.DisposeAsync();
        }

        private async Task EchoAsync() =>
            (await connection.InvokeAsync<string>("Echo", "hi", Token)).Should().StartWith("hi on ", "the control: the connection runs over the factory's handler");
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>What a factory sharing one handler between connections returns: SignalR disposes the handler it is given with the connection.</summary>
    private sealed class NotDisposing(HttpMessageHandler shared) : DelegatingHandler(shared)
    {
        // The shared handler outlives the connection: its owner disposes it (a DelegatingHandler disposes its inner one only when disposing).
        protected override void Dispose(bool disposing) => base.Dispose(disposing: false);
    }
}
