using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace KeepAlive.Net.AspNetCore.Http2;

/// <summary>
/// The connection as the rest of the pipeline sees it: everything is the accepted connection's own, except the
/// transport, which is seen through a <see cref="RetirementTransport"/>. A transport set further in (TLS replaces it with
/// the decrypted one) is wrapped too when it is read, so the HTTP/2 frames are followed in the clear even when the
/// endpoint's TLS is configured after <c>UseKeepAlive</c> (as Kestrel does for endpoints from configuration).
/// </summary>
internal sealed class RetirementConnectionContext : ConnectionContext
{
    private readonly ConnectionContext _inner;
    private readonly Http2GracefulShutdown _shutdown;
    private IDuplexPipe _transport;
    private RetirementTransport? _wrapped;

    public RetirementConnectionContext(ConnectionContext inner, Http2GracefulShutdown shutdown)
    {
        _inner = inner;
        _shutdown = shutdown;
        _transport = Raw = new RetirementTransport(inner.Transport, shutdown, raw: true);
    }

    /// <summary>Gets the view of the transport Kestrel accepted.</summary>
    public RetirementTransport Raw { get; }

    public override IDuplexPipe Transport
    {
        get
        {
            if (_transport is RetirementTransport ours)
            {
                return ours;
            }

            if (_wrapped is null || !ReferenceEquals(_wrapped.Inner, _transport))
            {
                _wrapped = new RetirementTransport(_transport, _shutdown, raw: false);
            }

            return _wrapped;
        }
        set => _transport = value;
    }

    public override string ConnectionId
    {
        get => _inner.ConnectionId;
        set => _inner.ConnectionId = value;
    }

    public override IFeatureCollection Features => _inner.Features;

    public override IDictionary<object, object?> Items
    {
        get => _inner.Items;
        set => _inner.Items = value;
    }

    public override CancellationToken ConnectionClosed
    {
        get => _inner.ConnectionClosed;
        set => _inner.ConnectionClosed = value;
    }

    public override EndPoint? LocalEndPoint
    {
        get => _inner.LocalEndPoint;
        set => _inner.LocalEndPoint = value;
    }

    public override EndPoint? RemoteEndPoint
    {
        get => _inner.RemoteEndPoint;
        set => _inner.RemoteEndPoint = value;
    }

    public override void Abort(ConnectionAbortedException abortReason) => _inner.Abort(abortReason);

    public override void Abort() => _inner.Abort();
}
