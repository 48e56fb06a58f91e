using KeepAlive.Net.Hosting;
using KeepAlive.Net.Tests.TestSupport;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace KeepAlive.Net.SignalR.Tests;

/// <summary>
/// SignalR lets code set <c>KeepAliveInterval</c> and <c>ServerTimeout</c> on the built <c>HubConnection</c>, past the
/// profile, and has no change event: <c>Build()</c> held them to the rule, a value set after it escaped it without a word.
/// </summary>
public sealed class HubConnectionSetAfterBuildTests
{
    // The hubs and the client share the profile: the hubs send a keep-alive message every 2 s and wait 2 min for the client's;
    // the middlebox forgets a connection idle for 1 min.
    private static void Hub(KeepAliveProfileOptions profile)
    {
        profile.Heartbeat.PeerIdleTimeout = TimeSpan.FromMinutes(1);
        profile.SignalR = new SignalRKeepAliveOptions { KeepAliveInterval = TimeSpan.FromSeconds(2), ServerTimeout = TimeSpan.FromSeconds(60), ClientTimeoutInterval = TimeSpan.FromMinutes(2) };
    }

    [Theory]
    [InlineData(nameof(HubConnection.ServerTimeout), 3, "KeepAliveInterval 2s and ServerTimeout 3s", "the client's ServerTimeout is 3s, set in code (HubConnection.ServerTimeout), with a keep-alive interval of 2s (SignalR:KeepAliveInterval), below twice the interval: SignalR requires the client's ServerTimeout to be at least twice the keep-alive interval;*Fix: set HubConnection.ServerTimeout to at least 4s, or remove it and set SignalR:ServerTimeout in the profile.")]
    [InlineData(nameof(HubConnection.KeepAliveInterval), 40, "KeepAliveInterval 40s and ServerTimeout 1m", "the client's KeepAliveInterval is 40s, set in code (HubConnection.KeepAliveInterval), over 30s = Heartbeat:MaxIntervalToPeerIdleRatio 0.5 x Heartbeat:PeerIdleTimeout 1m:*Fix: set HubConnection.KeepAliveInterval to at most 30s.")]
    [InlineData(nameof(HubConnection.ServerTimeout), 30, null, null)] // the control: a value that keeps the rule is the user's to set
    public async Task ValueSetOnTheBuiltConnection_WhatBuildWouldRefuseIsWarnedWhenItStartsWithTheValuesAndTheFix(string property, int seconds, string? values, string? reason)
    {
        await using var server = await HubServers.StartOnLoopbackAsync(builder =>
        {
            builder.Services.AddKeepAlive("hub", Hub);
            builder.Services.AddSignalR().UseKeepAlive("hub");
        });
        using var profiles = ClientProfiles.InCode("hub", Hub);
        var logs = new FakeLogCollector();
        await using var connection = new HubConnectionBuilder()
            .WithUrl(HubServers.Url(server))
            .ConfigureLogging(logging => logging.AddProvider(new FakeLoggerProvider(logs)))
            .UseKeepAlive(profiles.Profiles, "hub")
            .Build();

        if (property == nameof(HubConnection.ServerTimeout))
        {
            connection.ServerTimeout = TimeSpan.FromSeconds(seconds);
        }
        else
        {
            connection.KeepAliveInterval = TimeSpan.FromSeconds(seconds);
        }

        await connection.StartAsync(Token);
        (await connection.InvokeAsync<string>("Echo", "hi", Token)).Should().StartWith("hi on ");
        await connection.StopAsync(Token);
        await connection.StartAsync(Token); // the same values again: said once, not at every connection

        var warnings = logs.GetSnapshot().Where(static r => r.Id.Id == KeepAliveEventIds.SignalRValueSetAfterBuild).ToList();
        if (reason is null)
        {
            warnings.Should().BeEmpty();
            return;
        }

        var warning = warnings.Should().ContainSingle().Subject;
        warning.Level.Should().Be(LogLevel.Warning);
        warning.Message.Should().Match(
            $"Hub connection to {HubServers.Url(server)} starts with {values}, set on the HubConnection after Build(), past the profile, which Build() would have refused: KeepAlive profile 'hub': {reason}");
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;
}
