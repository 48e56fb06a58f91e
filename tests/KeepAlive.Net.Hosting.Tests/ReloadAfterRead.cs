using System.Net.Sockets;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary>The registered profiles, with a reload landing right after the next <see cref="GetProfile"/> once armed.</summary>
internal sealed class ReloadAfterRead(IKeepAliveProfiles inner, Action reload) : IKeepAliveProfiles
{
    public bool Armed { get; set; }

    public IReadOnlyCollection<string> Names => inner.Names;

    public KeepAliveProfileOptions GetProfile(string profileName)
    {
        var profile = inner.GetProfile(profileName);
        if (Armed)
        {
            Armed = false;
            reload();
        }

        return profile;
    }

    public KeepAliveSettings Configure(Socket socket, string profileName) => inner.Configure(socket, profileName);
}
