namespace KeepAlive.Net.Hosting.Http;

/// <summary>
/// What keeps an idle pooled connection against <c>Heartbeat:PeerIdleTimeout</c> without the <c>Tcp</c> section, as
/// <see cref="Profiles.HttpProfileRules.WhatKeepsAnIdlePooledConnection"/> judges a handler's values.
/// </summary>
internal enum IdlePooledConnectionKeeper
{
    /// <summary>Nothing: the middlebox forgets the idle connection and the next request goes into a dead flow.</summary>
    Nothing,

    /// <summary>HTTP/2 PINGs sent without calls, at a delay below the peer's idle timeout.</summary>
    PingsWithoutCalls,

    /// <summary>The pool, which drops the idle connection before the middlebox forgets it.</summary>
    PoolIdleTimeout,
}
