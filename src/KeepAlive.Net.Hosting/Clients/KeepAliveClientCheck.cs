namespace KeepAlive.Net.Hosting.Clients;

/// <summary>
/// A client checked against a profile at start-up (<c>AddKeepAliveClient</c>, an HttpClient's <c>UseKeepAlive</c>): the same
/// client and profile again adds nothing. The name is kept in upper case, so that one profile in any case (names are
/// case-insensitive) is one check.
/// </summary>
/// <param name="Client">The client, as an equatable key: a <see cref="KeepAliveClientDescription"/>, or a name.</param>
/// <param name="ProfileName">The profile it uses.</param>
internal sealed record KeepAliveClientCheck(object Client, string ProfileName)
{
    public string ProfileName { get; } = ProfileName.ToUpperInvariant();

    /// <summary>Gets the client library described, which keeps a heartbeat of its own; <see langword="null"/> for another client (an HttpClient).</summary>
    public KeepAliveClientDescription? Description => Client as KeepAliveClientDescription;

    /// <summary>Whether the client uses the profile named <paramref name="profileName"/> (any case).</summary>
    public bool Uses(string profileName) => string.Equals(ProfileName, profileName, StringComparison.OrdinalIgnoreCase);
}
