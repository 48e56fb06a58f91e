namespace KeepAlive.Net.Examples.DataStores;

/// <summary>How long the example runs and how often it touches the stores (section "DataStores").</summary>
public sealed class DataStoresOptions
{
    /// <summary>Gets or sets how long to run; zero runs until Ctrl+C.</summary>
    public TimeSpan RunFor { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how often to touch Redis, PostgreSQL, RabbitMQ and NATS (the connections stay idle in between).</summary>
    public TimeSpan Every { get; set; } = TimeSpan.FromSeconds(5);
}
