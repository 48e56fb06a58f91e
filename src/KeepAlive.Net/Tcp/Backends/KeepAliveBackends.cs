namespace KeepAlive.Net.Tcp.Backends;

/// <summary>The backend of each platform.</summary>
internal static class KeepAliveBackends
{
    private static readonly IKeepAliveBackend Linux = new SocketOptionKeepAliveBackend(NativeOptionNames.Linux);
    private static readonly IKeepAliveBackend MacOS = new SocketOptionKeepAliveBackend(NativeOptionNames.MacOS);
    private static readonly IKeepAliveBackend FreeBsd = new SocketOptionKeepAliveBackend(NativeOptionNames.FreeBsd);
    private static readonly IKeepAliveBackend Windows = new SocketOptionKeepAliveBackend(NativeOptionNames.Windows);
    private static readonly IKeepAliveBackend WindowsLegacy = new WindowsLegacyKeepAliveBackend();
    private static readonly IKeepAliveBackend Portable = new PortableKeepAliveBackend();

    public static IKeepAliveBackend For(KeepAlivePlatform platform) => platform switch
    {
        KeepAlivePlatform.Linux => Linux,
        KeepAlivePlatform.MacOS => MacOS,
        KeepAlivePlatform.FreeBsd => FreeBsd,
        KeepAlivePlatform.Windows => Windows,
        KeepAlivePlatform.WindowsLegacy => WindowsLegacy,
        _ => Portable,
    };
}
