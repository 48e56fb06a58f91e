using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using KeepAlive.Net.Hosting;
using KeepAlive.Net.Tool.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Tool.Tests.Cli;

/// <summary>
/// One range per value: every option with a declared <see cref="KeepAliveRangeAttribute"/> (every profile section and
/// the health check's thresholds, found by reflection, so a new option is covered the day it is added), tried at the
/// edges of its range, is accepted or refused alike by each entry point: the core validator (Tcp, Heartbeat), the
/// validation of a value set in code, the configuration reader and the tool's flag where one exists, and every refusal
/// states the same limit, reason and fix.
/// </summary>
public sealed class OneRangeTests
{
    // The tool's flags and the profile values they set.
    private static readonly Dictionary<string, string> Flags = new()
    {
        ["Tcp:IdleTime"] = "--idle",
        ["Tcp:Interval"] = "--interval",
        ["Tcp:ProbeCount"] = "--count",
        ["Tcp:UserTimeout"] = "--user-timeout",
        ["Heartbeat:PeerIdleTimeout"] = "--peer-idle-timeout",
    };

    private static readonly string[] RangePhrases = [" is below the floor of ", " is above the ceiling of ", " is not above the floor of ", " is not below the ceiling of "];

    public static TheoryData<string> RangedOptions => [.. RangedOption.All().Select(static o => o.Setting)];

    [Fact]
    public void RangedOptions_CoverEverySectionAndEveryFlag()
    {
        var settings = RangedOption.All().Select(static o => o.Setting).ToList();

        settings.Select(static s => s.Split(':')[0]).Distinct().Should().BeEquivalentTo("Tcp", "Heartbeat", "Http", "WebSocket", "SignalR", "Health");
        settings.Should().Contain(Flags.Keys).And.HaveCountGreaterThan(20);
    }

    [Theory]
    [InlineData("check", "127.0.0.1:1", "--hold", "500ms")]
    [InlineData("analyze", "capture.pcap", "--heartbeat-interval", "0s")]
    [InlineData("analyze", "capture.pcap", "--heartbeat-interval", "8d")]
    [InlineData("analyze", "capture.pcap", "--idle-timeout", "0s")]
    [InlineData("analyze", "capture.pcap", "--idle-timeout", "8d")]
    [InlineData("probe-idle", "127.0.0.1:1", "--max", "500ms")]
    [InlineData("probe-idle", "127.0.0.1:1", "--max", "2d")]
    [InlineData("probe-idle", "127.0.0.1:1", "--resolution", "1ms")]
    [InlineData("probe-idle", "127.0.0.1:1", "--resolution", "2h")]
    [InlineData("probe-idle", "127.0.0.1:1", "--connections", "0")]
    [InlineData("probe-idle", "127.0.0.1:1", "--connections", "65")]
    public async Task ToolOnlyFlags_OutsideTheirRange_SayWhyBeforeTheFix(string command, string target, string flag, string value)
    {
        // The flags that set no profile value declare their ranges in the tool; each edge needs its reason, or the
        // refusal reads "below the floor of 1s:  Fix: ...".
        var (exitCode, _, error) = await ToolRun.InProcessAsync(command, target, flag, value);

        exitCode.Should().Be(2);
        var refusal = error.Split('\n')[0];
        refusal.Should().StartWith($"{flag}: '{value}' is ").And.Contain(" Fix: set it to ");
        refusal[(refusal.IndexOf(": ", flag.Length + 2, StringComparison.Ordinal) + 2)..refusal.IndexOf(" Fix: ", StringComparison.Ordinal)]
            .Trim().Should().NotBeEmpty("the refusal says why the value is out of range: {0}", refusal);
    }

