using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace KeepAlive.Net;

/// <summary>The <see cref="KeepAliveRangeAttribute"/> of every property of an options type, read once.</summary>
/// <typeparam name="T">The options type.</typeparam>
internal static class OptionRanges<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] T>
    where T : class
{
    private static readonly (PropertyInfo Property, KeepAliveRangeAttribute Range)[] Ranged =
        [.. typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(static p => (Property: p, Range: p.GetCustomAttribute<KeepAliveRangeAttribute>()!))
            .Where(static p => p.Range is not null)];

    /// <summary>Gets the range declared on one property.</summary>
    /// <param name="propertyName">The property, for example <c>nameof(HeartbeatOptions.PeerIdleTimeout)</c>.</param>
    /// <returns>The range.</returns>
    public static KeepAliveRangeAttribute Of(string propertyName) =>
        Ranged.Single(p => p.Property.Name == propertyName).Range;

    /// <summary>Checks every ranged property and adds one error per value outside its range.</summary>
    /// <param name="options">The options.</param>
    /// <param name="applies">Whether a property's value is used at all (false: it is not checked).</param>
    /// <param name="errors">The list to add to, created on the first error.</param>
    /// <returns>The names of the properties that were refused.</returns>
    public static HashSet<string> Check(T options, Func<string, bool>? applies, ref List<KeepAliveValidationError>? errors)
    {
        var refused = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (property, range) in Ranged)
        {
            if ((applies is null || applies(property.Name)) && range.Check(property.Name, property.GetValue(options)) is { } message)
            {
                (errors ??= []).Add(new KeepAliveValidationError(property.Name, message));
                refused.Add(property.Name);
            }
        }

        return refused;
    }
}
