namespace KeepAlive.Net.Hosting.Tests.Packaging;

/// <summary>The consumer program: binds a profile from appsettings.json and applies it to a plain socket, Kestrel and HttpClient.</summary>
internal static class Consumer
{
    public const string ExpectedValues = "enabled=True idle=21 interval=6 probes=5";

    public const string AppSettings = """
        {
          "Logging": { "LogLevel": { "Default": "Warning" } },
          "KeepAlive": {
            "Profiles": {
              "payments": { "Tcp": { "IdleTime": "00:00:21", "Interval": "00:00:06", "ProbeCount": 5 } }
            }
          }
        }
        """;

    public const string Program = """
        using System.Net;
        using System.Net.Sockets;
        using KeepAlive.Net;
        using KeepAlive.Net.AspNetCore;
        using KeepAlive.Net.Hosting;

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Services.AddKeepAlive("payments", builder.Configuration.GetSection("KeepAlive:Profiles:payments"));
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.UseTcpKeepAlive("payments")));
        Socket? outgoing = null;
        builder.Services.AddHttpClient("payments").UseTcpKeepAlive("payments", o => o.ConnectionConfigured = (s, _) => outgoing = s);
        var app = builder.Build();
        app.Run(context => context.Response.WriteAsync(Describe(context.Features.Get<IKeepAliveConnectionFeature>()!.Settings)));
        await app.StartAsync();
        var address = new Uri(app.Urls.First());

        var profiles = app.Services.GetRequiredService<IKeepAliveProfiles>();
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        profiles.Configure(socket, "payments");
        await socket.ConnectAsync(IPAddress.Loopback, address.Port);
        Console.WriteLine("socket " + Describe(socket.GetKeepAlive()));

        using var client = app.Services.GetRequiredService<IHttpClientFactory>().CreateClient("payments");
        Console.WriteLine("kestrel " + await client.GetStringAsync(address));
        Console.WriteLine("httpclient " + Describe(outgoing!.GetKeepAlive()));
        await app.StopAsync();

        static string Describe(KeepAliveSettings s) => FormattableString.Invariant(
            $"enabled={s.Enabled} idle={s.IdleTime?.TotalSeconds} interval={s.Interval?.TotalSeconds} probes={s.ProbeCount} kernel={s.IsReadBackFromKernel}");
        """;

    public static void AssertOutput(string output)
    {
        foreach (var line in new[] { "socket ", "kestrel ", "httpclient " })
        {
            output.Should().Contain(line + ExpectedValues, $"the consumer prints what the kernel reports ({line.Trim()}):\n{output}");
        }
    }
}
