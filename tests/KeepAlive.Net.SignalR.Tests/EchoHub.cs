using Microsoft.AspNetCore.SignalR;

namespace KeepAlive.Net.SignalR.Tests;

/// <summary>The test hub: answers with the text and the id of the server connection the call arrived on.</summary>
internal sealed class EchoHub : Hub
{
    public string Echo(string text) => $"{text} on {Context.GetHttpContext()?.Connection.Id}";

    /// <summary>The headers the connection's request (for a WebSocket, its upgrade request) carried that SignalR's client sets.</summary>
    public string ClientHeaders() => Context.GetHttpContext() is { } http
        ? $"User-Agent: {http.Request.Headers.UserAgent}; X-Requested-With: {http.Request.Headers.XRequestedWith}"
        : "no HTTP context";
}
