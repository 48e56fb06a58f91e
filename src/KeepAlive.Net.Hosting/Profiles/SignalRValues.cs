namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>The keep-alive values SignalR gets from a profile (<see cref="SignalRProfileRules.Resolve"/>).</summary>
internal readonly record struct SignalRValues(SignalRValue KeepAliveInterval, SignalRValue ServerTimeout, SignalRValue ClientTimeoutInterval);
