namespace KeepAlive.Net.Tests.Wire;

/// <summary>Wire tests run one at a time: they time the kernel and should not compete with each other.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WireCollection
{
    public const string Name = "Network namespaces";
}
