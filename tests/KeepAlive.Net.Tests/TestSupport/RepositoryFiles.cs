namespace KeepAlive.Net.Tests.TestSupport;

/// <summary>The repository's own files (README.md, docs/), for tests that check what the documents say.</summary>
internal static class RepositoryFiles
{
    public static string ReadAllText(string relativePath) => File.ReadAllText(Path.Combine(Root(), relativePath));

    public static string[] ReadAllLines(string relativePath) => File.ReadAllLines(Path.Combine(Root(), relativePath));

    private static string Root()
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
}
