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
    /// there instead of mixing two profiles' sections in one handler; a client name of <see langword="null"/> is
    /// <c>ConfigureHttpClientDefaults</c>'s builder, whose profile every client takes.
    /// </summary>
    /// <param name="ClientName">The client's name, or <see langword="null"/> for every client.</param>
    /// <param name="ProfileName">Its profile.</param>
    public sealed record Registration(string? ClientName, string ProfileName)
    {
        /// <summary>Gets how messages name the client, e.g. <c>HttpClient 'payments'</c>.</summary>
        public string Who => ClientName is null ? "every HttpClient (ConfigureHttpClientDefaults)" : $"HttpClient '{ClientName}'";

        /// <summary>Whether the client takes the profile named <paramref name="profileName"/> (any case), as <see cref="Clients.KeepAliveClientCheck.Uses"/> says it of a client library.</summary>
        /// <param name="profileName">The profile.</param>
        public bool Uses(string profileName) => string.Equals(ProfileName, profileName, StringComparison.OrdinalIgnoreCase);

        /// <summary>
        /// How messages name the clients that take <paramref name="profileName"/> (any case) with <c>UseTcpKeepAlive</c> only:
        /// no <c>UseKeepAlive</c> puts its <c>Http</c> section on their handler (their own, or <c>ConfigureHttpClientDefaults</c>'s).
        /// </summary>
        /// <param name="services">The built services.</param>
        /// <param name="profileName">The profile.</param>
        public static string[] TcpSectionOnly(IServiceProvider services, string profileName)
        {
            var bindings = services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<HttpClientKeepAliveBinding>>();
            return [.. services.GetServices<Registration>()
                .Where(r => r.Uses(profileName) && bindings.Get(r.ClientName ?? Microsoft.Extensions.Options.Options.DefaultName).HandlerSettings.Count == 0)
                .Select(static r => r.Who)];
        }

        public static void Add(IServiceCollection services, string? clientName, string profileName)
        {
            var taken = services.Where(static d => !d.IsKeyedService).Select(static d => d.ImplementationInstance).OfType<Registration>().ToList();
            if (taken.FirstOrDefault(r => (r.ClientName is null || clientName is null || string.Equals(r.ClientName, clientName, StringComparison.Ordinal))
                && !r.Uses(profileName)) is { } other)
            {
                throw new InvalidOperationException(Refusal(other, new Registration(clientName, profileName)));
            }

            if (!taken.Any(r => string.Equals(r.ClientName, clientName, StringComparison.Ordinal)))
            {
                services.AddSingleton(new Registration(clientName, profileName));
            }
        }

        private static string Refusal(Registration taken, Registration added)
        {
            const string Mix = "would mix the two profiles' sections in one handler. Fix: call UseKeepAlive (or UseTcpKeepAlive) once per client, with one profile";
            const string Defaults = "ConfigureHttpClientDefaults";
            var (client, defaults) = taken.ClientName is null ? (added, taken) : (taken, added);
            return (client.ClientName, defaults.ClientName) switch
            {
                (null, _) => $"{Defaults} already applies KeepAlive profile '{taken.ProfileName}' to every HttpClient; applying '{added.ProfileName}' too {Mix}.",
                (_, null) => $"HttpClient '{client.ClientName}' takes KeepAlive profile '{client.ProfileName}', and {Defaults} applies '{defaults.ProfileName}' to every HttpClient; applying both {Mix}, and {Defaults} only when every client takes its profile.",
                _ => $"HttpClient '{added.ClientName}' already takes KeepAlive profile '{taken.ProfileName}'; applying '{added.ProfileName}' too {Mix}.",
            };
        }
    }
}
