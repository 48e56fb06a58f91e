using System.Net;

namespace KeepAlive.Net.Tests.TestSupport;

/// <summary>
/// A host name that resolves to several addresses in a given order, through lines added to /etc/hosts (root, Linux) and
/// removed again on dispose: the way to test a connect that must fall back to a name's next address. The name is unique
/// per instance, so parallel tests and the machine's own names are untouched; each change of the file holds an exclusive
/// lock on a file in /tmp, so test processes running at once (the client packages' and Hosting's) never lose a line, and
/// replaces the file whole (a rename), so a lookup running meanwhile in any process reads the old file or the new one,
/// never an empty or half-written one.
/// </summary>
internal sealed class HostsFileEntry : IDisposable
{
    private const string HostsPath = "/etc/hosts";
    private const string LockPath = "/tmp/keepalive-tests-hosts.lock";
    private readonly string[] _lines;

    public HostsFileEntry(params IPAddress[] addresses)
    {
        TestEnvironment.Require(TestEnvironment.IsRoot, "a name with several addresses is written to /etc/hosts, which needs root on Linux.");
        Name = $"keepalive-{Guid.NewGuid():N}"[..22] + ".test";
        _lines = [.. addresses.Select(a => $"{a} {Name}")];
        using (Exclusive())
        {
            var text = File.ReadAllText(HostsPath);
            Replace((text.EndsWith('\n') || text.Length == 0 ? text : text + "\n") + string.Join('\n', _lines) + "\n");
        }
    }

    /// <summary>Gets the name.</summary>
    public string Name { get; }

    public void Dispose()
    {
        using (Exclusive())
        {
            var kept = File.ReadAllLines(HostsPath).Where(line => !_lines.Contains(line));
            Replace(string.Join('\n', kept) + "\n");
        }
    }

    // Writing /etc/hosts in place truncates it first: a getaddrinfo of another test (another process's name, or localhost)
    // reading it at that moment found nothing. A file written beside it and renamed over it is swapped in at once. Where
    // /etc/hosts is a mount point of its own (a container's bind mount) it cannot be renamed over, and where it is a
    // symbolic link a rename would replace the link: there it is written in place.
    private static void Replace(string text)
    {
        if (new FileInfo(HostsPath).LinkTarget is not null || !TryRenameOver(text))
        {
            File.WriteAllText(HostsPath, text);
        }
    }

    private static bool TryRenameOver(string text)
    {
        var beside = HostsPath + ".keepalive-" + Guid.NewGuid().ToString("N");
        File.WriteAllText(beside, text);
        try
        {
            if (OperatingSystem.IsLinux())
            {
                File.SetUnixFileMode(beside, File.GetUnixFileMode(HostsPath));
            }

            File.Move(beside, HostsPath, overwrite: true);
            return true;
        }
        catch (IOException)
        {
            File.Delete(beside);
            return false;
        }
    }

    // An exclusive open (flock on Unix) of the lock file: between threads and between test processes.
    private static FileStream Exclusive()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                return new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(10);
            }
        }
    }
}
