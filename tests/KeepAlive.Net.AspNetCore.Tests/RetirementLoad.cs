using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace KeepAlive.Net.AspNetCore.Tests;

/// <summary>
/// The retirement load of issue 19: a Kestrel h2c endpoint with <c>listenOptions.UseKeepAlive</c> retiring connections
/// at <c>MaxConnectionAge</c> 2 s (jitter 500 ms) and <c>MaxRequestsPerConnection</c> 1000, driven by concurrent
/// HttpClient workers; every request that does not end in a 200 is lost and counted with its error.
/// </summary>
internal static class RetirementLoad
{
    public const string Profile = """{ "Http": { "MaxConnectionAge": "2s", "MaxConnectionAgeJitter": "500ms", "MaxRequestsPerConnection": 1000 } }""";

    /// <summary>Runs the load and returns what happened.</summary>
    /// <param name="workers">Concurrent workers.</param>
    /// <param name="duration">How long the workers send.</param>
    /// <param name="sharedClient">One HttpClient (one HTTP/2 connection, multiplexed) for all workers, or one each.</param>
    /// <param name="retire">With the profile's retirement, or without (the baseline).</param>
    /// <param name="tls">Over TLS, configured after <c>UseKeepAlive</c> (as Kestrel does for endpoints from configuration), or h2c.</param>
    public static async Task<Result> RunAsync(int workers, TimeSpan duration, bool sharedClient, bool retire, CancellationToken cancellationToken, bool tls = false)
    {
        var log = new ConnectionLog();
        using var certificate = tls ? KestrelHosts.SelfSignedCertificate() : null;
        await using var app = KestrelHosts.Build(
            KestrelHosts.Profile("edge", retire ? Profile : "{}"),
            listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                listen.Use(log.Middleware);
                listen.UseKeepAlive("edge");
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
            },
            services => services.AddKeepAliveRequestLimits());
        app.MapGet("/", () => "ok");
        await app.StartAsync(cancellationToken);

        var clients = Enumerable.Range(0, sharedClient ? 1 : workers).Select(_ => KestrelHosts.H2cClient(app, certificate)).ToArray();
        var errors = new ConcurrentDictionary<string, int>();
        long sent = 0;
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        try
        {
            await Task.WhenAll(Enumerable.Range(0, workers).Select(i => Task.Run(async () =>
            {
                var client = clients[sharedClient ? 0 : i];
                while (Stopwatch.GetTimestamp() < until)
                {
                    Interlocked.Increment(ref sent);
                    try
                    {
                        using var response = await client.GetAsync("/", cancellationToken);
                        var body = await response.Content.ReadAsStringAsync(cancellationToken);
                        if (response.StatusCode != HttpStatusCode.OK || body != "ok")
                        {
                            errors.AddOrUpdate($"HTTP {(int)response.StatusCode}", 1, static (_, n) => n + 1);
                        }
                    }
                    catch (HttpRequestException ex)
                    {
                        errors.AddOrUpdate(Describe(ex), 1, static (_, n) => n + 1);
                    }
                }
            }, cancellationToken)));
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }

        await app.StopAsync(cancellationToken);
        var retired = log.Connections.Values.Where(c => c.Retirement?.IsRetiring == true).ToList();
        var followed = retired.Count(c => c.Retirement is ConnectionRetirement { FollowsHttp2Frames: true });
        return new Result(sent, errors.Values.Sum(), log.Connections.Count, retired.Count, followed, errors.ToDictionary());
    }

    private static string Describe(Exception ex)
    {
        var messages = new List<string>();
        for (var e = ex; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
        }

        return string.Join(" <- ", messages);
    }

    /// <param name="Followed">Retired connections whose HTTP/2 frames were followed, so they were retired in the RFC 9113 §6.8 sequence.</param>
    internal sealed record Result(long Sent, long Lost, int Connections, int Retired, int Followed, Dictionary<string, int> Errors)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{Lost} of {Sent:N0} requests lost over {Connections} connections ({Retired} retired, {Followed} of them frame by frame){string.Concat(Errors.Select(e => $"\n  {e.Value} x {e.Key}"))}");
    }
}
