using System.Net.Sockets;
using KeepAlive.Net.Hosting.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>The registered profiles, read through <see cref="IOptionsMonitor{TOptions}"/> so reloads reach new connections.</summary>
internal sealed class KeepAliveProfiles : IKeepAliveProfiles, IDisposable
{
    private readonly Dictionary<string, KeepAliveProfileRegistration> _registrations;
    private readonly IOptionsMonitor<KeepAliveProfileOptions> _monitor;
    private readonly ILogger _logger;
    private readonly IDisposable? _changeSubscription;

    public KeepAliveProfiles(IEnumerable<KeepAliveProfileRegistration> registrations, IOptionsMonitor<KeepAliveProfileOptions> monitor, ILoggerFactory? loggerFactory = null)
    {
        _registrations = KeepAliveProfileRegistration.Index(registrations);
        _monitor = monitor;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("KeepAlive.Net.Hosting");
        Names = [.. _registrations.Values.Select(static r => r.Name)];
        _changeSubscription = _monitor.OnChange((_, name) =>
        {
            if (name is not null && _registrations.ContainsKey(name))
            {
                Log.ProfileReloaded(_logger, name);
            }
        });
    }

    public IReadOnlyCollection<string> Names { get; }

    public KeepAliveProfileOptions GetProfile(string profileName) => _monitor.Get(Resolve(profileName));

    public KeepAliveSettings Configure(Socket socket, string profileName)
    {
        var name = Resolve(profileName);
        return socket.ConfigureKeepAlive(_monitor.Get(name).Tcp, _logger);
    }

    public void Dispose() => _changeSubscription?.Dispose();

    private string Resolve(string profileName)
    {
        ArgumentNullException.ThrowIfNull(profileName);
        return _registrations.TryGetValue(profileName, out var registration)
            ? registration.Name
            : throw new InvalidOperationException(KeepAliveProfileRegistration.NotRegisteredMessage(profileName, Names));
    }
}
