using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>
/// Tells <see cref="IOptionsMonitor{TOptions}"/> that a profile changed, when <see cref="KeepAliveProfiles"/> (the one
/// watcher of the profile's configuration) accepted a reload; a refused reload does not reach the monitor, which keeps
/// the last valid values as <see cref="IKeepAliveProfiles"/> does.
/// </summary>
internal sealed class AcceptedProfileChanges(string name, KeepAliveProfiles profiles) : IOptionsChangeTokenSource<KeepAliveProfileOptions>
{
    public string Name { get; } = name;

    public IChangeToken GetChangeToken() => profiles.AcceptedChanges(Name);
}
