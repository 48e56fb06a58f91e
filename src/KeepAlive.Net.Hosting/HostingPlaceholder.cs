namespace KeepAlive.Net.Hosting;

internal static class HostingPlaceholder;
