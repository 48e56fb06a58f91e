namespace KeepAlive.Net.Tool;

/// <summary>Input the tool cannot work with (exit code 2); the message says what is wrong and how to fix it.</summary>
internal sealed class ToolInputException : Exception
{
    private readonly IReadOnlyList<string>? _refusals;

    public ToolInputException(string message)
        : base(message)
    {
    }

    public ToolInputException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ToolInputException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ToolInputException"/> class with several mistakes, each its own refusal.</summary>
    /// <param name="refusals">One per mistake, each written by <see cref="Cli.Refusals.Text"/>.</param>
    /// <param name="innerException">What found them.</param>
    public ToolInputException(IReadOnlyList<string> refusals, Exception innerException)
        : base(string.Join(Environment.NewLine, refusals), innerException) => _refusals = refusals;

    /// <summary>Gets the refusals, one per mistake: the message alone unless several were given.</summary>
    public IReadOnlyList<string> Refusals => _refusals ?? [Message];
}
