using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace KeepAlive.Net.Examples.DataStores;

/// <summary>Touches Redis and PostgreSQL now and then, as a service does between bursts of traffic, then stops the host.</summary>
public sealed class DataStoresWorker(IConnectionMultiplexer redis, NpgsqlDataSource postgres, IOptions<DataStoresOptions> options,
    IHostApplicationLifetime lifetime, ILogger<DataStoresWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var started = DateTime.UtcNow;
        var round = 0;
        try
        {
            do
            {
                round++;
                var visits = await redis.GetDatabase().StringIncrementAsync("keepalive-example:visits");
                await using var command = postgres.CreateCommand("SELECT now()");
                var now = await command.ExecuteScalarAsync(stoppingToken);
                logger.LogInformation("Round {Round}: Redis visits = {Visits}, PostgreSQL now() = {Now:O}", round, visits, now);
                if (settings.RunFor > TimeSpan.Zero && DateTime.UtcNow - started + settings.Every > settings.RunFor)
                {
                    break;
                }

                await Task.Delay(settings.Every, stoppingToken);
            }
            while (!stoppingToken.IsCancellationRequested);

            logger.LogInformation("Done after {Rounds} rounds: both connections carried the 'datastores' profile", round);
        }
        catch (Exception e) when (e is RedisException or NpgsqlException)
        {
            logger.LogError(e, "A data store failed");
            Environment.ExitCode = 1;
        }
        finally
        {
            lifetime.StopApplication();
        }
    }
}
