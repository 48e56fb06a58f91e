using System.Net.Http;
using Microsoft.Extensions.DependencyInjection;

namespace KeepAlive.Net.Hosting.Http;

/// <summary>What <c>UseTcpKeepAlive</c> / <c>UseKeepAlive</c> asked for one named HttpClient; named options keyed by the client's name.</summary>
internal sealed class HttpClientKeepAliveBinding
{
    /// <summary>Gets or sets the profile applied to the client's connections, or <see langword="null"/> when none is.</summary>
    public string? ProfileName { get; set; }

    /// <summary>Gets the options of <c>UseTcpKeepAlive</c>.</summary>
    public KeepAliveHttpClientOptions Options { get; } = new();

    /// <summary>
    /// Gets further handler settings (the profile's <c>Http</c> section), applied to the final handler with the client's
    /// name: a builder of <c>ConfigureHttpClientDefaults</c> has none, and its settings reach every client.
    /// </summary>
    public List<Action<SocketsHttpHandler, IServiceProvider, string>> HandlerSettings { get; } = [];

    /// <summary>Gets the hand-set handler values the profile replaced that were reported already: a handler built again every HandlerLifetime is not reported again.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, bool> ReportedOverrides { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Records at registration which profile a client takes, so that a second call naming another profile is refused
    /// there instead of mixing two profiles' sections in one handler.
    /// </summary>
    /// <param name="ClientName">The client's name.</param>
    /// <param name="ProfileName">Its profile.</param>
    public sealed record Registration(string ClientName, string ProfileName)
    {
        public static void Add(IServiceCollection services, string clientName, string profileName)
        {
            var taken = services.Where(static d => !d.IsKeyedService).Select(static d => d.ImplementationInstance).OfType<Registration>()
                .FirstOrDefault(r => string.Equals(r.ClientName, clientName, StringComparison.Ordinal));
            if (taken is null)
            {
                services.AddSingleton(new Registration(clientName, profileName));
            }
            else if (!string.Equals(taken.ProfileName, profileName, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException(
                    $"HttpClient '{clientName}' already takes KeepAlive profile '{taken.ProfileName}'; applying '{profileName}' too would mix the two profiles' sections in one handler. Fix: call UseKeepAlive (or UseTcpKeepAlive) once per client, with one profile.");
            }
        }
    }
}
