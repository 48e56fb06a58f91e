using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>The data-annotation rules of <see cref="KeepAliveProfileOptions"/>, generated at compile time (no reflection).</summary>
[OptionsValidator]
internal sealed partial class KeepAliveProfileAnnotationsValidator : IValidateOptions<KeepAliveProfileOptions>;
