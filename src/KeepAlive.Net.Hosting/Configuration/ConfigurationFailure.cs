namespace KeepAlive.Net.Hosting.Configuration;

/// <summary>One value configuration could not give: its full path and what is wrong, with the fix.</summary>
/// <param name="Path">The configuration path, for example <c>KeepAlive:Profiles:payments:Tcp:IdleTime</c>.</param>
/// <param name="Message">The value written, what is wrong and the fix.</param>
internal sealed record ConfigurationFailure(string Path, string Message)
{
    /// <summary>
    /// Gets a value indicating whether the value was read and set, but is outside its range: the message (which quotes
    /// the value as written) is reported only if the options' validator refuses the value as well; it may not apply
    /// (for example a <c>Tcp</c> value while <c>Tcp:Enabled</c> is false).
    /// </summary>
    public bool OnlyIfRefused { get; init; }

    public override string ToString() => ProfileSource.Refusal(Path, Message);
}
