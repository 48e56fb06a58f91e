using System.Text.RegularExpressions;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary>What a newcomer reads first must be there and be right: licence, the case, links, the liveness snippet.</summary>
public sealed partial class RepositoryDocumentsTests
{
    [Fact]
    public void License_IsMitForTheContributorsLikeThePackagesDeclare()
    {
        var license = File.ReadAllText(RepositoryFiles.Path("LICENSE"));

        license.Should().StartWith("MIT License").And.Contain("KeepAlive.Net contributors");
        File.ReadAllText(RepositoryFiles.Path("Directory.Build.props")).Should().Contain("<PackageLicenseExpression>MIT</PackageLicenseExpression>");
    }

    [Fact]
    public void Docs_EveryLinkToADocumentResolvesAndTheCaseIsInTheRepository()
    {
        File.Exists(RepositoryFiles.Path("docs", "CASE.md")).Should().BeTrue();
        var documents = Directory.GetFiles(RepositoryFiles.Path("docs"), "*.md").Append(RepositoryFiles.Path("README.md"));

        var broken = (from document in documents
                      from Match link in MarkdownLink().Matches(File.ReadAllText(document))
                      let target = link.Groups[1].Value.Split('#')[0]
                      where target.EndsWith(".md", StringComparison.Ordinal) && !target.Contains("://", StringComparison.Ordinal)
                      where !File.Exists(Path.Combine(Path.GetDirectoryName(document)!, target)) && !Directory.Exists(Path.Combine(Path.GetDirectoryName(document)!, target))
                      select $"{Path.GetFileName(document)} -> {target}").ToList();

        broken.Should().BeEmpty();
        File.ReadAllText(RepositoryFiles.Path("docs", "HEARTBEATS.md")).Should().Contain("[CASE.md](CASE.md)");
    }

    [Fact]
    public void Readme_LivenessSnippet_MarksPeerActivity()
    {
        var readme = File.ReadAllText(RepositoryFiles.Path("README.md"));

        var liveness = CodeBlock().Matches(readme).Select(m => m.Groups[1].Value).Where(code => code.Contains("Timeout = ", StringComparison.Ordinal)).ToList();

        liveness.Should().NotBeEmpty();
        liveness.Should().OnlyContain(code => code.Contains("registration.MarkPeerActivity();", StringComparison.Ordinal),
            "a snippet that sets Timeout without calling MarkPeerActivity declares a healthy peer dead");
    }

    [Fact]
    public void Readme_HealthCheckComment_NamesEveryDegradedRuleOfTheHealthDoc()
    {
        // README's comment beside AddHealthChecks().AddKeepAlive() lists when the check turns Degraded; docs/HEALTH.md's
        // "Rules, per profile" table is the list. The comment left out a refused reload (event 3003).
        var health = File.ReadAllText(RepositoryFiles.Path("docs", "HEALTH.md"));
        var rules = health[health.IndexOf("## Rules, per profile", StringComparison.Ordinal)..];
        var degradedRows = rules[..rules.IndexOf("\n\n", rules.IndexOf('|', StringComparison.Ordinal), StringComparison.Ordinal)]
            .Split('\n').Count(static l => l.StartsWith("| Degraded |", StringComparison.Ordinal));
        var comment = HealthCheckComment().Match(File.ReadAllText(RepositoryFiles.Path("README.md")));
        comment.Success.Should().BeTrue("README.md shows builder.Services.AddHealthChecks().AddKeepAlive() with its rules in a comment");
        var degraded = Regex.Replace(comment.Groups[1].Value, @"\s*//\s*", " ");
        var named = degraded[..degraded.IndexOf("Unhealthy:", StringComparison.Ordinal)].Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        degradedRows.Should().BeGreaterThan(3);
        named.Should().HaveCount(degradedRows, "each Degraded rule of docs/HEALTH.md is one clause of the comment, which reads: {0}", degraded);
        degraded.Should().Contain("3003", "the refused reload is named by its event, as docs/HEALTH.md names it");
    }

