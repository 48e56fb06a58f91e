using System.Net.Http;

namespace KeepAlive.Net.Hosting.Http;

/// <summary>What <c>UseTcpKeepAlive</c> / <c>UseKeepAlive</c> asked for one named HttpClient; named options keyed by the client's name.</summary>
internal sealed class HttpClientKeepAliveBinding
{
    /// <summary>Gets or sets the profile applied to the client's connections, or <see langword="null"/> when none is.</summary>
    public string? ProfileName { get; set; }

    /// <summary>Gets the options of <c>UseTcpKeepAlive</c>.</summary>
    public KeepAliveHttpClientOptions Options { get; } = new();

    /// <summary>Gets further handler settings (the profile's <c>Http</c> section), applied to the final handler.</summary>
    public List<Action<SocketsHttpHandler, IServiceProvider>> HandlerSettings { get; } = [];
}
