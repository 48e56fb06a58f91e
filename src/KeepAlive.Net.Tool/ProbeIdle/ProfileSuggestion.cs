using KeepAlive.Net.Hosting;
using KeepAlive.Net.Tool.Cli;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Tool.ProbeIdle;

/// <summary>
/// A profile for a measured idle timeout: the shortest silence the path forgot is the budget
/// (<c>Heartbeat:PeerIdleTimeout</c>, rounded down), OS keep-alive that beats it (<see cref="KeepAliveSuggestion"/>,
/// or off when none can), and a heartbeat every third of it. The library validates it as it would an appsettings file,
/// so the tool never suggests a profile an application would refuse.
/// </summary>
/// <param name="Name">The profile's name in the snippet.</param>
/// <param name="Tcp">The OS keep-alive, or <see langword="null"/> when whole-second keep-alive cannot beat the timeout.</param>
/// <param name="HeartbeatInterval">The heartbeat period.</param>
/// <param name="PeerIdleTimeout">The budget.</param>
/// <param name="Refused">The library's messages when it refused the profile, or <see langword="null"/>.</param>
internal sealed record ProfileSuggestion(string Name, TcpKeepAliveOptions? Tcp, TimeSpan HeartbeatInterval, TimeSpan PeerIdleTimeout, string? Refused)
{
    public const string ProfileName = "probed";

    public static ProfileSuggestion For(TimeSpan lowerBound)
    {
        var budget = RoundDown(lowerBound);
        var tcp = KeepAliveSuggestion.For(new PeerIdleTimeout(budget));
        var heartbeat = RoundDown(budget / 3);
        var services = new ServiceCollection();
        services.AddKeepAlive(ProfileName, options =>
        {
            options.Tcp = tcp ?? new TcpKeepAliveOptions { Enabled = false };
            options.Heartbeat.Interval = heartbeat;
            options.Heartbeat.PeerIdleTimeout = budget;
        });
        using var provider = services.BuildServiceProvider();
        string? refused = null;
        try
        {
            provider.GetRequiredService<IKeepAliveProfiles>().GetProfile(ProfileName);
        }
        catch (OptionsValidationException e)
        {
            refused = string.Join(" ", e.Failures);
        }

        return new ProfileSuggestion(ProfileName, tcp, heartbeat, budget, refused);
    }

    /// <summary>The profile as it goes under <c>KeepAlive:Profiles</c> in appsettings.json.</summary>
    public string Json() =>
        $$"""
        "{{Name}}": {
          "Tcp":       { {{(Tcp is { } t ? $"\"IdleTime\": \"{KeepAliveDuration.Format(t.IdleTime)}\", \"Interval\": \"{KeepAliveDuration.Format(t.Interval)}\", \"ProbeCount\": {Units.Number(t.ProbeCount)}" : "\"Enabled\": false")}} },
          "Heartbeat": { "Interval": "{{KeepAliveDuration.Format(HeartbeatInterval)}}", "PeerIdleTimeout": "{{KeepAliveDuration.Format(PeerIdleTimeout)}}" }
        }
        """;

    /// <summary>Down to whole seconds from 10 s, else to a tenth of a second: a budget must never be longer than measured.</summary>
    private static TimeSpan RoundDown(TimeSpan value) => value >= TimeSpan.FromSeconds(10)
        ? TimeSpan.FromSeconds(Math.Floor(value.TotalSeconds))
        : TimeSpan.FromMilliseconds(Math.Floor(value.TotalMilliseconds / 100) * 100);
}
