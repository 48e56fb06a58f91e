using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary>The values <see cref="IKeepAliveProfiles.GetProfile"/> returns are the caller's: changing them changes no one else's.</summary>
public sealed class ProfileValuesTests
{
    [Fact]
    public void GetProfile_CallerChangesTheValuesItGot_NextGetProfileAndNewSocketsKeepTheConfiguredValues()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["KeepAlive:Profiles:payments:Tcp:IdleTime"] = "30s",
            ["KeepAlive:Profiles:payments:Heartbeat:Interval"] = "10s",
            ["KeepAlive:Profiles:payments:Http:KeepAlivePingDelay"] = "20s",
            ["KeepAlive:Profiles:payments:WebSocket:KeepAliveInterval"] = "15s",
            ["KeepAlive:Profiles:payments:SignalR:KeepAliveInterval"] = "15s",
        }).Build();
        using var services = new ServiceCollection().AddKeepAlive(configuration.GetSection("KeepAlive")).BuildServiceProvider();
        var profiles = services.GetRequiredService<IKeepAliveProfiles>();

        var mine = profiles.GetProfile("payments");
        mine.Heartbeat.Interval = TimeSpan.FromSeconds(1);
        mine.Heartbeat.Name = "someone-else";
        mine.Tcp.IdleTime = TimeSpan.FromSeconds(5);
        mine.Http.KeepAlivePingDelay = TimeSpan.FromSeconds(1);
        mine.WebSocket.KeepAliveInterval = TimeSpan.FromSeconds(1);
        mine.SignalR.KeepAliveInterval = TimeSpan.FromSeconds(1);

        var next = profiles.GetProfile("payments");
        next.Heartbeat.Interval.Should().Be(TimeSpan.FromSeconds(10), "a caller's change of its own copy is not every later caller's");
        next.Heartbeat.Name.Should().Be("payments");
        next.Heartbeat.IsIntervalSet.Should().BeTrue("the copy keeps which values were set");
        next.Tcp.IdleTime.Should().Be(TimeSpan.FromSeconds(30));
        next.Http.KeepAlivePingDelay.Should().Be(TimeSpan.FromSeconds(20));
        next.WebSocket.KeepAliveInterval.Should().Be(TimeSpan.FromSeconds(15));
        next.SignalR.KeepAliveInterval.Should().Be(TimeSpan.FromSeconds(15));
        services.GetRequiredService<IOptionsMonitor<KeepAliveProfileOptions>>().Get("payments").Heartbeat.Interval.Should().Be(TimeSpan.FromSeconds(10));
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        profiles.Configure(socket, "payments").IdleTime.Should().Be(TimeSpan.FromSeconds(30), "new connections get the configured values");
    }
}
