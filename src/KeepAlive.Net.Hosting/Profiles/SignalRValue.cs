namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>One keep-alive value SignalR gets from a profile, and the profile key it comes from (<see langword="null"/>: SignalR's own default).</summary>
internal readonly record struct SignalRValue(TimeSpan Value, string? Key);
