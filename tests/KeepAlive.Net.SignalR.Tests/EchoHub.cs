using Microsoft.AspNetCore.SignalR;

namespace KeepAlive.Net.SignalR.Tests;

/// <summary>The test hub: answers with the text and the id of the server connection the call arrived on.</summary>
internal sealed class EchoHub : Hub
{
    public string Echo(string text) => $"{text} on {Context.GetHttpContext()?.Connection.Id}";
}
