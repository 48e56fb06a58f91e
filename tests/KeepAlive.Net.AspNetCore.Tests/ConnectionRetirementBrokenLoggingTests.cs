using System.Diagnostics.Metrics;
using KeepAlive.Net.Tests.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.AspNetCore.Tests;

/// <summary>
/// A real Kestrel whose application logging throws for the library's category: the connection's age and grace-period timers
/// log from a <see cref="System.Threading.Timer"/> callback, where an exception ends the process. The connection must still
/// be retired and, past the grace period, aborted, and each dropped record counted.
/// </summary>
public sealed class ConnectionRetirementBrokenLoggingTests
{
    // Warning: only 3104 is logged, from the grace period's timer. Debug: every log of the connection throws, the one at
    // accept (3101, the socket's keep-alive applied) and the retirement's from the age timer (3103) too.
    [Theory]
    [InlineData(LogLevel.Warning)]
    [InlineData(LogLevel.Debug)]
    public async Task UseKeepAlive_LoggerThrowsInTheConnectionTimers_ProcessSurvivesAndTheConnectionIsRetiredThenAborted(LogLevel minimumLevel)
    {
        LibraryThreadFailures.Watch();
        var diedBefore = LibraryThreadFailures.Snapshot().Count;
        using var broken = new BrokenLogging(minimumLevel);
        await using var app = KestrelHosts.Build(
            KestrelHosts.Profile("edge", """{ "Http": { "MaxConnectionAge": "1s", "ConnectionCloseGracePeriod": "500ms" } }"""),
            listen => listen.UseKeepAlive("edge"),
            services => services.AddLogging(logging => broken.AddTo(logging, "KeepAlive.Net.AspNetCore")));
        using var upload = new StalledUpload(app);
        using var failed = new MetricCollector<long>(app.Services.GetRequiredService<IMeterFactory>(), "KeepAlive.Net", "keepalive.log.failed");
        await app.StartAsync(TestContext.Current.CancellationToken);

        // The upload stalls, so the connection is retired at 1 s and aborted 500 ms later, each logged from a timer's callback.
        await upload.StartAsync(app);
        var ended = await Task.WhenAny(upload.Seen, Task.Delay(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken));

        LibraryThreadFailures.Snapshot().Skip(diedBefore).Should().BeEmpty("a log call that throws in a timer's callback would end the process");
        ended.Should().BeSameAs(upload.Seen, "the connection, retired at 1 s, is aborted 500 ms later under the stalled upload");
        var caught = await upload.Seen;
        caught.Should().NotBeNull("the connection was aborted under the upload once the grace period ran out");
        caught!.InnerException.Should().BeOfType<ConnectionAbortedException>()
            .Which.Message.Should().Contain("did not finish within the grace period of 500ms", "it was retired by its age, then aborted, though both logs threw");
        broken.Records.Should().BeGreaterThanOrEqualTo(minimumLevel == LogLevel.Debug ? 3 : 1, "3104 was logged (and at Debug 3101 and 3103)");
        failed.GetMeasurementSnapshot().Sum(static m => m.Value).Should().Be(broken.Records, "every record the logger threw on is counted");
        await app.StopAsync(TestContext.Current.CancellationToken);
    }
}
