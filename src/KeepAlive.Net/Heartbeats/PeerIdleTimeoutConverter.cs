using System.ComponentModel;
using System.Globalization;

namespace KeepAlive.Net.Heartbeats;

/// <summary>Binds <see cref="PeerIdleTimeout"/> from configuration: a preset name or a time.</summary>
internal sealed class PeerIdleTimeoutConverter : TypeConverter
{
    public override bool CanConvertFrom(ITypeDescriptorContext? context, Type sourceType) =>
        sourceType == typeof(string) || sourceType == typeof(TimeSpan) || base.CanConvertFrom(context, sourceType);

    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) => value switch
    {
        string text => PeerIdleTimeout.Parse(text),
        TimeSpan time => new PeerIdleTimeout(time),
        _ => base.ConvertFrom(context, culture, value),
    };

    public override object? ConvertTo(ITypeDescriptorContext? context, CultureInfo? culture, object? value, Type destinationType) =>
        destinationType == typeof(string) && value is PeerIdleTimeout timeout
            ? timeout.PresetName ?? timeout.Value.ToString("c", CultureInfo.InvariantCulture)
            : base.ConvertTo(context, culture, value, destinationType);
}
