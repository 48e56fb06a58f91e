using System.Globalization;

namespace KeepAlive.Net.AspNetCore.Tests;

/// <summary>
/// HTTP/2 retirement under load loses nothing (issue 19): 50 workers for 15 s against a Kestrel h2c endpoint that retires
/// connections at 2 s (jitter 500 ms) or 1000 requests. KEEPALIVE_RETIREMENT_LOAD_SECONDS changes the duration for a
/// longer measurement (the README's command).
/// </summary>
[Collection(nameof(ConnectionRetirementLoadTests))]
public sealed class ConnectionRetirementLoadTests
{
    private const int Workers = 50;

    [Fact]
    [Trait("Category", "Load")]
    public async Task UseKeepAlive_Http2RetirementUnderLoadOneClientPerWorker_LosesNoRequest()
    {
        var result = await RetirementLoad.RunAsync(Workers, Duration(), sharedClient: false, retire: true, TestContext.Current.CancellationToken);

        TestContext.Current.TestOutputHelper?.WriteLine(result.ToString());
        result.Retired.Should().BeGreaterThan(50, "connections must really be retired under this load, else the test proves nothing");
        result.Lost.Should().Be(0, result.ToString());
    }

    [Fact]
    [Trait("Category", "Load")]
    public async Task UseKeepAlive_Http2RetirementUnderLoadOneSharedConnection_LosesNoRequest()
    {
        var result = await RetirementLoad.RunAsync(Workers, Duration(), sharedClient: true, retire: true, TestContext.Current.CancellationToken);

        TestContext.Current.TestOutputHelper?.WriteLine(result.ToString());
        result.Retired.Should().BeGreaterThan(5, "connections must really be retired under this load, else the test proves nothing");
        result.Followed.Should().Be(result.Retired, "h2c is followed frame by frame");
        result.Lost.Should().Be(0, result.ToString());
    }

    [Fact]
    [Trait("Category", "Load")]
    public async Task UseKeepAlive_Http2OverTlsConfiguredAfterItUnderLoad_FollowsTheDecryptedFramesAndLosesNoRequest()
    {
        var result = await RetirementLoad.RunAsync(Workers, Duration() / 3, sharedClient: true, retire: true, TestContext.Current.CancellationToken, tls: true);

        TestContext.Current.TestOutputHelper?.WriteLine(result.ToString());
        result.Retired.Should().BeGreaterThan(5, "connections must really be retired under this load, else the test proves nothing");
        result.Followed.Should().Be(result.Retired, "TLS configured after UseKeepAlive (as for endpoints from configuration) is seen through: the frames are followed in the clear");
        result.Lost.Should().Be(0, result.ToString());
    }

    private static TimeSpan Duration() =>
        Environment.GetEnvironmentVariable("KEEPALIVE_RETIREMENT_LOAD_SECONDS") is { Length: > 0 } seconds
            ? TimeSpan.FromSeconds(double.Parse(seconds, CultureInfo.InvariantCulture))
            : TimeSpan.FromSeconds(15);
}

/// <summary>The load runs alone: it fills both cores, which would make the timed tests of other classes miss their bounds.</summary>
[CollectionDefinition(nameof(ConnectionRetirementLoadTests), DisableParallelization = true)]
public sealed class ConnectionRetirementLoadCollection;
