using System.ComponentModel.DataAnnotations;

namespace KeepAlive.Net.Hosting;

/// <summary>
/// One named keep-alive profile, bound from a configuration section such as
/// <c>KeepAlive:Profiles:payments</c> that holds a <c>Tcp</c> subsection.
/// </summary>
/// <remarks>
/// Profiles are named options: read them through <see cref="IKeepAliveProfiles"/> or
/// <c>IOptionsMonitor&lt;KeepAliveProfileOptions&gt;.Get(name)</c>. When the configuration reloads,
/// connections configured afterwards get the new values; connections configured before keep theirs,
/// because the kernel holds keep-alive settings per socket.
/// </remarks>
public class KeepAliveProfileOptions
{
    /// <summary>The name of the profile used by the overloads that take no profile name.</summary>
    public const string DefaultProfileName = "default";

    /// <summary>Gets or sets the operating-system TCP keep-alive settings of the profile.</summary>
    /// <value>The default value is a <see cref="TcpKeepAliveOptions"/> with its own defaults (30 s idle, 10 s interval, 3 probes).</value>
    [Required]
    public TcpKeepAliveOptions Tcp { get; set; } = new();
}
