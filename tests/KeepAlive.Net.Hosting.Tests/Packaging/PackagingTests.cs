using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;
using System.Xml.Linq;

namespace KeepAlive.Net.Hosting.Tests.Packaging;

/// <summary>
/// Packs the libraries, restores fresh consumers from the packages and runs them. Slow (about a minute or two):
/// filter with <c>--filter-trait "Category=Packaging"</c> or <c>--filter-not-trait "Category=Packaging"</c>.
/// The Native AOT publish (about 20 s here, needs a C toolchain) is skipped when KEEPALIVE_TEST_SKIP_AOT=1.
/// </summary>
[Trait("Category", "Packaging")]
public sealed class PackagingTests(PackedFeed feed) : IClassFixture<PackedFeed>
{
    private static readonly TimeSpan CliTimeout = TimeSpan.FromMinutes(5);

    [Theory]
    [InlineData("KeepAlive.Net")]
    [InlineData("KeepAlive.Net.Hosting")]
    [InlineData("KeepAlive.Net.AspNetCore")]
    [InlineData("KeepAlive.Net.StackExchangeRedis")]
    [InlineData("KeepAlive.Net.RabbitMQ")]
    [InlineData("KeepAlive.Net.Npgsql")]
    [InlineData("KeepAlive.Net.Nats")]
    [InlineData("KeepAlive.Net.Grpc")]
    [InlineData("KeepAlive.Net.SignalR")]
    public void Pack_Library_PackageHasReadmeLicenceDocsSymbolsAndRepository(string id)
    {
        using var package = ZipFile.OpenRead(feed.PackageFile(id));
        var entries = package.Entries.Select(static e => e.FullName).ToList();
        entries.Should().Contain(["README.md", $"lib/net10.0/{id}.dll", $"lib/net10.0/{id}.xml"]);

        XNamespace ns = XDocument.Load(package.GetEntry($"{id}.nuspec")!.Open()).Root!.Name.Namespace;
        var metadata = XDocument.Load(package.GetEntry($"{id}.nuspec")!.Open()).Root!.Element(ns + "metadata")!;
        metadata.Element(ns + "readme")!.Value.Should().Be("README.md");
        var license = metadata.Element(ns + "license")!;
        license.Attribute("type")!.Value.Should().Be("expression");
        license.Value.Should().Be("MIT");
        var repository = metadata.Element(ns + "repository")!;
        repository.Attribute("type")!.Value.Should().Be("git");
        repository.Attribute("url")!.Value.Should().StartWith("https://");
        repository.Attribute("commit")!.Value.Should().MatchRegex("^[0-9a-f]{40}$");
        metadata.Element(ns + "description")!.Value.Should().NotBeNullOrWhiteSpace();

        // Deterministic: the PE carries a Reproducible debug entry, and CI paths are mapped to /_/.
        using var dll = new MemoryStream();
        package.GetEntry($"lib/net10.0/{id}.dll")!.Open().CopyTo(dll);
        dll.Position = 0;
        using var pe = new PEReader(dll);
        pe.ReadDebugDirectory().Select(static d => d.Type).Should().Contain(DebugDirectoryEntryType.Reproducible);

        using var symbols = ZipFile.OpenRead(feed.PackageFile(id, "snupkg"));
        using var pdb = new MemoryStream();
        symbols.GetEntry($"lib/net10.0/{id}.pdb")!.Open().CopyTo(pdb);
        pdb.Position = 0;
        using var provider = MetadataReaderProvider.FromPortablePdbStream(pdb);
        var reader = provider.GetMetadataReader();
        var documents = reader.Documents.Select(h => reader.GetString(reader.GetDocument(h).Name)).ToList();
        documents.Should().NotBeEmpty().And.OnlyContain(static d => d.StartsWith("/_/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Consumer_RestoredFromFeed_BindsProfileAndConfiguresSockets()
    {
        var folder = feed.WriteConsumer("PackageConsumer", string.Empty, Consumer.Program, Consumer.AppSettings);

        var output = await DotnetCli.RunCheckedAsync(folder, CliTimeout, "run", "-c", "Release");

        Consumer.AssertOutput(output);
    }

    [Fact]
    public async Task Publish_Trimmed_NoTrimWarningsFromOurAssembliesAndRuns()
    {
        var folder = feed.WriteConsumer("TrimmedConsumer", "<PublishTrimmed>true</PublishTrimmed><TrimmerSingleWarn>false</TrimmerSingleWarn>", Consumer.Program, Consumer.AppSettings);

        var output = await DotnetCli.RunCheckedAsync(folder, CliTimeout, "publish", "-c", "Release", "-r", RuntimeInformation.RuntimeIdentifier, "--self-contained", "-o", "out");

        OurWarnings(output).Should().BeEmpty();
        var run = await RunExecutableAsync(Path.Combine(folder, "out", "TrimmedConsumer"));
        Consumer.AssertOutput(run);
    }

    [Fact]
    public async Task Publish_NativeAot_NoAotWarningsFromOurAssembliesAndRuns()
    {
        Assert.SkipWhen(Environment.GetEnvironmentVariable("KEEPALIVE_TEST_SKIP_AOT") == "1", "KEEPALIVE_TEST_SKIP_AOT=1 skips the Native AOT publish.");
        var folder = feed.WriteConsumer("AotConsumer", "<PublishAot>true</PublishAot>", Consumer.Program, Consumer.AppSettings);

        var output = await DotnetCli.RunCheckedAsync(folder, CliTimeout, "publish", "-c", "Release", "-r", RuntimeInformation.RuntimeIdentifier, "-o", "out");

        OurWarnings(output).Should().BeEmpty();
        var run = await RunExecutableAsync(Path.Combine(folder, "out", "AotConsumer"));
        Consumer.AssertOutput(run);
    }

    private static List<string> OurWarnings(string output) =>
        [.. output.Split('\n').Where(static l => (l.Contains("warning IL2", StringComparison.Ordinal) || l.Contains("warning IL3", StringComparison.Ordinal))
            && l.Contains("KeepAlive.Net", StringComparison.Ordinal))];

    private static async Task<string> RunExecutableAsync(string path)
    {
        path += OperatingSystem.IsWindows() ? ".exe" : string.Empty;
        var start = new System.Diagnostics.ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(path)! };
        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(cts.Token);
        var output = await stdout + await stderr;
        process.ExitCode.Should().Be(0, output);
        return output;
    }
}
