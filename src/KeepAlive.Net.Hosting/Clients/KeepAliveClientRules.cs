using System.Globalization;
using KeepAlive.Net.Hosting.Profiles;

namespace KeepAlive.Net.Hosting.Clients;

/// <summary>
/// The rules a profile must follow to be applied to a client library (most count their heartbeat in whole seconds). The
/// profile's own rules (every duration, the heartbeat and <c>Tcp</c> against <c>Heartbeat:PeerIdleTimeout</c>) are checked
/// by <see cref="KeepAliveProfileOptionsValidator"/> first; option names are relative to the profile, as in <see cref="HttpProfileRules"/>.
/// </summary>
internal static class KeepAliveClientRules
{
    public static readonly TimeSpan OneSecond = TimeSpan.FromSeconds(1);

    public static List<KeepAliveValidationError> Validate(KeepAliveProfileOptions profile, KeepAliveClientDescription client)
    {
        var errors = new List<KeepAliveValidationError>();
        var heartbeat = profile.Heartbeat;
        if (heartbeat is { IsIntervalSet: true } && client.HeartbeatInWholeSeconds && heartbeat.Interval < OneSecond)
        {
            errors.Add(new("Heartbeat:Interval", Text($"Heartbeat:Interval is {Show(heartbeat.Interval)}, but {client.ClientName} counts {client.HeartbeatSetting} in whole seconds: below 1s it would round to 0, which turns the client's heartbeat off (RabbitMQ reads 0 as \"the server decides\"). Fix: set Heartbeat:Interval to at least \"1s\", or remove it to keep {client.ClientName}'s own default.")));
        }
        else if (heartbeat is { IsIntervalSet: true } && heartbeat.Interval > client.MaxHeartbeatInterval)
        {
            errors.Add(new("Heartbeat:Interval", Text($"Heartbeat:Interval is {Show(heartbeat.Interval)}, above the {Show(client.MaxHeartbeatInterval)} that {client.ClientName} can carry in {client.HeartbeatSetting}. Fix: set Heartbeat:Interval to at most {Show(client.MaxHeartbeatInterval)}.")));
        }

        var timeoutUsable = heartbeat?.Timeout is not null && client.HeartbeatTimeoutSetting is not null;
        if (profile.Tcp is not { Enabled: true } && heartbeat is not { IsIntervalSet: true } && !timeoutUsable)
        {
            errors.Add(new("Tcp:Enabled", Text($"the profile sets nothing {client.ClientName} can use: Tcp:Enabled is false and Heartbeat:Interval is not set{(heartbeat?.Timeout is null ? string.Empty : $" (Heartbeat:Timeout is, but {client.WithoutHeartbeatTimeout})")}, so UseKeepAlive would change nothing. Fix: enable the Tcp section (remove \"Enabled\": false), or set Heartbeat:Interval for {client.HeartbeatSetting}, for example \"30s\".")));
        }

        return errors;
    }

    public static string Show(TimeSpan value) => KeepAliveDuration.Format(value);

    public static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
