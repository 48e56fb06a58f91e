using Grpc.Core;

namespace KeepAlive.Net.Grpc.Tests;

/// <summary>The test service: answers with the text and the id of the server connection the call arrived on.</summary>
internal sealed class EchoService : Echo.EchoBase
{
    public override Task<EchoReply> Say(EchoRequest request, ServerCallContext context) =>
        Task.FromResult(new EchoReply { Text = request.Text, Connection = context.GetHttpContext().Connection.Id });
}
