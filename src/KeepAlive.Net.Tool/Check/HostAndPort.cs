using System.CommandLine;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using KeepAlive.Net.Tool.Cli;

namespace KeepAlive.Net.Tool.Check;

/// <summary>A <c>HOST:PORT</c> argument: <c>example.com:443</c>, <c>10.0.0.2:5000</c> or <c>[::1]:80</c>.</summary>
internal sealed record HostAndPort(string Host, int Port)
{
    /// <summary>The argument as its refusals name it.</summary>
    public const string Name = "HOST:PORT";

    /// <summary>The <c>endpoint</c> argument of <c>check</c> and <c>probe-idle</c>, refused as it is parsed (exit code 2) in the words of <see cref="TryParse"/>.</summary>
    /// <param name="description">What the command does with it.</param>
    public static Argument<HostAndPort> Argument(string description) => new("endpoint")
    {
        Description = description,
        CustomParser = static result =>
        {
            if (TryParse(Durations.Text(result), out var target, out var error))
            {
                return target;
            }

            result.AddError(error);
            return null!;
        },
    };

    /// <exception cref="ToolInputException">The text is not HOST:PORT; the message is <see cref="TryParse"/>'s.</exception>
    public static HostAndPort Parse(string text) => TryParse(text, out var target, out var error) ? target : throw new ToolInputException(error);

    /// <summary>
    /// Reads HOST:PORT. A refusal is one sentence in one wording, <c>HOST:PORT: 'VALUE' PROBLEM. Fix: FIX.</c>: the argument,
    /// the value as typed, what is wrong with it, and a value of the right form built from what was typed.
    /// </summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out HostAndPort? target, [NotNullWhen(false)] out string? error)
    {
        target = Read(text.Trim(), out var problem, out var fix);
        error = target is null ? $"{Name}: '{text}' {problem}. Fix: {fix}." : null;
        return target is not null;
    }

    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    private static HostAndPort? Read(string text, out string problem, out string fix)
    {
        if (text.Length == 0)
        {
            return Refuse("is empty", "give the host and port to connect to, e.g. example.com:443", out problem, out fix);
        }

        if (text.Contains("://", StringComparison.Ordinal) && Uri.TryCreate(text, UriKind.Absolute, out var url) && url.Host.Length > 0)
        {
            // A pasted URL: its scheme's colon would otherwise read as an IPv6 address's. Its port, or its scheme's.
            var meant = url.Port > 0 ? new HostAndPort(url.Host.Trim('[', ']'), url.Port).ToString() : $"{url.Host}:PORT";
            return Refuse("is a URL, not HOST:PORT", $"give its host and port, {meant}", out problem, out fix);
        }

        string host;
        string port;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            host = close < 0 ? text[1..] : text[1..close];
            var example = IsIPv6(host) ? $"[{host}]:443" : "[::1]:443";
            if (close < 0)
            {
                return Refuse("has no closing bracket", $"close the brackets and write the port after them, e.g. {example}", out problem, out fix);
            }

            if (close == text.Length - 1 || text[close + 1] != ':' || close == text.Length - 2)
            {
                return Refuse(close < text.Length - 2 ? $"has '{text[(close + 1)..]}' after the brackets, not :PORT" : "has no port", $"write the port after the brackets, e.g. {example}", out problem, out fix);
            }

            port = text[(close + 2)..];
            if (!IsIPv6(host))
            {
                var shown = PortNumber(port) is { } number ? number.ToString(CultureInfo.InvariantCulture) : "443";
                return Refuse($"has '{host}' in brackets, which is not an IPv6 address",
                    host.Contains(':', StringComparison.Ordinal) ? $"write an IPv6 address in the brackets, e.g. [2001:db8::1]:{shown}" : $"brackets are for IPv6 addresses only; write {host}:{shown}",
                    out problem, out fix);
            }
        }
        else if (text.Count(static c => c == ':') > 1)
        {
            // "::1" would otherwise read as host ":" and port 1: an IPv6 address needs brackets to carry a port.
            // The address as written (IPAddress would print "::1:80" as "::0.1.0.128"), and when its last group can be a
            // port after an address ("::1:80"), the form that was probably meant.
            var address = IPAddress.TryParse(text, out _);
            var last = text.LastIndexOf(':');
            var meant = address && IPAddress.TryParse(text[..last], out _) && PortNumber(text[(last + 1)..]) is { } meantPort
                ? $", or [{text[..last]}]:{meantPort} if {meantPort} is the port"
                : string.Empty;
            return Refuse($"looks like an IPv6 address{(address ? " without a port" : string.Empty)}",
                $"write it in brackets followed by the port, e.g. {(address ? $"[{text}]:443" : "[2001:db8::1]:443")}{meant}", out problem, out fix);
        }
        else
        {
            var colon = text.LastIndexOf(':');
            (host, port) = colon < 0 ? (text, string.Empty) : (text[..colon], text[(colon + 1)..]);
            if (host.Length == 0)
            {
                var shown = PortNumber(port) is { } number ? number.ToString(CultureInfo.InvariantCulture) : "443";
                return Refuse("has no host", $"write the host before the port, e.g. example.com:{shown} or 10.0.0.2:{shown}", out problem, out fix);
            }

            if (port.Length == 0)
            {
                return Refuse("has no port", $"add the port after a colon, e.g. {host}:443", out problem, out fix);
            }
        }

        var suggestion = new HostAndPort(host, 443);
        if (PortNumber(port) is { } valid)
        {
            (problem, fix) = (string.Empty, string.Empty);
            return new HostAndPort(host, valid);
        }

        return port.All(char.IsAsciiDigit)
            ? Refuse($"has port {port}, outside 1 to 65535", $"give a port from 1 to 65535, e.g. {suggestion}", out problem, out fix)
            : Refuse($"has port '{port}', which is not a port number", $"give the port as a number from 1 to 65535, e.g. {suggestion}", out problem, out fix);
    }

    /// <summary>A port written as digits only, 1 to 65535; otherwise <see langword="null"/>.</summary>
    private static int? PortNumber(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is >= 1 and <= 65535 ? number : null;

    private static bool IsIPv6(string text) => IPAddress.TryParse(text, out var address) && address.AddressFamily == AddressFamily.InterNetworkV6;

    private static HostAndPort? Refuse(string what, string how, out string problem, out string fix)
    {
        (problem, fix) = (what, how);
        return null;
    }
}