    [Fact]
    public void WebApiExample_SmokeSwitch_IsRemovedBeforeTheHostReadsArguments()
    {
        var program = File.ReadAllText(RepositoryFiles.Path("examples", "WebApi", "Program.cs"));

        program.Should().Contain("CreateSlimBuilder([.. args.Where(static a => a != \"--smoke\")])").And.NotContain("CreateSlimBuilder(args)");
    }

    [Fact]
    public void Architecture_Layout_NamesEveryLibraryAndEveryExample()
    {
        var layout = LayoutBlock().Match(File.ReadAllText(RepositoryFiles.Path("docs", "ARCHITECTURE.md")));
        layout.Success.Should().BeTrue("docs/ARCHITECTURE.md opens with the repository's layout under \"## Layout\"");
        var libraries = Directory.GetDirectories(RepositoryFiles.Path("src"), "KeepAlive.Net*").Select(Path.GetFileName);
        var examples = Directory.GetDirectories(RepositoryFiles.Path("examples")).Select(Path.GetFileName);

        var missing = libraries.Where(name => !layout.Groups[1].Value.Contains($"{name}/", StringComparison.Ordinal)
                                              && !layout.Groups[1].Value.Contains($"{name!["KeepAlive.Net".Length..]}/", StringComparison.Ordinal))
            .Concat(examples.Where(name => !Regex.IsMatch(layout.Groups[1].Value, $@"^examples/.*\b{Regex.Escape(name!)}\b", RegexOptions.Multiline)))
            .ToList();

        missing.Should().BeEmpty("the layout is where a newcomer looks for a project or an example");
    }

    [Fact]
    public void Architecture_HowToAddAnOption_QuotesTheRangeThePropertyDeclares()
    {
        var example = RangeDeclarationExample().Match(File.ReadAllText(RepositoryFiles.Path("docs", "ARCHITECTURE.md")));
        example.Success.Should().BeTrue("docs/ARCHITECTURE.md shows how HttpKeepAliveOptions.PeerMinPingInterval declares its range");
        var declared = typeof(HttpKeepAliveOptions).GetProperty(example.Groups["property"].Value)!
            .GetCustomAttributes(typeof(KeepAliveRangeAttribute), inherit: false).Cast<KeepAliveRangeAttribute>().Single();

        new[] { example.Groups["min"].Value, example.Groups["max"].Value, example.Groups["example"].Value }.Should().Equal(
            [declared.Minimum, declared.Maximum, declared.Example],
            "the example names the real file and property, so its range must be the one the property declares");
    }

    [Fact]
    public void Integration_AotParagraph_SaysHowProfilesAreRead()
    {
        var hosting = File.ReadAllText(RepositoryFiles.Path("src", "KeepAlive.Net.Hosting", "KeepAlive.Net.Hosting.csproj"));
        var integration = File.ReadAllText(RepositoryFiles.Path("docs", "INTEGRATION.md"));

        hosting.Should().NotContain("Microsoft.Extensions.Configuration.Binder", "profiles are read by the library's own reader (docs/ARCHITECTURE.md)");
        integration.Should().NotContain("binding source generator", "nothing binds profiles with the configuration binder or its generator")
            .And.Contain("[DynamicallyAccessedMembers]", "the reader's reflection is what the trimmer and Native AOT must be told about");
    }

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex MarkdownLink();

    [GeneratedRegex("```csharp\\s*\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();

    [GeneratedRegex(@"\[KeepAliveRange\(""(?<min>[^""]+)"", ""(?<max>[^""]+)"", Example = ""(?<example>[^""]+)"",[^\]]*\]\s*public TimeSpan\? (?<property>PeerMinPingInterval) ")]
    private static partial Regex RangeDeclarationExample();

    [GeneratedRegex(@"AddHealthChecks\(\)\.AddKeepAlive\(\);\s*//\s*Degraded:(.*?)\n\s*```", RegexOptions.Singleline)]
    private static partial Regex HealthCheckComment();

    [GeneratedRegex("## Layout\\s*```\\s*\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex LayoutBlock();
}
