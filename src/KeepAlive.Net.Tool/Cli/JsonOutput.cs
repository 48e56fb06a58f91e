using System.Text.Encodings.Web;
using System.Text.Json;

namespace KeepAlive.Net.Tool.Cli;

/// <summary>How every <c>--json</c> is written: one indented object, readable characters kept as they are, times in seconds, absent values as null.</summary>
internal static class JsonOutput
{
    /// <summary>The option that asks a command for JSON.</summary>
    public const string OptionName = "--json";

    /// <summary>The <see cref="OptionName"/> option, as every command that has it declares it: one name, one description.</summary>
    public static System.CommandLine.Option<bool> Option() => new(OptionName)
    {
        Description = "Print one JSON object for scripts instead of tables and text (progress and warnings go to standard error).",
    };

    public static void Write(TextWriter output, Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            write(json);
            json.WriteEndObject();
        }

        output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }

    /// <summary>Seconds, to the microsecond.</summary>
    public static void Seconds(this Utf8JsonWriter json, string name, double? seconds)
    {
        if (seconds is { } s)
        {
            json.WriteNumber(name, Math.Round(s, 6));
        }
        else
        {
            json.WriteNull(name);
        }
    }

    /// <summary>Seconds, to the millisecond (values read from the kernel in milliseconds, and probe-idle's silences).</summary>
    public static void Seconds(this Utf8JsonWriter json, string name, TimeSpan? value) =>
        json.Seconds(name, value is { } v ? Math.Round(v.TotalSeconds, 3) : null);

    public static void StringOrNull(this Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    public static void BooleanOrNull(this Utf8JsonWriter json, string name, bool? value)
    {
        if (value is { } v)
        {
            json.WriteBoolean(name, v);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    public static void NumberOrNull(this Utf8JsonWriter json, string name, long? value)
    {
        if (value is { } v)
        {
            json.WriteNumber(name, v);
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
