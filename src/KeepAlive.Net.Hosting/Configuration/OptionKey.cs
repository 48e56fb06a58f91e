using System.Globalization;
using System.Reflection;

namespace KeepAlive.Net.Hosting.Configuration;

/// <summary>
/// One configuration key of an options type: the public property it sets, how its text is read, and its range (the
/// <see cref="KeepAliveRangeAttribute"/> on the property, the one declaration the validators and the tool use too).
/// Reading refuses what .NET's binder would silently accept: a bare number as a duration (ten days to the binder), a
/// number or a comma-joined list for an enumeration, a value outside its range.
/// </summary>
internal sealed class OptionKey
{
    private readonly PropertyInfo _property;
    private readonly Type _type;

    public OptionKey(PropertyInfo property)
    {
        _property = property;
        _type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        IsOptional = _type != property.PropertyType;
        Range = property.GetCustomAttribute<KeepAliveRangeAttribute>();
        var supported = _type == typeof(bool) || _type == typeof(string) || _type.IsEnum || _type == typeof(PeerIdleTimeout)
            || ((_type == typeof(TimeSpan) || _type == typeof(int) || _type == typeof(double)) && Range is not null);
        if (!supported)
        {
            throw new NotSupportedException(
                $"{property.DeclaringType?.Name}.{property.Name} ({_type.Name}) cannot be read from configuration: durations and numbers need a [KeepAliveRange] that declares their range and why; other types need a reader in {nameof(OptionKey)}.");
        }
    }

    /// <summary>Gets the key, the property's name.</summary>
    public string Name => _property.Name;

    /// <summary>Gets the declared range, or <see langword="null"/> for keys without one (switches, names, choices).</summary>
    public KeepAliveRangeAttribute? Range { get; }

    /// <summary>Gets a value indicating whether the key may be unset: an empty value (or JSON null) then means unset.</summary>
    public bool IsOptional { get; }

    public object? GetValue(object target) => _property.GetValue(target);

    public void SetValue(object target, object? value) => _property.SetValue(target, value);

    /// <summary>Reads the key's text.</summary>
    /// <param name="text">The text as configured.</param>
    /// <param name="value">The value, boxed (<see langword="null"/> for an empty optional key), when it is accepted or only out of range.</param>
    /// <param name="error">Why it is refused, with the fix, starting with the text as written.</param>
    /// <returns>
    /// Whether the text is accepted, a value of the right kind outside its range (the value is given, so the options'
    /// validator, which knows whether the value applies at all, decides: <c>Tcp</c> values are not checked while
    /// <c>Tcp:Enabled</c> is false), or not a value of the key's kind at all.
    /// </returns>
    public ReadOutcome Read(string text, out object? value, out string? error)
    {
        value = null;
        error = null;
        if (text.Length == 0)
        {
            error = IsOptional ? null : "is empty. Fix: write a value or remove the key to keep the default; see docs/CONFIGURATION.md.";
            return IsOptional ? ReadOutcome.Accepted : ReadOutcome.Refused;
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            // Only spaces: a name of " " in logs and metric tags reads as none, and no other kind of value parses from it.
            error = "is blank (only white space). Fix: write a value or remove the key to keep the default; see docs/CONFIGURATION.md.";
            return ReadOutcome.Refused;
        }

        if (_type == typeof(TimeSpan))
        {
            return Outcome(Range!.TryParse(text, out TimeSpan time, out error) || KeepAliveDuration.TryParse(text, out time, out _), error, time, out value);
        }

        if (_type == typeof(int))
        {
            return Outcome(Range!.TryParse(text, out int whole, out error) || int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out whole), error, whole, out value);
        }

        if (_type == typeof(double))
        {
            return Outcome(Range!.TryParse(text, out double number, out error) || (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out number) && double.IsFinite(number)), error, number, out value);
        }

        if (_type == typeof(PeerIdleTimeout))
        {
            var peer = default(PeerIdleTimeout);
            var parsed = PeerIdleTimeout.TryParse(text, out peer, out error);
            if (!parsed && KeepAliveDuration.TryParse(text, out var time, out _))
            {
                (parsed, peer) = (true, new PeerIdleTimeout(time));
            }

            return Outcome(parsed, error, peer, out value);
        }

        if (_type == typeof(bool))
        {
            var isBool = bool.TryParse(text, out var flag);
            error = isBool ? null : $"'{text}' is not true or false. Fix: write true or false.";
            return Outcome(isBool, error, flag, out value);
        }

        return _type.IsEnum ? ReadChoice(text, out value, out error) : Outcome(true, null, text, out value);
    }

    /// <summary>Checks the current value of a key set in code against its range.</summary>
    /// <returns>The message, starting with the key's name and value, or <see langword="null"/> when it is accepted.</returns>
    public string? CheckRange(object target) => Range?.Check(Name, GetValue(target));

    // Parsed with an error: a value of the right kind outside its range.
    private static ReadOutcome Outcome(bool parsed, string? error, object read, out object? value)
    {
        value = parsed ? read : null;
        return !parsed ? ReadOutcome.Refused : error is null ? ReadOutcome.Accepted : ReadOutcome.OutOfRange;
    }

    // Exactly one of the names (case-insensitive): Enum.TryParse would also take "1", "+1" and "WhenIdle,FixedRate".
    private ReadOutcome ReadChoice(string text, out object? value, out string? error)
    {
        var names = Enum.GetNames(_type);
        var trimmed = text.Trim();
        var name = names.FirstOrDefault(n => string.Equals(n, trimmed, StringComparison.OrdinalIgnoreCase));
        value = name is null ? null : Enum.Parse(_type, name);
        error = name is not null ? null
            : $"'{text}' is not one of {string.Join(", ", names)}{(trimmed.Contains(',', StringComparison.Ordinal) ? " (it takes one name, not a list)" : string.Empty)}.{ClosestName.Suggest(trimmed, names)} Fix: write {string.Join(" or ", names)}.";
        return name is null ? ReadOutcome.Refused : ReadOutcome.Accepted;
    }
}
