using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using KeepAlive.Net.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary>UseTcpKeepAlive composes with the user's handler in either order, and refuses one that cannot carry keep-alive.</summary>
public sealed class HttpClientCompositionTests
{
    private const string Json = """{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { "IdleTime": "17s", "Interval": "3s" } } } } }""";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task UseTcpKeepAlive_UserSocketsHandlerWithProxy_ProxyIsUsedAndItsConnectionGetsKeepAlive(bool keepAliveFirst)
    {
        await using var proxy = new MiniHttpServer();
        var configured = new List<KeepAliveSettings>();
        using var host = await StartAsync(keepAliveFirst, configured,
            () => new SocketsHttpHandler { Proxy = new WebProxy(proxy.BaseAddress), UseProxy = true });
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("payments");

        // payments.invalid cannot resolve: only a request through the proxy can succeed.
        var body = await client.GetStringAsync("http://payments.invalid/pay", TestContext.Current.CancellationToken);

        body.Should().Be("ok");
        proxy.Accepted.Should().ContainSingle("the user's proxy setting survived");
        configured.Should().ContainSingle("keep-alive survived").Which.IdleTime.Should().Be(TimeSpan.FromSeconds(17));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task UseTcpKeepAlive_UserConnectCallback_IsChainedAndItsSocketGetsKeepAlive(bool keepAliveFirst)
    {
        await using var server = new MiniHttpServer();
        var calls = 0;
        var configured = new List<KeepAliveSettings>();
        using var host = await StartAsync(keepAliveFirst, configured, () => new SocketsHttpHandler
        {
            ConnectCallback = async (context, token) =>
            {
                Interlocked.Increment(ref calls);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(context.DnsEndPoint, token);
                return new NetworkStream(socket, ownsSocket: true);
            },
        });
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("payments");

        (await client.GetStringAsync(new Uri(server.BaseAddress, "/pay"), TestContext.Current.CancellationToken)).Should().Be("ok");

        calls.Should().Be(1, "the user's ConnectCallback still opens the connection");
        configured.Should().ContainSingle().Which.IdleTime.Should().Be(TimeSpan.FromSeconds(17));
        server.Accepted.Should().ContainSingle();
    }

    [Fact]
    public async Task UseTcpKeepAlive_UserConnectCallbackToAUnixDomainSocket_RequestSucceedsWithNothingToApply()
    {
        // HTTP over a Unix domain socket (the Docker engine's API): the callback returns a NetworkStream whose socket has no
        // TCP layer. The client's other connections are TCP, so the profile stays; this one is passed on untouched.
        var path = Path.Combine(Path.GetTempPath(), $"keepalive-{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen();
        var served = AnswerOnceAsync(listener);
        var configured = new List<KeepAliveSettings>();
        using var host = await StartAsync(keepAliveFirst: true, configured, () => new SocketsHttpHandler
        {
            ConnectCallback = async (_, token) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), token);
                return new NetworkStream(socket, ownsSocket: true);
            },
        });
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("payments");

        try
        {
            (await client.GetStringAsync("http://docker/info", TestContext.Current.CancellationToken)).Should().Be("ok");
        }
        finally
        {
            File.Delete(path);
        }

