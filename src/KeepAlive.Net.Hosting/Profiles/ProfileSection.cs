using System.Diagnostics.CodeAnalysis;
using KeepAlive.Net.Hosting.Configuration;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>One section of a profile (<c>Tcp</c>, <c>Heartbeat</c>, ...): its key, its options' schema, and how its values are validated.</summary>
internal sealed class ProfileSection
{
    private readonly Func<KeepAliveProfileOptions, object?> _of;
    private readonly Func<object, KeepAliveCapabilities, IEnumerable<KeepAliveValidationError>> _validate;

    private ProfileSection(string name, OptionsSchema schema, Func<KeepAliveProfileOptions, object?> of, Func<object, KeepAliveCapabilities, IEnumerable<KeepAliveValidationError>> validate) =>
        (Name, Schema, _of, _validate) = (name, schema, of, validate);

    /// <summary>Gets the section's key in a profile, for example <c>Tcp</c>.</summary>
    public string Name { get; }

    /// <summary>Gets the section's keys.</summary>
    public OptionsSchema Schema { get; }

    /// <summary>Declares a section.</summary>
    /// <typeparam name="T">The section's options type.</typeparam>
    /// <param name="name">The section's key, the name of its <see cref="KeepAliveProfileOptions"/> property.</param>
    /// <param name="of">Gets the section's options from a profile.</param>
    /// <param name="validate">
    /// Validates the section's values, each error named relative to the section (for example <c>IdleTime</c>); by
    /// default each value against its <see cref="KeepAliveRangeAttribute"/>. A section whose core validator already
    /// checks the ranges (<see cref="TcpKeepAliveValidator"/>, <see cref="HeartbeatOptionsValidator"/>) passes that validator.
    /// </param>
    /// <returns>The section.</returns>
    public static ProfileSection Of<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] T>(
        string name, Func<KeepAliveProfileOptions, T?> of, Func<T, KeepAliveCapabilities, IEnumerable<KeepAliveValidationError>>? validate = null)
        where T : class
    {
        var schema = OptionsSchema.For<T>();
        return new(name, schema, of, validate is null ? (o, _) => schema.CheckRanges(o) : (o, platform) => validate((T)o, platform));
    }

    /// <summary>Gets the section's options from a profile; <see langword="null"/> only when code set it so.</summary>
    public object? Of(KeepAliveProfileOptions profile) => _of(profile);

    /// <summary>Validates the section's values.</summary>
    public IEnumerable<KeepAliveValidationError> Validate(object section, KeepAliveCapabilities platform) => _validate(section, platform);
}
