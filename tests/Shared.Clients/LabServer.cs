namespace KeepAlive.Net.Tests.TestSupport;

/// <summary>
/// One routed lab (client namespace, conntrack NAT forgetting idle flows after <see cref="NatIdleTimeout"/>, server
/// namespace) and one real server in it, started on first use and shared by a test class; disposing it stops the server
/// and removes the lab (and everything still running in it).
/// </summary>
internal sealed class LabServer(Func<RoutedLab, ServerProcess> start) : IDisposable
{
    public static readonly TimeSpan NatIdleTimeout = TimeSpan.FromSeconds(2);
    private readonly Lock _lock = new();
    private RoutedLab? _lab;
    private ServerProcess? _server;

    public RoutedLab Lab => Start().Lab;

    public ServerProcess Server => Start().Server;

    public (RoutedLab Lab, ServerProcess Server) Start()
    {
        lock (_lock)
        {
            if (_lab is null)
            {
                var lab = RoutedLab.Create(natIdleTimeoutSeconds: (int)NatIdleTimeout.TotalSeconds);
                try
                {
                    _server = start(lab);
                }
                catch
                {
                    lab.Dispose();
                    throw;
                }

                _lab = lab;
            }

            return (_lab, _server!);
        }
    }

    public void Dispose()
    {
        _server?.Dispose();
        _lab?.Dispose();
    }
}