        await served;
        configured.Should().BeEmpty("a Unix domain socket has no TCP keep-alive to configure");
    }

    private static async Task AnswerOnceAsync(Socket listener)
    {
        using var connection = await listener.AcceptAsync(TestContext.Current.CancellationToken);
        var buffer = new byte[8192];
        var request = string.Empty;
        while (!request.Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await connection.ReceiveAsync(buffer, TestContext.Current.CancellationToken);
            if (read == 0)
            {
                return;
            }

            request += System.Text.Encoding.ASCII.GetString(buffer, 0, read);
        }

        await connection.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"u8.ToArray(), TestContext.Current.CancellationToken);
        connection.Shutdown(SocketShutdown.Send);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task UseTcpKeepAlive_UserHttpClientHandler_RefusedWithFixInsteadOfReplaced(bool keepAliveFirst)
    {
        using var host = await StartAsync(keepAliveFirst, [], () => new HttpClientHandler { Proxy = new WebProxy("http://127.0.0.1:9"), UseProxy = true });

        var act = () => host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("payments");

        act.Should().Throw<InvalidOperationException>().WithMessage("HttpClient 'payments'*HttpClientHandler*cannot carry TCP keep-alive*Fix: configure a SocketsHttpHandler*");
    }

    [Fact]
    public void UseKeepAlive_SecondProfileForTheSameClient_RefusedAtRegistrationTheSameOneAccepted()
    {
        var services = new ServiceCollection();
        var client = services.AddHttpClient("payments").UseKeepAlive("a").UseKeepAlive("A").UseTcpKeepAlive("a");

        var mixed = () => client.UseKeepAlive("b");
        var mixedTcp = () => client.UseTcpKeepAlive("b");

        mixed.Should().Throw<InvalidOperationException>().WithMessage("HttpClient 'payments' already takes KeepAlive profile 'a'; applying 'b' too would mix*Fix: call UseKeepAlive (or UseTcpKeepAlive) once per client*");
        mixedTcp.Should().Throw<InvalidOperationException>().WithMessage("*already takes KeepAlive profile 'a'*");
        services.AddHttpClient("orders").UseKeepAlive("b"); // another client may take another profile
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void UseKeepAlive_ConfigureHttpClientDefaultsAndAClientWithAnotherProfile_RefusedAtRegistrationTheSameOneAccepted(bool defaultsFirst)
    {
        // ConfigureHttpClientDefaults(http => http.UseKeepAlive("a")) reaches every client: a client given "b" as well got
        // both profiles' Http sections in one handler ("a"'s values where "b" leaves a key unset), in silence.
        var services = new ServiceCollection();
        Action defaults = () => services.ConfigureHttpClientDefaults(http => http.UseKeepAlive("a"));
        Action client = () => services.AddHttpClient("payments").UseKeepAlive("b");
        services.AddHttpClient("orders").UseKeepAlive("A"); // the same profile as the defaults' is accepted

        (defaultsFirst ? defaults : client)();
        var mixed = defaultsFirst ? client : defaults;

        mixed.Should().Throw<InvalidOperationException>().WithMessage(
            "*HttpClient 'payments'*'b'*ConfigureHttpClientDefaults*'a'*would mix*Fix: *");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task UseKeepAlive_ProfileNamedInAnotherCase_AnInvalidValueStopsTheHostSaidOnce(bool profilesFirst)
    {
        // Profile names are case-insensitive: a client's UseKeepAlive("Payments") takes the profile "payments". Its start-up
        // check was registered under the client's spelling besides the profile's own, so each failure was said twice, in
        // an AggregateException of two identical OptionsValidationExceptions.
        var ex = await TestHosts.StartFailingAsync(
            """{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { "IdleTime": "10" } } } } }""",
            (services, configuration) =>
            {
                Action profiles = () => services.AddKeepAlive(configuration.GetSection("KeepAlive"));
                Action client = () => services.AddHttpClient("orders").UseKeepAlive("Payments");
                (profilesFirst ? profiles : client)();
                (profilesFirst ? client : profiles)();
            });

        var message = ex.Should().BeOfType<OptionsValidationException>("one profile, one check").Which.Message;
        message.Should().Contain("KeepAlive:Profiles:payments:Tcp:IdleTime: '10' has no unit");
        message.Split("has no unit").Should().HaveCount(2, "the failure is said once: {0}", message);
    }

    [Fact]
    public async Task UseKeepAlive_AnotherComponentInstallsItsConnectCallbackAfterTheClientIsBuilt_ItsCallbackStaysTcpIsReportedNotApplicable()
    {
        await using var server = new MiniHttpServer();
        var configured = new List<KeepAliveSettings>();
        using var host = await StartWithLogsAsync(Json.Replace("\"Tcp\"", "\"Http\": { \"ConnectTimeout\": \"4s\" }, \"Tcp\"", StringComparison.Ordinal), services =>
            services.AddHttpClient("payments").UseKeepAlive("payments", o => o.ConnectionConfigured = (_, settings) => configured.Add(settings)));
        var chain = host.Services.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler("payments");
        var sockets = Primary(chain);
        var foreign = 0;
        sockets.ConnectCallback = async (context, token) => // what gRPC's channel does when it is built on the handler
        {
            Interlocked.Increment(ref foreign);
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(context.DnsEndPoint, token);
            return new NetworkStream(socket, ownsSocket: true);
        };

        using var invoker = new HttpMessageInvoker(chain);
        using var response = await invoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(server.BaseAddress, "/pay")), TestContext.Current.CancellationToken);

        response.IsSuccessStatusCode.Should().BeTrue("the first call never fails because of the profile");
        foreign.Should().Be(1, "the other component's callback stays and opens the connection");
        configured.Should().BeEmpty("the Tcp section cannot reach a socket it does not open");
        sockets.ConnectTimeout.Should().Be(TimeSpan.FromSeconds(4), "the Http section applies");
        Messages(host, KeepAliveEventIds.HttpClientTcpNotApplicable).Should().ContainSingle()
            .Which.Should().Contain("HttpClient 'payments'").And.Contain("does not apply").And.Contain("Http section (HTTP/2 pings, pool timers) applies");
    }

    [Fact]
    public async Task UseKeepAlive_UserSocketsHandlerWithItsOwnHttpValues_TheProfileWinsAndSaysSoOncePerClientNotSilently()
    {
        // The user's SocketsHttpHandler sets PooledConnectionLifetime and PooledConnectionIdleTimeout by hand; the profile's
        // Http section sets them too. The profile's replaced them without a word. A value the profile leaves unset stays,
        // one equal to the profile's is no conflict, and a handler built again (every HandlerLifetime) is not warned again.
        using var host = await StartWithLogsAsync(
            """{ "KeepAlive": { "Profiles": { "payments": { "Http": { "PooledConnectionLifetime": "5m", "PooledConnectionIdleTimeout": "50s", "KeepAlivePingDelay": "30s" } } } } }""",
            services => services.AddHttpClient("payments")
                .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
                {
                    PooledConnectionLifetime = TimeSpan.FromMinutes(1),
                    PooledConnectionIdleTimeout = TimeSpan.FromSeconds(10),
                    KeepAlivePingDelay = TimeSpan.FromSeconds(30),
                    ConnectTimeout = TimeSpan.FromSeconds(7),
                })
                .SetHandlerLifetime(TimeSpan.FromSeconds(1))
                .UseKeepAlive("payments"));
        var factory = host.Services.GetRequiredService<IHttpMessageHandlerFactory>();
        var first = Primary(factory.CreateHandler("payments"));
        var rebuilt = await RebuiltHandlerAsync(factory, "payments");
        foreach (var handler in new[] { first, rebuilt })
        {
            handler.PooledConnectionLifetime.Should().Be(TimeSpan.FromMinutes(5), "the profile's value wins");
            handler.PooledConnectionIdleTimeout.Should().Be(TimeSpan.FromSeconds(50));
            handler.ConnectTimeout.Should().Be(TimeSpan.FromSeconds(7), "a value the profile leaves unset keeps the handler's own");
        }

        var warnings = Messages(host, KeepAliveEventIds.ClientOptionOverridden);
        warnings.Should().HaveCount(2, "one warning per hand-set value the profile replaces, once per client: {0}", string.Join(" | ", warnings));
        warnings.Should().ContainSingle(m => m.Contains("SocketsHttpHandler.PooledConnectionLifetime was set by hand to 1m", StringComparison.Ordinal))
            .Which.Should().Contain("HttpClient 'payments'").And.Contain("'payments' sets Http:PooledConnectionLifetime, so the profile's 5m wins").And.Contain("Fix: remove the hand-set SocketsHttpHandler.PooledConnectionLifetime, or remove Http:PooledConnectionLifetime from the profile");
        warnings.Should().ContainSingle(m => m.Contains("SocketsHttpHandler.PooledConnectionIdleTimeout was set by hand to 10s", StringComparison.Ordinal))
            .Which.Should().Contain("the profile's 50s wins");
    }

    [Fact]
    public async Task UseKeepAlive_FactoryDefaultHandler_ItsPresetLifetimeIsNotAValueSetByHandAndNothingWarns()
    {
        // Since .NET 9 the factory's default primary handler is a SocketsHttpHandler whose PooledConnectionLifetime is preset
        // to the client's HandlerLifetime (2m by default): the profile replacing that preset was warned as "set by hand to
        // 2m" for every client that sets no handler of its own (the WebApi example's smoke test caught it).
        using var host = await StartWithLogsAsync(
            """{ "KeepAlive": { "Profiles": { "payments": { "Http": { "PooledConnectionLifetime": "5m" } } } } }""",
            services =>
            {
                services.AddHttpClient("payments").UseKeepAlive("payments");
                services.AddHttpClient("orders").SetHandlerLifetime(TimeSpan.FromMinutes(3)).UseKeepAlive("payments");
            });
        var factory = host.Services.GetRequiredService<IHttpMessageHandlerFactory>();
        foreach (var client in new[] { "payments", "orders" })
        {
            Primary(factory.CreateHandler(client)).PooledConnectionLifetime.Should().Be(TimeSpan.FromMinutes(5), "the profile's value wins over the factory's preset");
        }

        Messages(host, KeepAliveEventIds.ClientOptionOverridden).Should().BeEmpty("the factory's own preset lifetime is not a value set by hand");
    }

    [Fact]
    public void UseKeepAlive_InfiniteHandlerLifetime_AReloadOfTheHttpSectionSaysTheHandlerKeepsItsValuesOnce()
    {
        // SetHandlerLifetime(Timeout.InfiniteTimeSpan): the factory never builds the client's handler again, so a reload of
        // the Http section never reached it, and nothing said so (the values are read when the factory builds a handler).
        // A reload of the Tcp section reaches each new connection; a client with a finite HandlerLifetime takes reloads.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
        [
            new("KeepAlive:Profiles:payments:Http:PooledConnectionIdleTimeout", "50s"),
            new("KeepAlive:Profiles:payments:Tcp:IdleTime", "17s"),
        ]).Build();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddFakeLogging());
        services.AddKeepAlive(configuration.GetSection("KeepAlive"));
        services.AddHttpClient("payments").SetHandlerLifetime(Timeout.InfiniteTimeSpan).UseKeepAlive("payments");
        services.AddHttpClient("orders").UseKeepAlive("payments");
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<KeepAlive.Net.Hosting.Profiles.KeepAliveProfiles>().CaptureAll();
        var factory = provider.GetRequiredService<IHttpMessageHandlerFactory>();
        var handler = Primary(factory.CreateHandler("payments"));
        Primary(factory.CreateHandler("payments")).Should().BeSameAs(handler, "an infinite HandlerLifetime keeps one handler");
        Primary(factory.CreateHandler("orders"));
        List<string> Warnings() => [.. provider.GetFakeLogCollector().GetSnapshot().Where(static r => r.Id.Id == KeepAliveEventIds.ClientReloadNotApplied).Select(static r => r.Message)];

        configuration["KeepAlive:Profiles:payments:Tcp:IdleTime"] = "19s";
        configuration.Reload();
        var afterTheTcpReload = Warnings();
        configuration["KeepAlive:Profiles:payments:Http:PooledConnectionIdleTimeout"] = "40s";
        configuration.Reload();

        afterTheTcpReload.Should().BeEmpty("the Tcp section reaches each new connection");
        handler.PooledConnectionIdleTimeout.Should().Be(TimeSpan.FromSeconds(50), "the handler took the Http section once");
        Warnings().Should().ContainSingle("once per reload, for the client whose handler is never built again").Which.Should().Be(
            "HttpClient 'payments' took these values from KeepAlive profile 'payments' once, when it was set up, so the reload just accepted does not reach them: "
            + "SocketsHttpHandler.PooledConnectionIdleTimeout stays 50s (the profile now says 40s). "
            + "Fix: give HttpClient 'payments' a finite HandlerLifetime (SetHandlerLifetime; the default is 2m), so that the factory builds its handler again with the reloaded values.");
    }

    [Fact]
    public void UseKeepAlive_InConfigureHttpClientDefaults_EachClientIsNamedAndTakesItsOwnHandlerLifetime()
    {
        // ConfigureHttpClientDefaults(b => b.UseKeepAlive(...)) gives a builder without a name: the Http section was applied
        // with the default name's HandlerLifetime instead of the client's, so a client with an infinite one was never told
        // about a reload its handler never takes (3204), and messages named "HttpClient ''".
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
        [
            new("KeepAlive:Profiles:payments:Http:PooledConnectionIdleTimeout", "50s"),
        ]).Build();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddFakeLogging());
        services.AddKeepAlive(configuration.GetSection("KeepAlive"));
        services.ConfigureHttpClientDefaults(http => http.UseKeepAlive("payments"));
        services.AddHttpClient("payments").SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        services.AddHttpClient("orders");
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<KeepAlive.Net.Hosting.Profiles.KeepAliveProfiles>().CaptureAll();
        var factory = provider.GetRequiredService<IHttpMessageHandlerFactory>();
        var handler = Primary(factory.CreateHandler("payments"));
        Primary(factory.CreateHandler("orders")).PooledConnectionIdleTimeout.Should().Be(TimeSpan.FromSeconds(50), "every client takes the defaults' profile");

        configuration["KeepAlive:Profiles:payments:Http:PooledConnectionIdleTimeout"] = "40s";
        configuration.Reload();

        handler.PooledConnectionIdleTimeout.Should().Be(TimeSpan.FromSeconds(50));
        provider.GetFakeLogCollector().GetSnapshot().Where(static r => r.Id.Id == KeepAliveEventIds.ClientReloadNotApplied).Select(static r => r.Message)
            .Should().ContainSingle("the client whose handler is never built again is told, by its name").Which.Should()
            .StartWith("HttpClient 'payments' took these values from KeepAlive profile 'payments' once")
            .And.Contain("Fix: give HttpClient 'payments' a finite HandlerLifetime");
    }

    [Fact]
    public void UseKeepAlive_InfiniteHandlerLifetimeAndALifetimeOfTheOptions_AReloadOfTheProfilesLifetimeSaysNothing()
    {
        // The per-connection options' PooledConnectionLifetime wins over the profile's, yet a reload of the profile's was
        // said as "PooledConnectionLifetime stays 5m", a value the handler never had (it runs with 3m).
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
            [new("KeepAlive:Profiles:payments:Http:PooledConnectionLifetime", "5m"), new("KeepAlive:Profiles:payments:Http:ConnectTimeout", "4s")]).Build();
        using var profiles = ClientProfiles.Build(services =>
        {
            services.AddKeepAlive(configuration.GetSection("KeepAlive"));
            services.AddHttpClient("payments").SetHandlerLifetime(Timeout.InfiniteTimeSpan).UseKeepAlive("payments", o => o.PooledConnectionLifetime = TimeSpan.FromMinutes(3));
        });
        var handler = Primary(profiles.Services.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler("payments"));

        configuration["KeepAlive:Profiles:payments:Http:PooledConnectionLifetime"] = "10m";
        configuration.Reload();
        var afterTheLifetimeReload = profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied);
        configuration["KeepAlive:Profiles:payments:Http:ConnectTimeout"] = "6s";
        configuration.Reload();

        handler.PooledConnectionLifetime.Should().Be(TimeSpan.FromMinutes(3), "the options' lifetime wins over the profile's");
        afterTheLifetimeReload.Should().BeEmpty("the handler never took the profile's lifetime");
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle("the control: a value the handler took is said").Which.Should()
            .Contain("SocketsHttpHandler.ConnectTimeout stays 4s (the profile now says 6s)").And.NotContain("PooledConnectionLifetime");
    }

    /// <summary>Waits until the factory builds the client's handler again (a handler lifetime of 1 s has passed), at most 10 s, and returns its primary handler.</summary>
    internal static async Task<SocketsHttpHandler> RebuiltHandlerAsync(IHttpMessageHandlerFactory factory, string client)
    {
        var current = Primary(factory.CreateHandler(client));
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
            if (Primary(factory.CreateHandler(client)) is var next && !ReferenceEquals(next, current))
            {
                return next;
            }
        }

        throw new TimeoutException($"the factory did not build HttpClient '{client}''s handler again within 10 s");
    }

    /// <summary>The primary handler under a client's handler chain.</summary>
    internal static SocketsHttpHandler Primary(HttpMessageHandler handler)
    {
        while (handler is DelegatingHandler { InnerHandler: { } inner })
        {
            handler = inner;
        }

        return (SocketsHttpHandler)handler;
    }

    /// <summary>Builds and starts a host from <paramref name="json"/> with captured logs and <c>AddKeepAlive</c>; <paramref name="clients"/> registers its HttpClients.</summary>
    private static async Task<IHost> StartWithLogsAsync(string json, Action<IServiceCollection> clients)
    {
        var host = TestHosts.Build(json, (services, configuration) =>
        {
            services.AddLogging(logging => logging.AddFakeLogging());
            services.AddKeepAlive(configuration.GetSection("KeepAlive"));
            clients(services);
        });
        await host.StartAsync(TestContext.Current.CancellationToken);
        return host;
    }

    /// <summary>The messages the host logged with one event id.</summary>
    private static List<string> Messages(IHost host, int eventId) =>
        [.. host.Services.GetFakeLogCollector().GetSnapshot().Where(r => r.Id.Id == eventId).Select(static r => r.Message)];

    private static async Task<IHost> StartAsync(bool keepAliveFirst, List<KeepAliveSettings> configured, Func<HttpMessageHandler> primary)
    {
        var host = TestHosts.Build(Json, (services, configuration) =>
        {
            services.AddKeepAlive(configuration.GetSection("KeepAlive"));
            var builder = services.AddHttpClient("payments");
            void KeepAlive() => builder.UseTcpKeepAlive("payments", o => o.ConnectionConfigured = (_, settings) =>
            {
                lock (configured)
                {
                    configured.Add(settings);
                }
            });
            if (keepAliveFirst)
            {
                KeepAlive();
                builder.ConfigurePrimaryHttpMessageHandler(primary);
            }
            else
            {
                builder.ConfigurePrimaryHttpMessageHandler(primary);
                KeepAlive();
            }
        });
        await host.StartAsync(TestContext.Current.CancellationToken);
        return host;
    }
}
