using KeepAlive.Net.Tool.Cli;

namespace KeepAlive.Net.Tool.Tests.Cli;

/// <summary>
/// A refusal of the flags' profile is named by the flags, not by the library's "(configured in code)": the tool replaces
/// the library's own name of the profile (the source its validation names), whatever its words, and nothing else.
/// </summary>
public sealed class FlagsProfileNamingTests
{
    private const string Flags = "KeepAlive profile 'command-line' (from the command-line flags)";

    [Theory]
    [InlineData("KeepAlive profile 'command-line' (configured in code)", " Tcp:IdleTime: Tcp:IdleTime is 3h, above 2h. Fix: set it to at most 2h.")]
    [InlineData("KeepAlive profile 'command-line' (configured in code)", ": The Tcp field is required. Fix: give it.")]
    // Worded otherwise by the library, the source was cut at its last space: "... configured in (from the command-line flags) code: ...".
    [InlineData("KeepAlive profile 'command-line' configured in code", ": The Tcp field is required. Fix: give it.")]
    // Or a setting joined to it by a colon: "KeepAlive profile 'command-line' (configured in (from the command-line flags) code):Heartbeat:Interval".
    [InlineData("KeepAlive profile 'command-line' (configured in code)", ":Heartbeat:Interval: Interval is 10s. Fix: set it lower.")]
    public void FromFlags_AFailureNamedByTheLibrarysSource_IsNamedByTheFlagsInstead(string librarySource, string rest)
    {
        ProfileArguments.FromFlags(librarySource + rest, librarySource).Should().Be(Flags + rest);
    }

    [Fact]
    public void FromFlags_AFailureThatDoesNotNameTheProfile_IsLeftAsTheLibraryWroteIt()
    {
        const string failure = "KeepAlive:Profiles:other:Tcp:IdleTime: Tcp:IdleTime is 3h. Fix: set it to at most 2h.";

        ProfileArguments.FromFlags(failure, "KeepAlive profile 'command-line' (configured in code)").Should().Be(failure);
    }
}
