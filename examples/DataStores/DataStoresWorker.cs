using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using Npgsql;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using StackExchange.Redis;

namespace KeepAlive.Net.Examples.DataStores;

/// <summary>Touches Redis, PostgreSQL, RabbitMQ and NATS now and then, as a service does between bursts of traffic, then stops the host.</summary>
public sealed class DataStoresWorker(IConnectionMultiplexer redis, NpgsqlDataSource postgres, ConnectionFactory rabbit, NatsConnection nats,
    IOptions<DataStoresOptions> options, IHostApplicationLifetime lifetime, ILogger<DataStoresWorker> logger) : BackgroundService
{
    private const string Queue = "keepalive-example";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var started = DateTime.UtcNow;
        var round = 0;
        IConnection? broker = null;
        IChannel? channel = null;
        try
        {
            do
            {
                round++;
                var visits = await redis.GetDatabase().StringIncrementAsync("keepalive-example:visits");
                await using var command = postgres.CreateCommand("SELECT now()");
                var now = await command.ExecuteScalarAsync(stoppingToken);
                var roundTrip = await nats.PingAsync(stoppingToken);
                channel ??= await OpenChannelAsync(broker = await rabbit.CreateConnectionAsync(stoppingToken), stoppingToken);
                await channel.BasicPublishAsync(string.Empty, Queue, "visit"u8.ToArray(), stoppingToken);
                var queued = await channel.MessageCountAsync(Queue, stoppingToken);
                logger.LogInformation("Round {Round}: Redis visits = {Visits}, PostgreSQL now() = {Now:O}, NATS round trip = {RoundTrip}, RabbitMQ queued = {Queued}",
                    round, visits, now, KeepAliveDuration.Format(roundTrip, TimeSpan.FromMicroseconds(1)), queued);
                if (settings.RunFor > TimeSpan.Zero && DateTime.UtcNow - started + settings.Every > settings.RunFor)
                {
                    break;
                }

                await Task.Delay(settings.Every, stoppingToken);
            }
            while (!stoppingToken.IsCancellationRequested);

            logger.LogInformation("Done after {Rounds} rounds: all four connections carried the 'datastores' profile", round);
        }
        catch (Exception e) when (e is RedisException or NpgsqlException or RabbitMQClientException or BrokerUnreachableException or NatsException)
        {
            logger.LogError(e, "A data store failed");
            Environment.ExitCode = 1;
        }
        finally
        {
            await (channel?.DisposeAsync() ?? ValueTask.CompletedTask);
            await (broker?.DisposeAsync() ?? ValueTask.CompletedTask);
            lifetime.StopApplication();
        }
    }

    private static async Task<IChannel> OpenChannelAsync(IConnection broker, CancellationToken cancellationToken)
    {
        var channel = await broker.CreateChannelAsync(cancellationToken: cancellationToken);
        await channel.QueueDeclareAsync(Queue, durable: false, exclusive: true, autoDelete: true, cancellationToken: cancellationToken);
        return channel;
    }
}
