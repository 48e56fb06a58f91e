using System.Text.RegularExpressions;
using KeepAlive.Net.Tests.TestSupport;

namespace KeepAlive.Net.Tests.Tcp;

/// <summary>What the README's keep-alive part shows is what the library does on a real socket.</summary>
public sealed partial class ReadmeKeepAliveTests
{
    public ReadmeKeepAliveTests() => TestEnvironment.RequireLinux();

    [Fact]
    public void QuickStart_PrintedSettings_AreWhatConfigureKeepAliveReturns()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        var shown = QuickStartOutput().Match(readme);
        shown.Success.Should().BeTrue("the quick start prints the settings in a comment that starts with \"// Linux:\"");
        using var pair = LoopbackConnection.Open();

        var applied = pair.Client.ConfigureKeepAlive(new TcpKeepAliveOptions
        {
            IdleTime = TimeSpan.FromSeconds(30),
            Interval = TimeSpan.FromSeconds(5),
            ProbeCount = 4,
        });

        applied.ToString().Should().Be(shown.Groups[1].Value.TrimEnd());
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "KeepAlive.Net.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("KeepAlive.Net.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^// (Linux: keep-alive .*)$", RegexOptions.Multiline)]
    private static partial Regex QuickStartOutput();
}
