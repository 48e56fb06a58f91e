using System.Net.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary><c>SocketsHttpHandler.UseKeepAlive</c> on a handler the factory does not build (a gRPC channel's, a WebSocket's invoker, SignalR's).</summary>
public sealed class SocketsHttpHandlerUseKeepAliveTests
{
    [Fact]
    public void UseKeepAlive_Twice_TheSecondChangesNothing()
    {
        using var services = Profiles();
        var profiles = services.GetRequiredService<IKeepAliveProfiles>();
        using var handler = new SocketsHttpHandler().UseKeepAlive(profiles, "a", o => o.PooledConnectionLifetime = TimeSpan.FromMinutes(3));
        var callback = handler.ConnectCallback;

        handler.UseKeepAlive(profiles, "b");

        handler.ConnectCallback.Should().BeSameAs(callback, "a factory that returns the same handler for every connection applies it again: the first profile stays");
        handler.PooledConnectionLifetime.Should().Be(TimeSpan.FromMinutes(3), "the per-connection options' lifetime overrides the profile's");
        handler.PooledConnectionIdleTimeout.Should().Be(TimeSpan.FromSeconds(40), "profile 'a', not 'b'");
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
