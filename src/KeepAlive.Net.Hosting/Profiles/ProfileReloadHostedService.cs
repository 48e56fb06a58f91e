using Microsoft.Extensions.Hosting;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>
/// Creates <see cref="KeepAliveProfiles"/> when the host starts, so it holds every profile's validated values and watches
/// for reloads from the first moment, even before a connection asks for a profile.
/// </summary>
internal sealed class ProfileReloadHostedService(KeepAliveProfiles profiles) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        profiles.CaptureAll();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