    [Theory]
    [MemberData(nameof(RangedOptions))]
    public async Task EntryPoints_EdgesOfTheDeclaredRange_AcceptAndRefuseAlikeWithTheSameLimit(string setting)
    {
        var option = RangedOption.All().Single(o => o.Setting == setting);
        foreach (var (value, text, accepted) in option.Edges())
        {
            var declared = option.Range.Check(option.Key, option.Box(value));
            (declared is null).Should().Be(accepted, $"{setting} {text} is {(accepted ? "inside" : "outside")} {option.Range}");
            var limit = declared?[(declared.IndexOf(" is ", StringComparison.Ordinal) + 1)..];

            var entryPoints = new List<(string Name, IReadOnlyList<string> Messages)>
            {
                ("set in code", option.ValidateInCode(value)),
                ("configuration", option.ReadFromConfiguration(text)),
            };
            if (option.CoreValidator(value) is { } core)
            {
                entryPoints.Add(("core validator", core));
            }

            if (Flags.TryGetValue(setting, out var flag))
            {
                var (_, _, error) = await ToolRun.InProcessAsync("show", flag, text);
                entryPoints.Add(($"keepalive show {flag}", [.. error.Split('\n').Where(l => l.StartsWith($"{flag} ({setting}): ", StringComparison.Ordinal))]));
            }

            foreach (var (name, messages) in entryPoints)
            {
                var refusals = messages.Where(static m => RangePhrases.Any(m.Contains)).ToList();
                if (accepted)
                {
                    refusals.Should().BeEmpty($"{setting} = {text} is inside {option.Range}, and {name} must accept it");
                }
                else
                {
                    refusals.Should().ContainSingle($"{setting} = {text} is outside {option.Range}, and {name} must refuse it once")
                        .Which.Should().Contain(limit!, $"{name} must state the declared limit, reason and fix");
                }
            }
        }
    }

    public static TheoryData<string> RangedDurations => [.. RangedOption.All().Where(static o => o.Range.IsDuration).Select(static o => o.Setting)];

    [Theory]
    [MemberData(nameof(RangedDurations))]
    public async Task BareNumber_EveryValueTheAdviceSuggests_IsInsideTheOptionsRange(string setting)
    {
        // A bare number is refused with readings to write instead ("0s" for seconds, "0ms" for milliseconds...): a reading
        // the same option then refuses ("show --idle 0" advised "0s", below --idle's floor of 1s) sends the user round in circles.
        var option = RangedOption.All().Single(o => o.Setting == setting);
        foreach (var number in new[] { "0", "1", "30", "0.5", "100000" })
        {
            var refusals = new List<(string Name, string Message)>();
            refusals.AddRange(option.ReadFromConfiguration(number).Select(static m => ("configuration", m)));
            if (Flags.TryGetValue(setting, out var flag))
            {
                var (_, _, error) = await ToolRun.InProcessAsync("show", flag, number);
                refusals.Add(($"keepalive show {flag}", error.Split('\n')[0]));
            }

            foreach (var (name, message) in refusals)
            {
                message.Should().Contain($"'{number}' has no unit", $"{name} refuses a bare number").And.Contain(" Fix: ");
                foreach (var suggested in Regex.Matches(message, "\"([^\"]+)\"").Select(static m => m.Groups[1].Value))
                {
                    option.Range.TryParse(suggested, out TimeSpan _, out var refusal).Should()
                        .BeTrue($"{name} suggests \"{suggested}\" for {setting} = {number}, which {option.Range} must accept ({refusal}): {message}");
                }
            }
        }
    }

    private sealed record RangedOption(string Section, PropertyInfo Property, KeepAliveRangeAttribute Range)
    {
        public string Key => Property.Name;

        public string Setting => $"{Section}:{Key}";

        private bool IsHealth => Section == "Health";

        public static IEnumerable<RangedOption> All()
        {
            var sections = typeof(KeepAliveProfileOptions).GetProperties().Select(static p => (p.Name, p.PropertyType))
                .Append(("Health", typeof(KeepAliveHealthCheckOptions)));
            return from section in sections
                   from property in section.Item2.GetProperties()
                   let range = property.GetCustomAttribute<KeepAliveRangeAttribute>()
                   where range is not null
                   select new RangedOption(section.Item1, property, range);
        }

