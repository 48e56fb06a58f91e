using System.Globalization;

namespace KeepAlive.Net.Tool.Check;

/// <summary>A <c>HOST:PORT</c> argument: <c>example.com:443</c>, <c>10.0.0.2:5000</c> or <c>[::1]:80</c>.</summary>
internal sealed record HostAndPort(string Host, int Port)
{
    public static HostAndPort Parse(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1
            || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new ToolInputException($"'{text}' is not HOST:PORT. Write it as example.com:443, 10.0.0.2:5000 or [::1]:80 (port 1-65535).");
        }

        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        return new HostAndPort(host, port);
    }

    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
