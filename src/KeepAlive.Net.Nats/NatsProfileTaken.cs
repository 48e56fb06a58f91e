using System.Runtime.CompilerServices;
using NATS.Client.Core;

namespace KeepAlive.Net.Nats;

/// <summary>
/// What a <c>UseKeepAlive</c> applied to <see cref="NatsOpts"/>: its profile (another one on the same options is refused), and
/// the <see cref="NatsOpts.PingInterval"/> and <see cref="NatsOpts.MaxPingOut"/> it set, which are not yours when
/// <c>UseKeepAlive</c> runs again on those options. Carried by the package's socket factory, which every copy of the options
/// (<c>with { ... }</c>) carries; for options without one (only WebSocket servers, or your own factory while <c>Tcp</c> is off)
/// kept for the options object <c>UseKeepAlive</c> returned.
/// </summary>
internal sealed class NatsProfileTaken(string profileName)
{
    private static readonly ConditionalWeakTable<NatsOpts, NatsProfileTaken> WithoutOurFactory = [];

    /// <summary>Gets the profile applied.</summary>
    public string ProfileName => profileName;

    /// <summary>Gets or sets the <see cref="NatsOpts.PingInterval"/> set for the profile, or <see langword="null"/>.</summary>
    public TimeSpan? PingIntervalSet { get; set; }

    /// <summary>Gets or sets the <see cref="NatsOpts.MaxPingOut"/> set for the profile, or <see langword="null"/>.</summary>
    public int? MaxPingOutSet { get; set; }

    /// <summary>What an earlier <c>UseKeepAlive</c> applied to these options (or the options they were copied from), or <see langword="null"/>.</summary>
    public static NatsProfileTaken? Of(NatsOpts options) =>
        options.SocketConnectionFactory is KeepAliveNatsSocketConnectionFactory ours ? ours.Taken ?? new(ours.ProfileName)
        : WithoutOurFactory.TryGetValue(options, out var taken) ? taken : null;

    /// <summary>Records what <c>UseKeepAlive</c> applied to the options it returns.</summary>
    public static void Record(NatsOpts options, NatsProfileTaken taken)
    {
        if (options.SocketConnectionFactory is KeepAliveNatsSocketConnectionFactory ours)
        {
            ours.Taken = taken;
        }
        else
        {
            WithoutOurFactory.AddOrUpdate(options, taken);
        }
    }
}
