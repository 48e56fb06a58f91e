namespace KeepAlive.Net.Hosting.Tests;

/// <summary>
/// The scheduler, refusing invalid options with the same message but no parameter name: what a rename of the scheduler's
/// parameter (or any <see cref="IHeartbeatScheduler"/> that words its refusal its own way) looks like to a caller.
/// </summary>
internal sealed class UnnamedRefusalScheduler(IHeartbeatScheduler inner) : IHeartbeatScheduler
{
    public HeartbeatRegistration Register(HeartbeatOptions options, Func<HeartbeatContext, ValueTask> sendHeartbeat)
    {
        try
        {
            return inner.Register(options, sendHeartbeat);
        }
        catch (ArgumentException refused) when (refused is not ArgumentNullException)
        {
            throw new ArgumentException(refused.Message, refused);
        }
    }
}
