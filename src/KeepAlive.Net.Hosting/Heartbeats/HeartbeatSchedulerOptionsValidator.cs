using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Heartbeats;

/// <summary>
/// Validates the host's scheduler thread settings (<c>services.Configure&lt;HeartbeatSchedulerOptions&gt;(...)</c>) when the
/// host starts, with the scheduler's own rules; the scheduler is built on first use, so a bad value would otherwise surface
/// only at the first registration.
/// </summary>
internal sealed class HeartbeatSchedulerOptionsValidator : IValidateOptions<HeartbeatSchedulerOptions>
{
    public ValidateOptionsResult Validate(string? name, HeartbeatSchedulerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!string.Equals(name ?? Options.DefaultName, Options.DefaultName, StringComparison.Ordinal))
        {
            return ValidateOptionsResult.Skip; // the scheduler reads the unnamed options only
        }

        var errors = HeartbeatOptionsValidator.Validate(options);
        return errors.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(errors.Select(static e => $"{nameof(HeartbeatSchedulerOptions)}.{e.OptionName}: {e.Message}"));
    }
}
