// A generic-host worker that keeps one long-lived TCP connection to a peer with the "payments"
// profile from appsettings.json: OS keep-alive on the socket and an application heartbeat from the
// host's heartbeat scheduler sent through a HeartbeatStream, with its metrics and health printed at the end. The peer is a small echo server the worker starts itself
// on 127.0.0.1, so the example needs nothing but the SDK:  dotnet run --project examples/Worker
// Run until Ctrl+C with:  dotnet run --project examples/Worker -- --Worker:RunFor=00:00:00
using KeepAlive.Net;
using KeepAlive.Net.Examples.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// appsettings.json is read from the build output, so the example runs the same from the repository root or its folder.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });

// Every profile under KeepAlive:Profiles ("payments" and "default"), validated when the host starts,
// and the IHeartbeatScheduler singleton, stopped with the host.
builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive"));
builder.Services.AddHostedService<HeartbeatMetricsPrinter>();

// The scheduler's own threads, set in code (docs/CONFIGURATION.md, "The scheduler's thread settings"); a value out of
// range stops the host at start-up, with the option, the value and the fix.
builder.Services.Configure<HeartbeatSchedulerOptions>(static o =>
{
    o.StandbyThreadCount = 2;                             // two standbys from the start (default 1), logged in event 2011
    o.TakeoverThreshold = TimeSpan.FromMilliseconds(20);  // a standby takes over from a callback that holds the timer thread 20ms (default 50ms)
});

// Health from the same telemetry: Degraded when heartbeat lateness eats over half a profile's idle budget,
// Unhealthy when peers are declared dead too often; thresholds from KeepAlive:Health (docs/HEALTH.md).
builder.Services.AddHealthChecks().AddKeepAlive(builder.Configuration.GetSection("KeepAlive:Health"));

builder.Services.Configure<WorkerOptions>(builder.Configuration.GetSection("Worker"));
builder.Services.AddSingleton<EchoServer>();
builder.Services.AddHostedService(static services => services.GetRequiredService<EchoServer>());
builder.Services.AddHostedService<PaymentsConnection>();

await builder.Build().RunAsync();
