using KeepAlive.Net.Hosting.Clients;
using KeepAlive.Net.Hosting.Configuration;
using KeepAlive.Net.Hosting.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>
/// Validates every profile at start-up and at each reload, and reports every failure at once: what the configuration
/// reader refused, then each section's values (their ranges, the platform's limits through
/// <see cref="TcpKeepAliveValidator"/>, the rules within a section), then the rules across sections between values that
/// are each valid. Each failure names the configuration path of the setting, its value and the fix.
/// </summary>
internal sealed class KeepAliveProfileOptionsValidator : IValidateOptions<KeepAliveProfileOptions>
{
    private readonly Dictionary<string, KeepAliveProfileRegistration> _registrations;
    private readonly SectionBinding<KeepAliveProfileOptions>[] _bindings;
    private readonly KeepAliveCapabilities _capabilities;
    private readonly EmptyKeepAliveSection[] _emptySections = [];
    private readonly KeepAliveClientCheck[] _clients = [];
    private readonly HttpClientKeepAliveBinding.Registration[] _httpClients = [];
    private readonly IConfiguration? _configuration;

    public KeepAliveProfileOptionsValidator(IEnumerable<KeepAliveProfileRegistration> registrations, IEnumerable<SectionBinding<KeepAliveProfileOptions>> bindings, IEnumerable<EmptyKeepAliveSection> emptySections, IEnumerable<KeepAliveClientCheck> clients, IEnumerable<HttpClientKeepAliveBinding.Registration> httpClients, IConfiguration? configuration = null)
        : this(registrations, bindings, KeepAliveCapabilities.Current)
    {
        (_emptySections, _clients, _httpClients, _configuration) = ([.. emptySections], [.. clients], [.. httpClients], configuration);
    }

    internal KeepAliveProfileOptionsValidator(IEnumerable<KeepAliveProfileRegistration> registrations, IEnumerable<SectionBinding<KeepAliveProfileOptions>> bindings, KeepAliveCapabilities capabilities)
    {
        _registrations = KeepAliveProfileRegistration.Index(registrations);
        _bindings = [.. bindings];
        _capabilities = capabilities;
    }

    public ValidateOptionsResult Validate(string? name, KeepAliveProfileOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        name ??= Options.DefaultName;
        KeepAliveClientDescription[] libraries = [.. _clients.Where(c => c.Description is not null && c.Uses(name)).Select(static c => c.Description!)];
        if (!_registrations.TryGetValue(name, out var registration))
        {
            // Said with what asked for it (a client, an HttpClient) and where the registered profiles are listed, for the fix.
            string[] usedBy = [.. libraries.Select(static c => c.Who).Concat(_httpClients.Where(h => h.Uses(name)).Select(static h => h.Who)).Distinct()];
            return ValidateOptionsResult.Fail(KeepAliveProfileRegistration.NotRegisteredMessage(name, _registrations.Values.Select(static r => r.Name), emptySections: EmptyKeepAliveSection.DescribeAll(_emptySections, _configuration), usedBy: usedBy, profilesPath: KeepAliveProfileRegistration.ProfilesPath(_registrations.Values)));
        }

        // Messages follow the profile's sections, whoever found them: the reader or a validator.
        var sections = ProfileSections.All.Select(s => registration.Describe(s.Name) + ":").ToList();
        var report = new ValidationReport(_bindings.SelectMany(b => b.FailuresOf(options)), path => sections.FindIndex(s => path.StartsWith(s, StringComparison.OrdinalIgnoreCase)));
        var annotations = new KeepAliveProfileAnnotationsValidator().Validate(name, options);
        foreach (var failure in annotations.Failures ?? [])
        {
            report.AddGeneral($"{registration.Source}: {failure}");
        }

        // A profile a client library uses without Heartbeat:Interval is judged by the client's own heartbeat, not by the default it never sends.
        var usedByAClient = libraries.Length > 0;
        foreach (var section in ProfileSections.All)
        {
            if (section.Of(options) is { } values)
            {
                foreach (var error in section.Validate(values, _capabilities))
                {
                    if (usedByAClient && values is HeartbeatOptions heartbeat && KeepAliveClientRules.JudgesTheDefaultIntervalNotTheClients(heartbeat, error))
                    {
                        continue;
                    }

                    report.Add(registration.Describe($"{section.Name}:{error.OptionName}"), error.Message);
                }
            }
        }

        // The rules across sections, between values that are each valid.
        bool Valid(string setting) => !report.HasFailuresUnder(registration.Describe(setting));
        if (!annotations.Failed && Valid("Heartbeat:PeerIdleTimeout") && Valid("Heartbeat:MaxIntervalToPeerIdleRatio"))
        {
            if (Valid("Http") && Valid("WebSocket"))
            {
                foreach (var error in HttpProfileRules.CheckAgainstPeer(options))
                {
                    report.Add(registration.Describe(error.OptionName), error.Message);
                }
            }

            if (Valid("Tcp") && KeepAliveProfileRules.CheckTcpAgainstPeerIdleTimeout(options) is { } crossField)
            {
                report.Add(registration.Describe("Tcp:IdleTime"), crossField);
            }

            // A profile with a SignalR section is one SignalR uses: its values as SignalR gets them (with the Heartbeat mapping).
            if (SignalRProfileRules.IsSet(options.SignalR) && Valid("SignalR") && Valid("Heartbeat"))
            {
                foreach (var error in SignalRProfileRules.CheckAsUsed(options))
                {
                    report.Add(registration.Describe(error.OptionName), error.Message);
                }
            }
        }

        // A profile merged from several sources (appsettings.json and appsettings.Production.json): which one to fix.
        if (report.Messages.Count > 0 && ValueOrigin.Of(registration.Section, registration.ConfigurationPath, _configuration) is { } origin)
        {
            report.Annotate(origin);
        }

        return report.Messages.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(report.Messages);
    }
}
