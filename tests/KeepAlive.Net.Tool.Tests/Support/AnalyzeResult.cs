using System.Text.Json;

namespace KeepAlive.Net.Tool.Tests.Support;

/// <summary>The parsed output of <c>keepalive analyze --json</c>.</summary>
internal sealed class AnalyzeResult(int exitCode, JsonDocument json, string error) : IDisposable
{
    public int ExitCode { get; } = exitCode;

    public string Error { get; } = error;

    public JsonElement Root => json.RootElement;

    public IReadOnlyList<JsonElement> Flows => [.. Root.GetProperty("flows").EnumerateArray()];

    public JsonElement SingleFlow => Flows.Should().ContainSingle().Subject;

    public static async Task<AnalyzeResult> RunAsync(string capture, params string[] extra)
    {
        var (exitCode, output, error) = await ToolRun.InProcessAsync(["analyze", capture, "--json", .. extra]);
        return new AnalyzeResult(exitCode, JsonDocument.Parse(output), error);
    }

    public static IReadOnlyList<long> ProbeFrames(JsonElement flow) =>
        [.. flow.GetProperty("probeFrames").EnumerateArray().Select(static f => f.GetInt64())];

    public void Dispose() => json.Dispose();
}
