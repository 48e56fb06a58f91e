using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace KeepAlive.Net.Tests.TestSupport;

/// <summary>
/// Sees an exception of <see cref="BrokenLogging"/> that escapes a thread (the library's own threads, a send's
/// completion on the thread pool, a timer's or a reload's callback), which would end the process, without ending the test host: the runtime's handler of
/// unhandled exceptions (one per process, set once here) records it and ends only that thread. Any other exception is left
/// unhandled, and ends the process as before.
/// </summary>
internal static class LibraryThreadFailures
{
    private static readonly ConcurrentQueue<(string? Thread, Exception Exception)> Seen = new();
    private static readonly Lazy<bool> Installed = new(static () =>
    {
        ExceptionHandling.SetUnhandledExceptionHandler(static exception =>
        {
            if (!BrokenLogging.IsFromHere(exception))
            {
                return false;
            }

            Seen.Enqueue((Thread.CurrentThread.Name, exception));
            return true;
        });
        return true;
    });

    /// <summary>Installs the handler (once per process).</summary>
    public static void Watch() => _ = Installed.Value;

    /// <summary>The threads that ended with an exception of the broken logging so far, with the exceptions.</summary>
    public static IReadOnlyList<string> Snapshot() => [.. Seen.Select(static s => $"thread '{s.Thread ?? "(thread pool)"}': {s.Exception.GetType().Name}: {s.Exception.Message} {s.Exception.StackTrace}")];
}
