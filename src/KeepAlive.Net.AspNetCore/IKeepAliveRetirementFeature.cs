namespace KeepAlive.Net.AspNetCore;

/// <summary>
/// Added to a Kestrel connection's features by <c>listenOptions.UseKeepAlive(...)</c> when the profile retires connections
/// (<c>Http:MaxConnectionAge</c>, or <c>Http:MaxRequestsPerConnection</c> with the requests counted by
/// <c>services.AddKeepAliveRequestLimits()</c>); also visible from <c>HttpContext.Features</c>.
/// </summary>
public interface IKeepAliveRetirementFeature
{
    /// <summary>Gets the age at which this connection is retired, after jitter, or <see langword="null"/> when it has no age limit.</summary>
    TimeSpan? MaxAge { get; }

    /// <summary>Gets how many requests this connection serves, or <see langword="null"/> when there is no limit.</summary>
    int? MaxRequests { get; }

    /// <summary>
    /// Gets how many requests the connection has started, as counted by <c>services.AddKeepAliveRequestLimits()</c>; without
    /// that call requests are not counted and this stays 0.
    /// </summary>
    int RequestCount { get; }

    /// <summary>Gets whether the connection is being retired: no new request is accepted, requests in flight complete.</summary>
    bool IsRetiring { get; }
}
