using System.Net.Http;
using KeepAlive.Net.Hosting.Profiles;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Http;

/// <summary>
/// Runs after every other handler configuration of a client, whatever the order of the builder calls, so keep-alive
/// composes with the user's handler: the factory's untouched default becomes a <see cref="SocketsHttpHandler"/>; a
/// user's <see cref="SocketsHttpHandler"/> keeps all its settings and its ConnectCallback is chained; any other handler
/// is refused with the fix, never silently replaced. The profile's <c>Http</c> section is set now; its <c>Tcp</c> section
/// is installed by a <see cref="KeepAliveConnectGate"/> when the client sends its first request (see there why). Its
/// logger is guarded (<see cref="KeepAliveProfileMetrics"/>): it logs from each connection's ConnectCallback and the first
/// request, where a logger that throws would fail the application's request.
/// </summary>
internal sealed class KeepAliveHandlerFilter(IOptionsMonitor<HttpClientKeepAliveBinding> bindings, IKeepAliveProfiles profiles, IServiceProvider services) : IHttpMessageHandlerBuilderFilter
{
    private readonly ILogger _logger = KeepAliveProfileMetrics.Logger(services, "KeepAlive.Net.Hosting");

    public Action<HttpMessageHandlerBuilder> Configure(Action<HttpMessageHandlerBuilder> next) => builder =>
    {
        var initial = builder.PrimaryHandler;
        next(builder);
        var name = builder.Name ?? Options.DefaultName;
        if (bindings.Get(name) is not { ProfileName: { } profileName } binding)
        {
            return;
        }

        var handler = builder.PrimaryHandler switch
        {
            SocketsHttpHandler sockets => sockets,
            HttpClientHandler untouched when ReferenceEquals(untouched, initial) => Replace(untouched),
            var other => throw new InvalidOperationException(Refusal(name, profileName, other)),
        };
        foreach (var apply in binding.HandlerSettings)
        {
            apply(handler, builder.Services, name);
        }

        binding.Options.ApplyTo(handler, $"HttpClient '{name}'");
        builder.PrimaryHandler = handler;
        builder.AdditionalHandlers.Add(new KeepAliveConnectGate(
            handler,
            profileName,
            sockets => KeepAliveConnectCallback.Install(sockets, profiles, profileName, binding.Options, _logger),
            () => KeepAliveConnectGate.ReportNotApplicable(_logger, name, profileName)));
    };

    private static SocketsHttpHandler Replace(HttpClientHandler factoryDefault)
    {
        factoryDefault.Dispose();
        return new SocketsHttpHandler();
    }

    private static string Refusal(string client, string profileName, HttpMessageHandler? handler) =>
        $"HttpClient '{client}': its primary handler is a {handler?.GetType().FullName ?? "null"}, which cannot carry TCP keep-alive "
        + $"(only SocketsHttpHandler has a ConnectCallback that reaches the socket), so UseTcpKeepAlive(\"{profileName}\") refuses it rather than replace it and lose its settings. "
        + "Fix: configure a SocketsHttpHandler with the same settings, for example .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { Proxy = new WebProxy(...), UseProxy = true }) "
        + "or .UseSocketsHttpHandler((handler, _) => ...); every HttpClientHandler setting has a SocketsHttpHandler equivalent. Or remove UseTcpKeepAlive from this client.";
}
