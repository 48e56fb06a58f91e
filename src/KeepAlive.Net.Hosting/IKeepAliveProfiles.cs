using System.Net.Sockets;

namespace KeepAlive.Net.Hosting;

/// <summary>
/// The keep-alive profiles registered with <c>services.AddKeepAlive(...)</c>: reads their current,
/// validated values and applies them to sockets. Profile names are case-insensitive, like configuration keys.
/// </summary>
public interface IKeepAliveProfiles
{
    /// <summary>Gets the names of every registered profile, as registered.</summary>
    IReadOnlyCollection<string> Names { get; }

    /// <summary>Gets the current values of a profile (after any configuration reload).</summary>
    /// <param name="profileName">The profile's name.</param>
    /// <returns>
    /// The validated options, as a copy of the caller's own: changing it changes neither the profile nor what later callers
    /// and new connections get.
    /// </returns>
    /// <exception cref="KeepAliveProfileNotFoundException">No profile of that name is registered.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The profile's values are invalid.</exception>
    KeepAliveProfileOptions GetProfile(string profileName);

    /// <summary>
    /// Applies a profile's <see cref="KeepAliveProfileOptions.Tcp"/> settings to a socket and returns what the kernel
    /// reports afterwards; rounded or unsupported values are logged as warnings.
    /// </summary>
    /// <param name="socket">A TCP socket, connected or not.</param>
    /// <param name="profileName">The profile's name.</param>
    /// <returns>The effective settings, read back from the kernel.</returns>
    /// <exception cref="KeepAliveProfileNotFoundException">No profile of that name is registered.</exception>
    /// <exception cref="SocketException">The kernel rejected an option.</exception>
    KeepAliveSettings Configure(Socket socket, string profileName);
}
