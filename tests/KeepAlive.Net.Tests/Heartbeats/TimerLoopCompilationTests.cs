using System.Reflection;
using System.Text.RegularExpressions;
using KeepAlive.Net.Heartbeats;
using KeepAlive.Net.Tests.TestSupport;

namespace KeepAlive.Net.Tests.Heartbeats;

/// <summary>
/// The loops only the scheduler's own threads run must be compiled optimized when the thread starts. Tiered, the timer loop
/// (which never returns) ran as tier-0 code until on-stack replacement made the timer thread compile a 5 KB optimized copy
/// of itself while heartbeats were due: idle p99 1.3-3.7 ms at 100,000 registrations, 0.69-0.75 ms once compiled up front
/// (README → Performance, "Heartbeat lateness"). A timing test could not tell that apart on a noisy machine; the attribute can.
/// </summary>
public sealed partial class TimerLoopCompilationTests
{
    private const BindingFlags Declared = BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;

    public static TheoryData<Type, string> LoopsOnTheSchedulersThreads() => new()
    {
        { typeof(TimerThreads), "Run" },
        { typeof(TimerThreads), "Own" },
        { typeof(TimerThreads), "RunBatch" },
        { typeof(TimerThreads), "Watch" },
        { typeof(TimerThreads), "Help" },
        { typeof(TimerLoop), nameof(TimerLoop.Step) },
        { typeof(TimerLoop), "DrainInbox" },
        { typeof(TimerQueue), nameof(TimerQueue.Compact) },
    };

    [Theory]
    [MemberData(nameof(LoopsOnTheSchedulersThreads))]
    public void SchedulerThreadLoop_IsCompiledOptimizedUpFront_NeverRecompiledOnTheTimerThread(Type type, string name)
    {
        var methods = type.GetMethods(Declared).Where(m => m.Name == name).ToList();

        methods.Should().ContainSingle($"{type.Name}.{name} is one of the loops the scheduler's threads run");
        methods[0].MethodImplementationFlags.Should().HaveFlag(
            MethodImplAttributes.AggressiveOptimization,
            "a tiered loop on the timer thread gets compiled again, by on-stack replacement, on that thread, while heartbeats wait");
    }

    [Fact]
    public void Architecture_NamesExactlyTheLoopsCompiledUpFront() =>
        NamesExactlyTheLoopsCompiledUpFront("docs/ARCHITECTURE.md", LoopsSentence(), "\"The loops only these threads run (...) are marked\"");

    [Fact]
    public void Readme_NamesExactlyTheLoopsCompiledUpFront() =>
        NamesExactlyTheLoopsCompiledUpFront("README.md", ReadmeLoopsSentence(), "\"The fix marks the loops ... run `[MethodImpl(...)]`: ... They are compiled once\"");

    private static void NamesExactlyTheLoopsCompiledUpFront(string document, Regex listing, string where)
    {
        var sentence = listing.Match(RepositoryFiles.ReadAllText(document));
        sentence.Success.Should().BeTrue($"{document} lists the loops in {where}");

        var documented = Regex.Matches(sentence.Groups[1].Value, "`([^`]+)`").Select(static m => m.Groups[1].Value.Split('.')[^1]);

        documented.Should().BeEquivalentTo(
            LoopsOnTheSchedulersThreads().Select(static row => row.Data.Item2),
            $"{document} names the methods marked AggressiveOptimization, no more and no fewer");
    }

    [GeneratedRegex(@"The loops only these threads run \(([^)]*)\) are marked")]
    private static partial Regex LoopsSentence();

    [GeneratedRegex(@"The fix marks the loops that only the scheduler's own threads run `[^`]*`:(.*?)\. They are compiled once", RegexOptions.Singleline)]
    private static partial Regex ReadmeLoopsSentence();
}
