using KeepAlive.Net.AspNetCore;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.SignalR;

namespace KeepAlive.Net.Examples.WebApi;

/// <summary>A SignalR hub whose keep-alive interval and client timeout come from the "hub" profile.</summary>
public sealed class EchoHub : Hub
{
    /// <summary>Answers with the text and the keep-alive settings of the connection the call arrived on.</summary>
    /// <param name="text">Any text.</param>
    /// <returns>The text, and the inbound connection's settings read back from the kernel.</returns>
    public string Echo(string text) =>
        Context.GetHttpContext()?.Features.Get<IKeepAliveConnectionFeature>() is { } connection
            ? $"{text}' on a connection with profile '{connection.ProfileName}': {connection.Settings}"
            : $"{text}' on a connection without a keep-alive profile";
}
