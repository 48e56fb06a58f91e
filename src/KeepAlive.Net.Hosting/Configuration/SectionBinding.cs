using System.Runtime.CompilerServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Configuration;

/// <summary>
/// Fills named options from a configuration section with a <see cref="ConfigurationReader"/>, and keeps what the
/// reader refused for each options object it filled, so the options' validator reports those failures together with
/// its own (every failure of a profile at once, whether the value could not be read or breaks a rule).
/// </summary>
/// <typeparam name="T">The options type.</typeparam>
/// <param name="name">The options' name.</param>
/// <param name="path">The section's configuration path, the start of its messages.</param>
/// <param name="read">Reads the section into an options object.</param>
internal sealed class SectionBinding<T>(string name, string path, Action<ConfigurationReader, T> read) : IConfigureNamedOptions<T>
    where T : class
{
    private readonly ConditionalWeakTable<T, IReadOnlyList<ConfigurationFailure>> _failures = [];

    /// <summary>Gets the name of the options this binding fills.</summary>
    public string Name { get; } = name;

    /// <summary>Gets the section's configuration path.</summary>
    public string Path { get; } = path;

    public void Configure(string? name, T options)
    {
        if (string.Equals(name ?? Options.DefaultName, Name, StringComparison.Ordinal))
        {
            var reader = new ConfigurationReader();
            read(reader, options);
            _failures.AddOrUpdate(options, reader.Failures);
        }
    }

    public void Configure(T options) => Configure(Options.DefaultName, options);

    /// <summary>Gets what the reader refused when it filled <paramref name="options"/>; empty for options it did not fill.</summary>
    public IReadOnlyList<ConfigurationFailure> FailuresOf(T options) =>
        _failures.TryGetValue(options, out var failures) ? failures : [];

    /// <summary>Describes the path of a configuration section for messages, or a fallback when it has none.</summary>
    public static string PathOf(IConfiguration section, string fallback) =>
        section is IConfigurationSection { Path.Length: > 0 } s ? s.Path : fallback;
}
