namespace KeepAlive.Net;

/// <summary>One rejected keep-alive setting, found before any system call was made.</summary>
/// <param name="OptionName">The property of <see cref="TcpKeepAliveOptions"/> at fault, for example "IdleTime".</param>
/// <param name="Message">What is wrong: the value, the platform's limit and the fix.</param>
public sealed record KeepAliveValidationError(string OptionName, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"{OptionName}: {Message}";
}
