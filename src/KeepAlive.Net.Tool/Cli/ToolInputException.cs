namespace KeepAlive.Net.Tool;

/// <summary>Input the tool cannot work with (exit code 2); the message says what is wrong and how to fix it.</summary>
internal sealed class ToolInputException : Exception
{
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
}
