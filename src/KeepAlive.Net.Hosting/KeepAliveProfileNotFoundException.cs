using KeepAlive.Net.Hosting.Profiles;

namespace KeepAlive.Net.Hosting;

/// <summary>
/// Thrown when a keep-alive profile is asked for by a name that no <c>services.AddKeepAlive(...)</c> registered. It
/// carries the names that are registered and the one that was most likely meant, so a caller (a command line, a
/// configuration UI) can give its own advice.
/// </summary>
public sealed class KeepAliveProfileNotFoundException : InvalidOperationException
{
    /// <summary>Initializes a new instance of the <see cref="KeepAliveProfileNotFoundException"/> class.</summary>
    public KeepAliveProfileNotFoundException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="KeepAliveProfileNotFoundException"/> class with a message.</summary>
    /// <param name="message">The message.</param>
    public KeepAliveProfileNotFoundException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="KeepAliveProfileNotFoundException"/> class with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public KeepAliveProfileNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="KeepAliveProfileNotFoundException"/> class for a name that is not registered.</summary>
    /// <param name="profileName">The name asked for.</param>
    /// <param name="registeredNames">The names that are registered.</param>
    public KeepAliveProfileNotFoundException(string profileName, IReadOnlyCollection<string> registeredNames)
        : this(profileName, registeredNames, addedAfterStartUp: null, emptySections: null)
    {
    }

    /// <summary>
    /// For a name a reload added to the configuration after the profiles were registered (at <paramref name="addedAfterStartUp"/>),
    /// or not registered while a section given to <c>AddKeepAlive(section)</c> held no profile (<paramref name="emptySections"/>).
    /// </summary>
    internal KeepAliveProfileNotFoundException(string profileName, IReadOnlyCollection<string> registeredNames, string? addedAfterStartUp, string? emptySections, IReadOnlyCollection<string>? usedBy = null, string? profilesPath = null)
        : base(KeepAliveProfileRegistration.NotRegisteredMessage(profileName, registeredNames, addedAfterStartUp, emptySections, usedBy, profilesPath))
    {
        ProfileName = profileName;
        RegisteredNames = [.. registeredNames];
        ClosestName = KeepAlive.Net.ClosestName.To(profileName, registeredNames);
    }

    /// <summary>Gets the name that was asked for.</summary>
    public string? ProfileName { get; }

    /// <summary>Gets the names of the registered profiles.</summary>
    public IReadOnlyList<string> RegisteredNames { get; } = [];

    /// <summary>Gets the registered name closest to <see cref="ProfileName"/> when it looks like a typo of it, else <see langword="null"/>.</summary>
    public string? ClosestName { get; }
}
