using System.Net.Http;
using System.Net.Sockets;
using KeepAlive.Net.Hosting.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.Hosting.Http;

/// <summary>
/// The <see cref="SocketsHttpHandler.ConnectCallback"/> that applies the profile's current keep-alive values to each
/// new HTTP connection's socket. Without a callback of the user's, it opens the socket, connects (trying each address of
/// the name in turn) and configures it. With one, it calls it and configures
/// the socket of the <see cref="NetworkStream"/> it returns (one over a Unix domain socket has no TCP layer and is passed
/// on untouched, event 3203); any other stream has no socket to configure and is refused.
/// </summary>
internal sealed class KeepAliveConnectCallback(IKeepAliveProfiles profiles, string profileName, KeepAliveHttpClientOptions options, ILogger logger,
    Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>>? inner = null)
{
    private Action<Socket, KeepAliveSettings>? _observers;

    /// <summary>Gets the profile this callback applies.</summary>
    public string ProfileName => profileName;

    /// <summary>Gets the user's own callback that this one chains, or <see langword="null"/>.</summary>
    public Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>>? Inner => inner;

    /// <summary>
    /// Makes the handler's ConnectCallback apply the profile, chaining the callback it has (a callback of ours is replaced,
    /// so a profile is never applied twice). The handler must not have sent a request yet.
    /// </summary>
    public static void Install(SocketsHttpHandler handler, IKeepAliveProfiles profiles, string profileName, KeepAliveHttpClientOptions options, ILogger logger)
    {
        handler.ConnectCallback = new KeepAliveConnectCallback(profiles, profileName, options, logger, WithoutProfile(handler.ConnectCallback)).ConnectAsync;
    }

    /// <summary>The callback a handler had before a profile was applied to it: the user's own (or none) under one of ours, else the callback itself.</summary>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>>? WithoutProfile(Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>>? callback) =>
        callback is { Target: KeepAliveConnectCallback ours } ? ours.Inner : callback;

    /// <summary>The profile a callback of ours applies, or <see langword="null"/> for any other callback.</summary>
    public static string? ProfileOf(Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>>? callback) =>
        callback is { Target: KeepAliveConnectCallback ours } ? ours.ProfileName : null;

    /// <summary>Whether the callback is one of ours.</summary>
    public static bool IsOurs(Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>>? callback) => callback is { Target: KeepAliveConnectCallback };

    /// <summary>
    /// When the callback is one of ours, calls <paramref name="observer"/> too for every connection it configures from now on
    /// (after the options' <see cref="KeepAliveHttpClientOptions.ConnectionConfigured"/>): for a component that finds the
    /// profile already on a handler, which cannot be put on again once the handler has sent a request.
    /// </summary>
    /// <returns>Whether the callback is one of ours.</returns>
    public static bool TryObserve(Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>>? callback, Action<Socket, KeepAliveSettings> observer)
    {
        if (callback is not { Target: KeepAliveConnectCallback ours })
        {
            return false;
        }

        Action<Socket, KeepAliveSettings>? observers, combined;
        do
        {
            observers = Volatile.Read(ref ours._observers);
            combined = observers + observer;
        }
        while (Interlocked.CompareExchange(ref ours._observers, combined, observers) != observers);

        return true;
    }

    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        if (inner is not null)
        {
            var stream = await inner(context, cancellationToken).ConfigureAwait(false);
            if (stream is not NetworkStream { Socket: var userSocket })
            {
                await stream.DisposeAsync().ConfigureAwait(false);
                throw new InvalidOperationException(
                    $"The handler's own ConnectCallback returned a {stream.GetType().FullName}, not a NetworkStream, so there is no socket to apply KeepAlive profile '{profileName}' to. "
                    + "Fix: return a NetworkStream from the callback, or apply keep-alive inside it (IKeepAliveProfiles.Configure(socket, profile)) and remove UseTcpKeepAlive from this client.");
            }

            if (!TcpSockets.IsTcp(userSocket))
            {
                // HTTP over a Unix domain socket (a local daemon's API): no TCP layer, nothing to apply; the request goes on.
                var connection = $"{context.DnsEndPoint.Host}:{context.DnsEndPoint.Port}";
                Log.ClientConnectionWithoutTcp(logger, "HttpClient", connection, profileName);
                return stream;
            }

            try
            {
                Configured(context, userSocket, profiles.Configure(userSocket, profileName));
            }
            catch
            {
                await stream.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            return stream;
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            // Configured once connected: an option .NET does not track (TCP_USER_TIMEOUT) set before ConnectAsync(DnsEndPoint)
            // stops it from trying a name's next address when the first refuses (localhost's ::1 with a server on 127.0.0.1).
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
            Configured(context, socket, profiles.Configure(socket, profileName));
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private void Configured(SocketsHttpConnectionContext context, Socket socket, KeepAliveSettings settings)
    {
        Log.HttpConnectionConfigured(logger, context.DnsEndPoint.Host, context.DnsEndPoint.Port, profileName, settings);
        options.ConnectionConfigured?.Invoke(socket, settings);
        Volatile.Read(ref _observers)?.Invoke(socket, settings);
    }
}
