using System.Globalization;
using System.Net;

namespace KeepAlive.Net.Tool.Check;

/// <summary>A <c>HOST:PORT</c> argument: <c>example.com:443</c>, <c>10.0.0.2:5000</c> or <c>[::1]:80</c>.</summary>
internal sealed record HostAndPort(string Host, int Port)
{
    private const string Forms = "example.com:443, 10.0.0.2:5000 or [::1]:80 (port 1-65535)";

    /// <exception cref="ToolInputException">The text is not HOST:PORT; the message shows the forms, and for an IPv6 address the brackets.</exception>
    public static HostAndPort Parse(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.Contains("://", StringComparison.Ordinal) && Uri.TryCreate(trimmed, UriKind.Absolute, out var url) && url.Host.Length > 0)
        {
            // A pasted URL: its scheme's colon would otherwise read as an IPv6 address's. Its port, or its scheme's.
            var meant = url.Port > 0 ? new HostAndPort(url.Host.Trim('[', ']'), url.Port).ToString() : $"{url.Host}:PORT";
            throw new ToolInputException($"'{text}' is a URL, not HOST:PORT. Fix: give its host and port, {meant}.");
        }

        string host;
        string port;
        if (trimmed.StartsWith('['))
        {
            var close = trimmed.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close == trimmed.Length - 1 || trimmed[close + 1] != ':')
            {
                throw new ToolInputException($"'{text}' has no port. Write an IPv6 address in brackets followed by the port, e.g. {(close > 0 ? trimmed[..(close + 1)] : "[::1]")}:443.");
            }

            (host, port) = (trimmed[1..close], trimmed[(close + 2)..]);
        }
        else if (trimmed.Count(static c => c == ':') > 1)
        {
            // "::1" would otherwise read as host ":" and port 1: an IPv6 address needs brackets to carry a port.
            // The address as written (IPAddress would print "::1:80" as "::0.1.0.128"), and when its last group can be a
            // port after an address ("::1:80"), the form that was probably meant.
            var address = IPAddress.TryParse(trimmed, out _);
            var last = trimmed.LastIndexOf(':');
            var meant = address && IPAddress.TryParse(trimmed[..last], out _) && int.TryParse(trimmed[(last + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var meantPort) && meantPort is >= 1 and <= 65535
                ? $", or [{trimmed[..last]}]:{meantPort} if {meantPort} is the port"
                : string.Empty;
            throw new ToolInputException($"'{text}' looks like an IPv6 address{(address ? " without a port" : string.Empty)}. Write it in brackets followed by the port, e.g. {(address ? $"[{trimmed}]:443" : "[2001:db8::1]:443")}{meant}.");
        }
        else
        {
            var colon = trimmed.LastIndexOf(':');
            (host, port) = colon < 0 ? (trimmed, string.Empty) : (trimmed[..colon], trimmed[(colon + 1)..]);
        }

        if (host.Length == 0 || !int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535)
        {
            throw new ToolInputException($"'{text}' is not HOST:PORT. Write it as {Forms}.");
        }

        if (host.Contains(':', StringComparison.Ordinal) && !IPAddress.TryParse(host, out _))
        {
            throw new ToolInputException($"'{text}': '{host}' in brackets is not an IPv6 address. Write it as {Forms}.");
        }

        return new HostAndPort(host, number);
    }

    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
