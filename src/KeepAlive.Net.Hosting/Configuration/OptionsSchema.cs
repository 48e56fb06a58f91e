using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace KeepAlive.Net.Hosting.Configuration;

/// <summary>
/// The configuration keys of an options type: one <see cref="OptionKey"/> per public settable property, found once.
/// Adding a property (with its <see cref="KeepAliveRangeAttribute"/> when it is a duration or a number) adds the key:
/// there is no key list to keep in step.
/// </summary>
internal sealed class OptionsSchema
{
    private OptionsSchema(OptionKey[] keys)
    {
        Keys = keys;
        Names = [.. keys.Select(static k => k.Name)];
    }

    /// <summary>Gets the keys, in the order the type declares its properties.</summary>
    public IReadOnlyList<OptionKey> Keys { get; }

    /// <summary>Gets the keys' names, for "known keys" in messages.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Gets the schema of an options type.</summary>
    /// <typeparam name="T">The options type.</typeparam>
    /// <returns>Its schema.</returns>
    public static OptionsSchema For<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] T>() => Cache<T>.Schema;

    /// <summary>Gets the range a key declares (the <see cref="KeepAliveRangeAttribute"/> on its property).</summary>
    /// <param name="name">The key, e.g. <c>nameof(HeartbeatOptions.Timeout)</c>; it must declare a range.</param>
    /// <returns>The range.</returns>
    public KeepAliveRangeAttribute Range(string name) => Keys.Single(k => k.Name == name).Range!;

    /// <summary>Checks the values of an options object set in code against their ranges.</summary>
    /// <param name="target">The options object.</param>
    /// <returns>One error per value outside its range, named by the key.</returns>
    public IEnumerable<KeepAliveValidationError> CheckRanges(object target) =>
        Keys.Select(k => k.CheckRange(target) is { } message ? new KeepAliveValidationError(k.Name, message) : null).OfType<KeepAliveValidationError>();

    /// <summary>Tells whether two options objects hold the same value for every key (a property added is compared too).</summary>
    /// <param name="first">One options object of the type.</param>
    /// <param name="second">The other.</param>
    /// <returns><see langword="true"/> when each key's value is equal in both.</returns>
    public bool SameValues(object first, object second) => Keys.All(k => Equals(k.GetValue(first), k.GetValue(second)));

    private static class Cache<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] T>
    {
        public static readonly OptionsSchema Schema = new(
            [.. typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(static p => p.GetSetMethod() is not null && p.GetIndexParameters().Length == 0)
                .Select(static p => new OptionKey(p))]);
    }
}
