using KeepAlive.Net.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Tool.Cli;

/// <summary>
/// The library's validation of a profile as a command judges it: for a profile of command-line flags alone whose heartbeat
/// nothing sends (<c>check</c> without <c>--heartbeat</c> and without <c>--settings</c>), a <c>Heartbeat:Interval</c> no flag
/// set is the library's 10 s default, which nothing sends, so its refusals are not the profile's. An interval that was set
/// is still judged, and so is every <c>--settings</c> file's profile, as the application that reads it judges it
/// (<see cref="ResolvedProfile.Judges"/>).
/// </summary>
internal sealed class UnusedHeartbeatValidation(IValidateOptions<KeepAliveProfileOptions> library, bool sent, string? configurationPath) : IValidateOptions<KeepAliveProfileOptions>
{
    /// <summary>Wraps every profile validation <paramref name="services"/> holds.</summary>
    /// <param name="services">The services the profiles were registered in.</param>
    /// <param name="sent">Whether the profile's heartbeat is sent (<see cref="ResolvedProfile.HeartbeatSent"/>).</param>
    /// <param name="configurationPath">Where the profile binds from, or <see langword="null"/> for the flags' profile, configured in code (<see cref="ProfileSource.Of"/>).</param>
    public static void Wrap(IServiceCollection services, bool sent, string? configurationPath)
    {
        for (var i = 0; i < services.Count; i++)
        {
            if (services[i] is { ServiceType: var type, IsKeyedService: false } descriptor && type == typeof(IValidateOptions<KeepAliveProfileOptions>))
            {
                services[i] = ServiceDescriptor.Singleton<IValidateOptions<KeepAliveProfileOptions>>(provider => new UnusedHeartbeatValidation(
                    (IValidateOptions<KeepAliveProfileOptions>)(descriptor.ImplementationInstance
                        ?? descriptor.ImplementationFactory?.Invoke(provider)
                        ?? ActivatorUtilities.CreateInstance(provider, descriptor.ImplementationType!)),
                    sent,
                    configurationPath));
            }
        }
    }

    public ValidateOptionsResult Validate(string? name, KeepAliveProfileOptions options)
    {
        var result = library.Validate(name, options);
        if (!result.Failed || ResolvedProfile.Judges(sent, options.Heartbeat))
        {
            return result;
        }

        // The library's own refusals of the interval, each as the library writes it: its error, on the setting it names, by
        // the library's one rule for naming a profile's setting and starting a refusal of it.
        var setting = ProfileSource.Setting(configurationPath, name ?? Options.DefaultName, ProfileArguments.HeartbeatIntervalSetting);
        var interval = HeartbeatOptionsValidator.Validate(options.Heartbeat).Where(static e => e.OptionName == nameof(HeartbeatOptions.Interval))
            .Select(e => ProfileSource.Refusal(setting, e.Message)).ToHashSet(StringComparer.Ordinal);
        var left = result.Failures.Where(failure => !interval.Contains(failure)).ToList();
        return left.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(left);
    }
}
