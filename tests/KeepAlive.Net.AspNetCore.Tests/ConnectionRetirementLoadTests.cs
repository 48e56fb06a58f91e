using System.Globalization;

namespace KeepAlive.Net.AspNetCore.Tests;

/// <summary>
/// HTTP/2 retirement under load loses nothing (issue 19): 50 workers for 15 s against a Kestrel h2c endpoint that retires
/// connections at 2 s (jitter 500 ms) or 1000 requests. KEEPALIVE_RETIREMENT_LOAD_SECONDS changes the duration for a
/// longer measurement (the README's command).
/// </summary>
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
        result.Lost.Should().Be(0, result.ToString());
    }

    private static TimeSpan Duration() =>
        Environment.GetEnvironmentVariable("KEEPALIVE_RETIREMENT_LOAD_SECONDS") is { Length: > 0 } seconds
            ? TimeSpan.FromSeconds(double.Parse(seconds, CultureInfo.InvariantCulture))
            : TimeSpan.FromSeconds(15);
}
