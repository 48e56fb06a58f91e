using System.Net.Http;
using KeepAlive.Net.Hosting.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.Hosting.Http;

/// <summary>
/// The innermost handler of an HttpClient from the factory with a keep-alive profile: when the client sends its first
/// request it installs the ConnectCallback that applies the profile's <c>Tcp</c> section, unless another component
/// installed a ConnectCallback of its own after the client was built. gRPC's channel does exactly that for client-side
/// load balancing (<c>dns:///</c> addresses, a load-balancing config) and connectivity tracking (http and https addresses):
/// it refuses a handler that already has a ConnectCallback (or silently turns its tracking off) and opens the sockets
/// itself. Installing ours only now leaves gRPC's channel intact; the <c>Tcp</c> section is then reported as not
/// applicable, while the <c>Http</c> section (HTTP/2 pings, pool timers), set when the client was built, applies.
/// </summary>
internal sealed class KeepAliveConnectGate : DelegatingHandler
{
    private readonly SocketsHttpHandler _handler;
    private readonly Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>>? _atBuild;
    private readonly Action<SocketsHttpHandler> _install;
    private readonly Action _notApplicable;
    private readonly Lock _lock = new();
    private volatile bool _open;

    public KeepAliveConnectGate(SocketsHttpHandler handler, string profileName, Action<SocketsHttpHandler> install, Action notApplicable)
    {
        _handler = handler;
        ProfileName = profileName;
        _atBuild = handler.ConnectCallback;
        _install = install;
        _notApplicable = notApplicable;
    }

    /// <summary>Gets the profile whose <c>Tcp</c> section this gate installs (its <c>Http</c> section is on the handler already).</summary>
    public string ProfileName { get; }

    /// <summary>The handler under a chain of DelegatingHandlers, the last of them (<paramref name="over"/>), and the client factory's gate found on the way, if any.</summary>
    public static HttpMessageHandler Innermost(HttpMessageHandler handler, out DelegatingHandler? over, out KeepAliveConnectGate? gate)
    {
        (over, gate) = (null, null);
        while (handler is DelegatingHandler { InnerHandler: { } inner } delegating)
        {
            over = delegating;
            gate ??= delegating as KeepAliveConnectGate;
            handler = inner;
        }

        return handler;
    }

    /// <summary>
    /// The profile a handler chain carries already: its gate's (the client factory installs its callback only at the first
    /// request), else the one whose callback is on its innermost <paramref name="sockets"/>. A handler carries one profile.
    /// </summary>
    public static string? CarriedProfile(KeepAliveConnectGate? gate, SocketsHttpHandler sockets) =>
        gate?.ProfileName ?? KeepAliveConnectCallback.ProfileOf(sockets.ConnectCallback);

    /// <summary>
    /// Installs the client's ConnectCallback now, with the client's options (its <c>ConnectionConfigured</c>), unless the
    /// client has sent a request or another callback is there already: for gRPC's channel applying the same profile, which
    /// then observes this callback instead of installing one without the client's options.
    /// </summary>
    public void InstallNow()
    {
        lock (_lock)
        {
            if (!_open && ReferenceEquals(_handler.ConnectCallback, _atBuild))
            {
                _install(_handler);
            }
        }
    }

    /// <summary>Logs that the client's sockets are opened by another component, so the profile's Tcp section cannot reach them.</summary>
    public static void ReportNotApplicable(ILogger logger, string client, string profileName) =>
        Log.HttpClientTcpNotApplicable(logger, client, profileName);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!_open)
        {
            Open();
        }

        return base.SendAsync(request, cancellationToken);
    }

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!_open)
        {
            Open();
        }

        return base.Send(request, cancellationToken);
    }

    private void Open()
    {
        lock (_lock)
        {
            if (_open)
            {
                return;
            }

            if (ReferenceEquals(_handler.ConnectCallback, _atBuild) || KeepAliveConnectCallback.IsOurs(_handler.ConnectCallback))
            {
                if (!KeepAliveConnectCallback.IsOurs(_handler.ConnectCallback))
                {
                    _install(_handler);
                }
            }
            else
            {
                _notApplicable();
            }

            _open = true;
        }
    }
}
