// A service that holds Redis, PostgreSQL, RabbitMQ and NATS connections through one keep-alive profile ("datastores" in
// appsettings.json): the profile's Tcp section reaches every socket StackExchange.Redis, RabbitMQ.Client and NATS.Net open
// (read back from the kernel and logged, event 3200) and Npgsql's own TCP keep-alive settings; its Heartbeat:Interval
// becomes Redis's PING interval, Npgsql's keepalive query, RabbitMQ's RequestedHeartbeat and NATS's PingInterval. Each
// client logs what the profile set and what it cannot (event 3201).
// Needs the four servers (without one it says which store failed and exits 1); point at yours with:
//   dotnet run --project examples/DataStores -- --ConnectionStrings:Redis=127.0.0.1:6379 \
//       "--ConnectionStrings:Postgres=Host=127.0.0.1;Username=postgres;SSL Mode=Disable" \
//       --ConnectionStrings:RabbitMQ=amqp://guest:guest@127.0.0.1:5672/ --ConnectionStrings:Nats=nats://127.0.0.1:4222 \
//       --DataStores:RunFor=00:00:10
using KeepAlive.Net.Examples.DataStores;
using KeepAlive.Net.Nats;
using KeepAlive.Net.Npgsql;
using KeepAlive.Net.RabbitMQ;
using KeepAlive.Net.StackExchangeRedis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NATS.Client.Core;
using Npgsql;
using RabbitMQ.Client;
using StackExchange.Redis;

// appsettings.json is read from the build output, so the example runs the same from the repository root or its folder.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });

// The profiles, validated at start-up; and a check at start-up that "datastores" suits each client
// (a heartbeat of at least 1 s, something each client can use), with the path, the value and the fix.
builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive"));
builder.Services.AddRedisKeepAlive("datastores").AddNpgsqlKeepAlive("datastores").AddRabbitMQKeepAlive("datastores");

// What AddNatsKeepAlive does, written out: the start-up check for any client described by a KeepAliveClientDescription
// (a client with no package of its own describes itself the same way, docs/CLIENTS.md).
builder.Services.AddKeepAliveClient("datastores", KeepAliveNatsExtensions.Client);

// One profile, four clients. AbortOnConnectFail false, as StackExchange.Redis advises for services: a Redis that is down
// at start-up fails the worker's first command (reported, exit code 1), not the host's start with an unhandled exception.
builder.Services.AddSingleton<IConnectionMultiplexer>(services =>
{
    var redis = ConfigurationOptions.Parse(builder.Configuration.GetConnectionString("Redis")!).UseKeepAlive(services, "datastores");
    redis.AbortOnConnectFail = false;
    return ConnectionMultiplexer.Connect(redis);
});
builder.Services.AddSingleton(services => new NpgsqlDataSourceBuilder(builder.Configuration.GetConnectionString("Postgres"))
    .UseKeepAlive(services, "datastores")
    .Build());

// Every connection this factory creates (and every automatic recovery) gets the Tcp section; Heartbeat:Interval becomes RequestedHeartbeat.
builder.Services.AddSingleton(services => new ConnectionFactory { Uri = new Uri(builder.Configuration.GetConnectionString("RabbitMQ")!) }
    .UseKeepAlive(services, "datastores"));

// New options with the package's socket connection factory (the Tcp section) and Heartbeat:Interval as PingInterval; connects on first use.
builder.Services.AddSingleton(services => new NatsConnection((NatsOpts.Default with { Url = builder.Configuration.GetConnectionString("Nats")! })
    .UseKeepAlive(services, "datastores")));

builder.Services.Configure<DataStoresOptions>(builder.Configuration.GetSection("DataStores"));
builder.Services.AddHostedService<DataStoresWorker>();

await builder.Build().RunAsync();
