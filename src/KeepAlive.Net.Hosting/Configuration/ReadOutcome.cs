namespace KeepAlive.Net.Hosting.Configuration;

/// <summary>What reading one configuration value found.</summary>
internal enum ReadOutcome
{
    /// <summary>A valid value.</summary>
    Accepted,

    /// <summary>A value of the right kind outside its declared range: set, and reported if the options' validator refuses it.</summary>
    OutOfRange,

    /// <summary>Not a value of the key's kind (or too large for it): not set, always reported.</summary>
    Refused,
}
