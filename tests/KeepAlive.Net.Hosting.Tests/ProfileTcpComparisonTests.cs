using System.Reflection;
using KeepAlive.Net.Hosting.Profiles;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary>
/// A reload that leaves the Tcp section as it was keeps the socket warnings already given (events 1001-1004); one that
/// changes any Tcp value gives them again. Every settable Tcp option counts, a new one included, without a list to extend.
/// </summary>
public sealed class ProfileTcpComparisonTests
{
    public static TheoryData<string> TcpProperties() =>
        [.. SettableProperties().Select(static p => p.Name)];

    [Theory]
    [MemberData(nameof(TcpProperties))]
    public void SameTcp_OnePropertyChangedAlone_IsDifferent(string property)
    {
        var previous = new TcpKeepAliveOptions { IdleTime = TimeSpan.FromSeconds(45), Interval = TimeSpan.FromSeconds(5), ProbeCount = 4, UserTimeout = TimeSpan.FromSeconds(60) };
        var reloaded = ProfileCopy.Of(new KeepAliveProfileOptions { Tcp = previous }).Tcp;
        KeepAliveProfiles.SameTcp(previous, reloaded).Should().BeTrue("a copy holds the same values");

        var changed = SettableProperties().Single(p => p.Name == property);
        changed.SetValue(reloaded, Other(changed.PropertyType, changed.GetValue(previous)));

        KeepAliveProfiles.SameTcp(previous, reloaded).Should().BeFalse($"Tcp:{property} changed from {changed.GetValue(previous)} to {changed.GetValue(reloaded)}");
    }

    private static IEnumerable<PropertyInfo> SettableProperties() =>
        typeof(TcpKeepAliveOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(static p => p.GetSetMethod() is not null);

    // Another value of the property's type than the one it has.
    private static object? Other(Type type, object? value) => value switch
    {
        null => TimeSpan.FromSeconds(30),
        bool b => !b,
        int i => i + 1,
        TimeSpan t when Nullable.GetUnderlyingType(type) is not null => t == TimeSpan.FromSeconds(30) ? null : TimeSpan.FromSeconds(30),
        TimeSpan t => t + TimeSpan.FromSeconds(1),
        Enum e => Enum.GetValues(type).Cast<object>().First(v => !v.Equals(e)),
        _ => throw new InvalidOperationException($"TcpKeepAliveOptions.{type.Name}: add a way to change a {type} here."),
    };
}
