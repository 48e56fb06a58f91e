using Microsoft.Extensions.Configuration;

namespace KeepAlive.Net.Tests.TestSupport;

/// <summary>The proof that warning 3204 (a client keeps the values it took once) lasts as long as the client, and no longer.</summary>
internal static class ReloadWarnings
{
    /// <summary>
    /// Runs <paramref name="reloadWhileALiveClientThenDispose"/> (a client made from the profile, a reload accepted while it
    /// lives, the client disposed), checks the control (one warning, saying <paramref name="stays"/>), waits for the garbage
    /// collector to take what it returned, then sets <paramref name="key"/> to <paramref name="value"/>: that reload, accepted,
    /// must say nothing.
    /// </summary>
    public static async Task StopOnceTheClientIsCollectedAsync(ClientProfiles profiles, IConfigurationRoot configuration, string key, string value, string stays, Func<Task<WeakReference>> reloadWhileALiveClientThenDispose)
    {
        var client = await reloadWhileALiveClientThenDispose();
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle("the control: a live client keeps the values it took").Which.Should().Contain(stays);
        for (var i = 0; i < 50 && client.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.Delay(100, TestContext.Current.CancellationToken); // a client's own loops may end after its dispose returns
        }

        client.IsAlive.Should().BeFalse("the disposed client, and what it was made from, are referenced by nothing of the test's");

        configuration[key] = value;
        configuration.Reload();

        profiles.Messages(KeepAliveEventIds.ProfileReloaded).Should().HaveCount(2);
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle("no client keeps the values any more");
    }
}
