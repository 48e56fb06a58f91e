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
        var readme = RepositoryFiles.ReadAllText("README.md");
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

    [Fact]
    public void PlatformMatrix_ListenerInheritance_AgreesWithEachPlatformsCapabilities()
    {
        // XNU's tcp_input.c copies t_keepcnt and t_keepintvl to an accepted socket, not t_keepidle; FreeBSD's
        // syncache_socket copies all four keep-alive timers; Linux clones the listener's socket.
        var row = RepositoryFiles.ReadAllLines("README.md").Single(l => l.StartsWith("| listener inheritance |", StringComparison.Ordinal));
        var cells = row.Split('|', StringSplitOptions.TrimEntries)[2..^1];
        var bsd = cells[1].Split(';', StringSplitOptions.TrimEntries);
        var shown = new Dictionary<KeepAlivePlatform, string>
        {
            [KeepAlivePlatform.Linux] = cells[0],
            [KeepAlivePlatform.MacOS] = bsd.Single(c => c.StartsWith("macOS:", StringComparison.Ordinal))["macOS:".Length..].Trim(),
            [KeepAlivePlatform.FreeBsd] = bsd.Single(c => c.StartsWith("FreeBSD:", StringComparison.Ordinal))["FreeBSD:".Length..].Trim(),
            [KeepAlivePlatform.Windows] = cells[2],
            [KeepAlivePlatform.WindowsLegacy] = cells[3],
        };

        foreach (var (platform, text) in shown)
        {
            text.StartsWith("yes", StringComparison.Ordinal).Should().Be(KeepAliveCapabilities.For(platform).AcceptedSocketsInheritListenerSettings, $"the README says \"{text}\" for {platform}");
        }

        KeepAliveCapabilities.For(KeepAlivePlatform.MacOS).Limitations.Should().Contain("not the idle time");
    }

    [GeneratedRegex(@"^// (Linux: keep-alive .*)$", RegexOptions.Multiline)]
    private static partial Regex QuickStartOutput();
}
