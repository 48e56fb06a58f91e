using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace KeepAlive.Net.AspNetCore;

/// <summary>How the messages of this package name the calls an application makes, each declared once.</summary>
internal static class Calls
{
    /// <summary><c>listenOptions.UseKeepAlive</c>, without its profile.</summary>
    public const string UseKeepAlive = "listenOptions." + nameof(KeepAliveListenOptionsExtensions.UseKeepAlive);

    /// <summary><c>listenOptions.UseTcpKeepAlive</c>, without its profile.</summary>
    public const string UseTcpKeepAlive = "listenOptions." + nameof(KeepAliveListenOptionsExtensions.UseTcpKeepAlive);

    /// <summary><c>services.AddSignalR().UseKeepAlive</c>, without its profile.</summary>
    public const string HubsUseKeepAlive = "services.AddSignalR()." + nameof(KeepAliveSignalRServerBuilderExtensions.UseKeepAlive);

    /// <summary><c>AddKeepAliveRequestLimits()</c>, after <c>services.</c> or <c>builder.Services.</c> as the message says it.</summary>
    public const string AddKeepAliveRequestLimits = nameof(KeepAliveRequestLimitsServiceCollectionExtensions.AddKeepAliveRequestLimits) + "()";

    /// <summary>A call's profile in a log message template (its <c>{Profile}</c>), as <see cref="With"/> writes it.</summary>
    public const string ProfileInTemplate = "(\"{Profile}\")";

    /// <summary>A call with its profile, e.g. <c>listenOptions.UseKeepAlive("edge")</c>.</summary>
    public static string With(string call, string profileName) => $"{call}(\"{profileName}\")";
}