        /// <summary>The values just outside, at and just inside each end, with their text and whether the range takes them.</summary>
        public IEnumerable<(double Value, string Text, bool Accepted)> Edges()
        {
            var (min, max, step) = Range.IsDuration
                ? (KeepAliveDuration.Parse(Range.Minimum).Ticks, KeepAliveDuration.Parse(Range.Maximum).Ticks, TimeSpan.TicksPerMillisecond)
                : (double.Parse(Range.Minimum, CultureInfo.InvariantCulture), double.Parse(Range.Maximum, CultureInfo.InvariantCulture), Whole ? 1 : 0.001);
            var values = new[] { min - step, min, min + step, max - step, max, max + step }.Append(Range.ZeroMeans is null ? min : 0).Distinct();
            foreach (var value in values)
            {
                var inside = (Range.MinimumIsExclusive ? value > min : value >= min) && (Range.MaximumIsExclusive ? value < max : value <= max);
                yield return (value, Text(value), inside || (Range.ZeroMeans is not null && value == 0));
            }
        }

        public object Box(double value)
        {
            var type = Nullable.GetUnderlyingType(Property.PropertyType) ?? Property.PropertyType;
            return type == typeof(TimeSpan) ? TimeSpan.FromTicks((long)value)
                : type == typeof(PeerIdleTimeout) ? new PeerIdleTimeout(TimeSpan.FromTicks((long)value))
                : type == typeof(int) ? (object)(int)value
                : value;
        }

        /// <summary>TcpKeepAliveValidator or HeartbeatOptionsValidator on the value alone, named by the option.</summary>
        public List<string>? CoreValidator(double value)
        {
            var errors = Section switch
            {
                "Tcp" => TcpKeepAliveValidator.Validate(Set(new TcpKeepAliveOptions(), value)),
                "Heartbeat" => HeartbeatOptionsValidator.Validate(Set(new HeartbeatOptions(), value)),
                _ => null,
            };
            return errors?.Where(e => e.OptionName == Key).Select(static e => e.Message).ToList();
        }

        /// <summary>A profile (or the health check) configured in code with the value, validated as the host does.</summary>
        public IReadOnlyList<string> ValidateInCode(double value)
        {
            var services = new ServiceCollection();
            if (IsHealth)
            {
                services.AddKeepAlive("payments", static _ => { });
                services.AddHealthChecks().AddKeepAlive(o => Set(o, value));
                return Failures(services, $"{nameof(KeepAliveHealthCheckOptions)}.{Key}: ");
            }

            services.AddKeepAlive("payments", o => Set(typeof(KeepAliveProfileOptions).GetProperty(Section)!.GetValue(o)!, value));
            return Failures(services, $"KeepAlive profile 'payments' (configured in code) {Setting}: ");
        }

        /// <summary>The value written in configuration, read and validated as the host does.</summary>
        public IReadOnlyList<string> ReadFromConfiguration(string text)
        {
            var path = IsHealth ? $"KeepAlive:Health:{Key}" : $"KeepAlive:Profiles:payments:{Setting}";
            var configuration = new ConfigurationBuilder().AddInMemoryCollection([new(path, text), new("KeepAlive:Profiles:payments:Tcp:Enabled", "true")]).Build();
            var services = new ServiceCollection().AddKeepAlive(configuration.GetSection("KeepAlive"));
            if (IsHealth)
            {
                services.AddHealthChecks().AddKeepAlive(configuration.GetSection("KeepAlive:Health"));
            }

            return Failures(services, path + ": ");
        }

        private bool Whole => (Nullable.GetUnderlyingType(Property.PropertyType) ?? Property.PropertyType) == typeof(int);

        private static IReadOnlyList<string> Failures(IServiceCollection services, string prefix)
        {
            using var provider = services.BuildServiceProvider();
            try
            {
                provider.GetRequiredService<IKeepAliveProfiles>().GetProfile("payments");
                _ = provider.GetService<IOptions<KeepAliveHealthCheckOptions>>()?.Value;
                return [];
            }
            catch (OptionsValidationException e)
            {
                return [.. e.Failures.Where(f => f.StartsWith(prefix, StringComparison.Ordinal))];
            }
        }

        private string Text(double value) => Range.IsDuration
            ? KeepAliveDuration.Format(TimeSpan.FromTicks((long)value))
            : value.ToString(CultureInfo.InvariantCulture);

        private T Set<T>(T target, double value)
            where T : notnull
        {
            Property.SetValue(target, Box(value));
            return target;
        }
    }
}
