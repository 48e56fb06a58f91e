namespace KeepAlive.Net.Hosting.Health;
/// <summary>A <c>Health</c> section found beside the profiles by <c>services.AddKeepAlive(configuration.GetSection("KeepAlive"))</c>.</summary>
/// <param name="Path">Its configuration path, e.g. <c>KeepAlive:Health</c>.</param>
internal sealed record KeepAliveHealthSection(string Path);
