namespace KeepAlive.Net.Examples.Worker;

/// <summary>How long the example runs and how often it sends a message.</summary>
public sealed class WorkerOptions
{
    /// <summary>Gets or sets how long to run before stopping; zero runs until Ctrl+C.</summary>
    public TimeSpan RunFor { get; set; } = TimeSpan.FromSeconds(8);

    /// <summary>Gets or sets the time between application messages.</summary>
    public TimeSpan MessageInterval { get; set; } = TimeSpan.FromSeconds(2);
}
