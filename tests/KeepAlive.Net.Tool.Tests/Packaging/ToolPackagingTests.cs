using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using KeepAlive.Net.Hosting.Tests;
using KeepAlive.Net.Hosting.Tests.Packaging;

namespace KeepAlive.Net.Tool.Tests.Packaging;

/// <summary>
/// <c>dotnet pack</c> makes the tool package; <c>dotnet tool install</c> installs it from a local folder and the
/// installed <c>keepalive</c> command runs. Slow (about a minute): filter with <c>--filter-not-trait "Category=Packaging"</c>.
/// </summary>
[Trait("Category", "Packaging")]
public sealed class ToolPackagingTests : IDisposable
{
    private static readonly TimeSpan CliTimeout = TimeSpan.FromMinutes(5);
    private readonly string _root = Directory.CreateTempSubdirectory("keepalive-tool-pack-").FullName;
    private readonly string _version = $"0.1.0-tooltest.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";

    [Fact]
    public async Task PackAndInstall_FromLocalFolder_KeepaliveShowRuns()
    {
        var feed = Path.Combine(_root, "feed");
        var tools = Path.Combine(_root, "tools");
        await DotnetCli.RunCheckedAsync(RepositoryFiles.Root, CliTimeout,
            "pack", Path.Combine("src", "KeepAlive.Net.Tool", "KeepAlive.Net.Tool.csproj"), "-c", "Release", "-o", feed,
            $"-p:Version={_version}", "-v:q", "-nologo",
            // Its own bin and obj folders: the library packaging tests may build the same projects in Release at the same time.
            "--artifacts-path", Path.Combine(_root, "artifacts"));
        var package = Path.Combine(feed, $"KeepAlive.Net.Tool.{_version}.nupkg");
        using (var zip = ZipFile.OpenRead(package))
        {
            var nuspec = XDocument.Load(zip.Entries.Single(static e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open()).Root!;
            nuspec.Descendants().Single(static e => e.Name.LocalName == "packageType").Attribute("name")!.Value.Should().Be("DotnetTool");
            zip.Entries.Select(static e => e.FullName).Should().Contain("tools/net10.0/any/DotnetToolSettings.xml");
            AssertReadmeResolvesOnThePackagePage(zip);
        }

        await DotnetCli.RunCheckedAsync(_root, CliTimeout,
            "tool", "install", "KeepAlive.Net.Tool", "--tool-path", tools, "--add-source", feed, "--version", _version);
        var (exitCode, output) = await RunAsync(Path.Combine(tools, OperatingSystem.IsWindows() ? "keepalive.exe" : "keepalive"), "show", "--idle", "30s", "--interval", "5s", "--count", "4");

        exitCode.Should().Be(0, output);
        output.Should().Contain("This machine").And.Contain("A fresh socket reports").And.Contain("Dead peer, idle connection: found after");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }

        var globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var extracted = Path.Combine(globalPackages, "keepalive.net.tool", _version.ToLowerInvariant());
        if (Directory.Exists(extracted))
        {
            Directory.Delete(extracted, recursive: true);
        }
    }

    /// <summary>
    /// The package README is the repository's, but nuget.org shows it without the repository around it: every link and
    /// image must be absolute (or an in-page anchor), and nothing else may differ.
    /// </summary>
    private static void AssertReadmeResolvesOnThePackagePage(ZipArchive zip)
    {
        using var reader = new StreamReader(zip.GetEntry("README.md")!.Open());
        var packaged = reader.ReadToEnd();
        var links = Regex.Matches(packaged, @"\]\(([^)\s]+)\)").Select(static m => m.Groups[1].Value).ToList();

        links.Should().NotBeEmpty().And.OnlyContain(static l => l.StartsWith("https://", StringComparison.Ordinal) || l.StartsWith('#'));
        links.Should().Contain("https://raw.githubusercontent.com/keepalive-net/KeepAlive.Net/main/docs/results/accuracy.png")
            .And.Contain("https://github.com/keepalive-net/KeepAlive.Net/blob/main/docs/TOOL.md");
        Regex.Replace(packaged, @"https://(github\.com|raw\.githubusercontent\.com)/keepalive-net/KeepAlive\.Net/(blob/)?main/", string.Empty)
            .Should().Be(File.ReadAllText(RepositoryFiles.Path("README.md")), "only the links change");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string command, params string[] arguments)
    {
        var start = new System.Diagnostics.ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(CliTimeout);
        return (process.ExitCode, output + await error);
    }
}
