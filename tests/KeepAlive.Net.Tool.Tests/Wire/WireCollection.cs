namespace KeepAlive.Net.Tool.Tests.Wire;

/// <summary>The wire tests time kernel behaviour: they run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WireCollection
{
    public const string Name = "keepalive tool on the wire";
}
