namespace KeepAlive.Net.Hosting.Tests;

/// <summary>Finds files of the repository the tests were built from.</summary>
internal static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "KeepAlive.Net.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("KeepAlive.Net.sln not found above " + AppContext.BaseDirectory);
    }
}
