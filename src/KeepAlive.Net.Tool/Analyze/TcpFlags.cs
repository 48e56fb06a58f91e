namespace KeepAlive.Net.Tool.Analyze;

/// <summary>The TCP flags the analysis looks at.</summary>
[Flags]
internal enum TcpFlags
{
    None = 0,
    Fin = 1,
    Syn = 2,
    Rst = 4,
    Ack = 16,
}
