namespace KeepAlive.Net.Hosting.Tests.Packaging;

/// <summary>
/// Packs every library (<see cref="PackageIds"/>) once, with a version of their own, into a temporary folder feed; removes the feed and
/// the extracted copies in the NuGet global packages folder afterwards.
/// </summary>
public sealed class PackedFeed : IAsyncLifetime
{
    public static readonly string[] PackageIds =
    [
        "KeepAlive.Net", "KeepAlive.Net.Hosting", "KeepAlive.Net.AspNetCore",
        "KeepAlive.Net.StackExchangeRedis", "KeepAlive.Net.RabbitMQ", "KeepAlive.Net.Npgsql", "KeepAlive.Net.Nats",
        "KeepAlive.Net.Grpc", "KeepAlive.Net.SignalR",
    ];

    public string RepositoryRoot { get; } = RepositoryFiles.Root;

    public string Root { get; } = Directory.CreateTempSubdirectory("keepalive-pack-").FullName;

    public string Feed => Path.Combine(Root, "feed");

    /// <summary>
    /// The packs' own bin and obj folders: a restore rewrites a project's obj/project.assets.json, which the example runs
    /// (<c>dotnet run --project examples/...</c>) and the tool's tests read at the same time. Inside the repository (its
    /// ignored artifacts folder), so that the deterministic build maps the generated sources to <c>/_/</c> as the real one does.
    /// </summary>
    public string Artifacts { get; } = Path.Combine(RepositoryFiles.Root, "artifacts", $"pkgtest-{Environment.ProcessId}-{Guid.NewGuid():N}");

    public string Version { get; } = $"0.1.0-pkgtest.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";

    public string PackageFile(string id, string extension = "nupkg") => Path.Combine(Feed, $"{id}.{Version}.{extension}");

    public async ValueTask InitializeAsync()
    {
        // Until the repository has its README.md, pack a stand-in so the rest of the packaging can be checked.
        var readme = Path.Combine(RepositoryRoot, "README.md");
        if (!File.Exists(readme))
        {
            readme = Path.Combine(Root, "README.md");
            await File.WriteAllTextAsync(readme, "# KeepAlive.Net\n\nStand-in README used by the packaging test.\n");
        }

        foreach (var id in PackageIds)
        {
            await DotnetCli.RunCheckedAsync(RepositoryRoot, TimeSpan.FromMinutes(4),
                "pack", Path.Combine("src", id, id + ".csproj"), "-c", "Release", "-o", Feed,
                $"-p:Version={Version}", "-p:ContinuousIntegrationBuild=true", $"-p:PackageReadmePath={readme}", "-v:q", "-nologo",
                "--artifacts-path", Artifacts);
        }
    }

    public ValueTask DisposeAsync()
    {
        TryDelete(Root);
        TryDelete(Artifacts);
        var globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var id in PackageIds)
        {
            TryDelete(Path.Combine(globalPackages, id.ToLowerInvariant(), Version.ToLowerInvariant()));
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Writes a consumer project folder whose nuget.config adds the feed to the machine's usual sources.</summary>
    public string WriteConsumer(string name, string projectProperties, string program, string appSettings)
    {
        var folder = Path.Combine(Root, name);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="keepalive-test-feed" value="{Feed}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(folder, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk.Web">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>false</TreatWarningsAsErrors>
                {projectProperties}
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="KeepAlive.Net.AspNetCore" Version="{Version}" />
              </ItemGroup>
              <ItemGroup>
                <None Update="appsettings.json" CopyToOutputDirectory="PreserveNewest" CopyToPublishDirectory="PreserveNewest" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(folder, "Program.cs"), program);
        File.WriteAllText(Path.Combine(folder, "appsettings.json"), appSettings);
        return folder;
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
