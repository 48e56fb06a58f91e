// A service that holds a Redis and a PostgreSQL connection through one keep-alive profile ("datastores" in
// appsettings.json): the profile's Tcp section reaches every socket StackExchange.Redis opens (read back from the
// kernel and logged, event 3200) and Npgsql's own TCP keep-alive settings; its Heartbeat:Interval becomes Redis's PING
// interval and Npgsql's keepalive query. Each client logs what the profile set and what it cannot (event 3201).
// Needs a Redis and a PostgreSQL server; point at yours with:
//   dotnet run --project examples/DataStores -- --ConnectionStrings:Redis=127.0.0.1:6379 \
//       "--ConnectionStrings:Postgres=Host=127.0.0.1;Username=postgres;SSL Mode=Disable" --DataStores:RunFor=00:00:10
using KeepAlive.Net.Examples.DataStores;
using KeepAlive.Net.Npgsql;
using KeepAlive.Net.StackExchangeRedis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using StackExchange.Redis;

// appsettings.json is read from the build output, so the example runs the same from the repository root or its folder.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });

// The profiles, validated at start-up; and a check at start-up that "datastores" suits both clients
// (a heartbeat of at least 1 s, something each client can use), with the path, the value and the fix.
builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive"));
builder.Services.AddRedisKeepAlive("datastores").AddNpgsqlKeepAlive("datastores");

// One profile, two clients. AbortOnConnectFail false, as StackExchange.Redis advises for services: a Redis that is down
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

builder.Services.Configure<DataStoresOptions>(builder.Configuration.GetSection("DataStores"));
builder.Services.AddHostedService<DataStoresWorker>();

await builder.Build().RunAsync();
