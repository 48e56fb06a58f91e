using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Tests;

public sealed class ConfigurationBindingTests
{
    private const string TwoProfiles = """
        {
          "KeepAlive": {
            "Profiles": {
              "payments": { "Tcp": { "IdleTime": "00:00:30", "Interval": "00:00:05", "ProbeCount": 4 } },
              "default":  { "Tcp": { "IdleTime": "00:02:00", "Interval": "00:00:20", "ProbeCount": 5, "UserTimeout": "00:00:00", "Enabled": true } }
            }
          }
        }
        """;

    [Fact]
    public async Task AddKeepAlive_NamedSection_BindsTcpValues()
    {
        using var host = TestHosts.Build(TwoProfiles, (services, configuration) =>
            services.AddKeepAlive("payments", configuration.GetSection("KeepAlive:Profiles:payments")));
        await host.StartAsync(TestContext.Current.CancellationToken);

        var tcp = host.Services.GetRequiredService<IOptionsMonitor<KeepAliveProfileOptions>>().Get("payments").Tcp;

        tcp.IdleTime.Should().Be(TimeSpan.FromSeconds(30));
        tcp.Interval.Should().Be(TimeSpan.FromSeconds(5));
        tcp.ProbeCount.Should().Be(4);
        tcp.UserTimeout.Should().BeNull();
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task AddKeepAlive_WholeSection_BindsTwoProfilesSideBySide()
    {
        using var host = TestHosts.Build(TwoProfiles, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));
        await host.StartAsync(TestContext.Current.CancellationToken);
        var profiles = host.Services.GetRequiredService<IKeepAliveProfiles>();

        profiles.Names.Should().BeEquivalentTo("payments", "default");
        profiles.GetProfile("payments").Tcp.IdleTime.Should().Be(TimeSpan.FromSeconds(30));
        profiles.GetProfile("default").Tcp.IdleTime.Should().Be(TimeSpan.FromMinutes(2));
        profiles.GetProfile("default").Tcp.UserTimeout.Should().Be(TimeSpan.Zero);
        profiles.GetProfile("PAYMENTS").Tcp.ProbeCount.Should().Be(4, "profile names are case-insensitive like configuration keys");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AddKeepAlive_SameProfileInJsonAndCodeInAnotherCase_CodeRunsAfterTheBindingWhicheverCaseIsAsked(bool jsonFirst)
    {
        const string Json = """{ "KeepAlive": { "Profiles": { "Payments": { "Tcp": { "IdleTime": "30s", "ProbeCount": 4 } } } } }""";
        using var host = TestHosts.Build(Json, (services, configuration) =>
        {
            if (jsonFirst)
            {
                services.AddKeepAlive(configuration.GetSection("KeepAlive")).AddKeepAlive("payments", o => o.Tcp.IdleTime = TimeSpan.FromSeconds(45));
            }
            else
            {
                services.AddKeepAlive("payments", o => o.Tcp.IdleTime = TimeSpan.FromSeconds(45)).AddKeepAlive(configuration.GetSection("KeepAlive"));
            }
        });
        await host.StartAsync(TestContext.Current.CancellationToken);
        var profiles = host.Services.GetRequiredService<IKeepAliveProfiles>();
        var canonical = profiles.Names.Should().ContainSingle("one profile, written in two cases").Subject;

        foreach (var asked in new[] { "payments", "Payments", "PAYMENTS" })
        {
            var tcp = profiles.GetProfile(asked).Tcp;
            (tcp.IdleTime, tcp.ProbeCount).Should().Be((TimeSpan.FromSeconds(45), 4), "asked as '{0}', the code sets IdleTime after the JSON's ProbeCount is bound", asked);
        }

        var monitored = host.Services.GetRequiredService<IOptionsMonitor<KeepAliveProfileOptions>>().Get(canonical).Tcp;
        (monitored.IdleTime, monitored.ProbeCount).Should().Be((TimeSpan.FromSeconds(45), 4));
        canonical.Should().Be(jsonFirst ? "Payments" : "payments", "the first spelling registered is the profile's name");
    }

    [Fact]
    public async Task AddKeepAlive_CodeProfiles_UseActionAndDefaults()
    {
        using var host = TestHosts.Build("{}", (services, _) => services
            .AddKeepAlive(o => o.Tcp.IdleTime = TimeSpan.FromSeconds(45))
            .AddKeepAlive("bulk", o => o.Tcp.ProbeCount = 7));
        await host.StartAsync(TestContext.Current.CancellationToken);
        var profiles = host.Services.GetRequiredService<IKeepAliveProfiles>();

        profiles.GetProfile(KeepAliveProfileOptions.DefaultProfileName).Tcp.IdleTime.Should().Be(TimeSpan.FromSeconds(45));
        profiles.GetProfile("bulk").Tcp.ProbeCount.Should().Be(7);
        profiles.GetProfile("bulk").Tcp.IdleTime.Should().Be(TimeSpan.FromSeconds(30), "unset values keep the library defaults");
    }

    [Fact]
    public async Task AddKeepAlive_SectionThenAction_ActionWins()
    {
        using var host = TestHosts.Build(TwoProfiles, (services, configuration) => services
            .AddKeepAlive("payments", configuration.GetSection("KeepAlive:Profiles:payments"))
            .AddKeepAlive("payments", o => o.Tcp.ProbeCount = 2));
        await host.StartAsync(TestContext.Current.CancellationToken);
        var tcp = host.Services.GetRequiredService<IKeepAliveProfiles>().GetProfile("payments").Tcp;

        tcp.ProbeCount.Should().Be(2);
        tcp.Interval.Should().Be(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Start_UnknownTcpKey_FailsNamingPathAndKey()
    {
        var json = TestHosts.Profile("payments", """{ "IdelTime": "00:00:30" }""");

        var ex = await TestHosts.StartFailingAsync(json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        TestContext.Current.TestOutputHelper!.WriteLine(ex.Message);
        ex.Should().BeOfType<OptionsValidationException>().Which.Message
            .Should().Contain("KeepAlive:Profiles:payments:Tcp:IdelTime: unknown key").And.Contain("IdleTime, Interval").And.Contain("Fix:");
    }

    [Fact]
    public async Task Start_SeveralUnknownKeysInOneSection_EachNamedWithItsSuggestionAndTheKnownKeysListedOncePerSection()
    {
        // Each of a section's unknown keys repeated "Fix: remove it or use one of the known keys: UnsetValues, Enabled, ...":
        // three misspelt Tcp keys printed the same list three times.
        const string Json = """
            { "KeepAlive": { "Profiles": { "payments": {
                "Tcp": { "IdelTime": "30s", "Intervall": "5s", "ProbeCont": 3 },
                "Heartbeat": { "Intervl": "10s" } } } } }
            """;

        var ex = await TestHosts.StartFailingAsync(Json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        var validation = ex.Should().BeOfType<OptionsValidationException>().Which;
        TestContext.Current.TestOutputHelper!.WriteLine(string.Join(Environment.NewLine, validation.Failures));
        const string Tcp = "KeepAlive:Profiles:payments:Tcp";
        validation.Failures.Should().SatisfyRespectively(
            first => first.Should().StartWith($"{Tcp}:IdelTime: unknown key 'IdelTime'. Did you mean 'IdleTime'? Fix: remove it or use one of the known keys: "),
            second => second.Should().Be($"{Tcp}:Intervall: unknown key 'Intervall'. Did you mean 'Interval'? Fix: remove it or use one of the known keys listed for {Tcp}:IdelTime; see docs/CONFIGURATION.md."),
            third => third.Should().Be($"{Tcp}:ProbeCont: unknown key 'ProbeCont'. Did you mean 'ProbeCount'? Fix: remove it or use one of the known keys listed for {Tcp}:IdelTime; see docs/CONFIGURATION.md."),
            heartbeat => heartbeat.Should().StartWith("KeepAlive:Profiles:payments:Heartbeat:Intervl: unknown key 'Intervl'. Did you mean 'Interval'? Fix: remove it or use one of the known keys: "));
        foreach (var (failure, key) in new[] { (validation.Failures.First(), "ProbeCount"), (validation.Failures.Last(), "PeerIdleTimeout") })
        {
            var known = failure[(failure.IndexOf("known keys: ", StringComparison.Ordinal) + "known keys: ".Length)..failure.LastIndexOf(';')];
            known.Split(", ").Should().Contain(key);
            System.Text.RegularExpressions.Regex.Matches(validation.Message, System.Text.RegularExpressions.Regex.Escape(known)).Should().HaveCount(1, $"the list of {key}'s section is printed once");
        }
    }

    [Fact]
    public async Task Start_UnknownProfileKey_FailsNamingKey()
    {
        const string Json = """{ "KeepAlive": { "Profiles": { "payments": { "Tpc": { "IdleTime": "00:00:30" } } } } }""";

        var ex = await TestHosts.StartFailingAsync(Json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        ex.Should().BeOfType<OptionsValidationException>().Which.Message.Should().Contain("KeepAlive:Profiles:payments:Tpc: unknown key");
    }

    [Fact]
    public void AddKeepAlive_UnknownKeyBesideProfiles_ThrowsNamingPath()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["KeepAlive:Profile:payments:Tcp:IdleTime"] = "00:00:30",
        }).Build();

        var act = () => new ServiceCollection().AddKeepAlive(configuration.GetSection("KeepAlive"));

        act.Should().Throw<InvalidOperationException>().WithMessage("*KeepAlive:Profile*unknown key 'Profile'*Fix*KeepAlive:Profiles:<name>*");
    }

    [Theory]
    [InlineData("", "KeepAlive", "services.AddKeepAlive(configuration.GetSection(\"KeepAlive\"))")] // the whole configuration
    [InlineData("KeepAlive:Profiles", "KeepAlive:Profiles:payments", "services.AddKeepAlive(configuration.GetSection(\"KeepAlive\"))")] // one level too deep
    public void AddKeepAlive_SectionAroundOrInsideTheKeepAliveSection_TheFixNamesTheSectionToPass(string passed, string path, string fix)
    {
        // The file is right; the call passed the wrong section. The fix said to move the profiles to
        // "Profiles:<name>" (the whole configuration) or "KeepAlive:Profiles:Profiles:<name>" (the Profiles section).
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Information",
            ["KeepAlive:Profiles:payments:Tcp:IdleTime"] = "30s",
        }).Build();
        IConfiguration section = passed.Length == 0 ? configuration : configuration.GetSection(passed);

        var act = () => new ServiceCollection().AddKeepAlive(section);

        var message = act.Should().Throw<InvalidOperationException>().Which.Message;
        TestContext.Current.TestOutputHelper!.WriteLine(message);
        message.Should().Contain($"{path}: unknown key").And.Contain($"Fix: {fix}").And.NotContain("Profiles:Profiles");
    }

    [Theory]
    [InlineData("KeepAlive", "Profiles")]
    [InlineData("KeepAlive:Profiles", "default, payments")]
    public async Task Start_OneProfileGivenTheSectionAroundIt_TheFixNamesTheProfilesSectionNotToRemoveAKey(string passed, string key)
    {
        // AddKeepAlive("payments", section) given the KeepAlive section or its Profiles: the fix was "unknown key 'Profiles'
        // (or 'payments'). Fix: remove it", which would delete every profile (or this one).
        var ex = await TestHosts.StartFailingAsync(TwoProfiles, (services, configuration) => services.AddKeepAlive("payments", configuration.GetSection(passed)));

        var message = ex.Should().BeOfType<OptionsValidationException>().Which.Message;
        TestContext.Current.TestOutputHelper!.WriteLine(message);
        message.Should().Contain($"{passed}: is not a profile's section but one around it (it holds {key}")
            .And.Contain("Fix: services.AddKeepAlive(\"payments\", configuration.GetSection(\"KeepAlive:Profiles:payments\"))")
            .And.NotContain("remove it");
    }

    [Theory]
    [InlineData("KeepAlive:Profiles:payments:Tcp:IdleTime", "KeepAlive", "KeepAlive:Profiles:payments", "configuration.GetSection(\"KeepAlive\")")]
    [InlineData("Profiles:payments:Tcp:IdleTime", "Profiles", "Profiles:payments", "configuration")]
    public async Task Start_OneProfileGivenTheConfigurationAroundIt_TheFixNamesTheProfilesSectionNotToRemoveAKey(string key, string holds, string meant, string every)
    {
        // AddKeepAlive("payments", configuration), the whole configuration (or a file of the KeepAlive section's shape): the
        // fix was "unknown key 'KeepAlive' (or 'Profiles'). Fix: remove it", which deletes every profile; given the KeepAlive
        // section or Profiles, the same mistake already named the profile's section.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = "30s" }).Build();

        var ex = await TestHosts.StartFailingAsync("{}", (services, _) => services.AddKeepAlive("payments", configuration));

        var failures = ex.Should().BeOfType<OptionsValidationException>().Which.Failures;
        TestContext.Current.TestOutputHelper!.WriteLine(string.Join(Environment.NewLine, failures));
        failures.Should().Equal($"KeepAlive profile 'payments' (bound from the root of the configuration given to AddKeepAlive): is not a profile's section but one around it (it holds {holds}). Fix: services.AddKeepAlive(\"payments\", configuration.GetSection(\"{meant}\")), or services.AddKeepAlive({every}) for every profile; see docs/CONFIGURATION.md.");
    }

    [Theory]
    [InlineData(false)] // the host's own settings: environment, contentRoot
    [InlineData(true)] // and, with the host's defaults, every environment variable
    public async Task Start_OneProfileGivenTheHostsWholeConfiguration_OneRefusalSaysSoNotAnUnknownKeyToRemoveForEachHostSetting(bool defaults)
    {
        // The profile in a file of its own, added to the host's configuration, and that given: each host setting was refused
        // as "unknown key 'environment'. Fix: remove it" (and with the host's defaults each environment variable, PATH, HOME...).
        var failure = await HostConfigurationRefusal(defaults, """{ "Tcp": { "IdleTime": "30s", "Interval": "5s" } }""", b => b.Services.AddKeepAlive("payments", b.Configuration));

        failure.Should().BeOfType<OptionsValidationException>().Which.Failures.Should().ContainSingle().Which.Should()
            .StartWith("KeepAlive profile 'payments' (bound from the root of the configuration given to AddKeepAlive): is the host's whole configuration, not a profile's section: it holds the host's own settings (")
            .And.Contain("contentRoot").And.Contain("environment").And.NotContain("unknown key").And.NotContain("remove it")
            .And.EndWith("which are not yours to remove. Fix: put the profile under KeepAlive:Profiles:payments and call services.AddKeepAlive(\"payments\", configuration.GetSection(\"KeepAlive:Profiles:payments\")), or give it a configuration of its own file, e.g. services.AddKeepAlive(\"payments\", new ConfigurationBuilder().AddJsonFile(\"payments.json\").Build()); see docs/CONFIGURATION.md.");
    }

    [Fact]
    public async Task Start_OneProfileGivenTheHostsWholeConfigurationHoldingKeepAlive_NamesTheKeepAliveKeyNotEveryEnvironmentVariable()
    {
        // "it holds AWS_CA_BUNDLE, ..., contentRoot, ..., environment, ..., KeepAlive, ..., PATH, ...": every key of the host's.
        var failure = await HostConfigurationRefusal(true, """{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { "IdleTime": "30s" } } } } }""", b => b.Services.AddKeepAlive("payments", b.Configuration));

        failure.Should().BeOfType<OptionsValidationException>().Which.Failures.Should().Equal(
            "KeepAlive profile 'payments' (bound from the root of the configuration given to AddKeepAlive): is not a profile's section but one around it (it holds KeepAlive). Fix: services.AddKeepAlive(\"payments\", configuration.GetSection(\"KeepAlive:Profiles:payments\")), or services.AddKeepAlive(configuration.GetSection(\"KeepAlive\")) for every profile; see docs/CONFIGURATION.md.");
    }

    [Theory]
    [InlineData("""{ "Profiles": { "payments": { "Tcp": { "IdleTime": "30s" } } } }""", "put every profile under KeepAlive:Profiles:<name> and call services.AddKeepAlive(configuration.GetSection(\"KeepAlive\")), or give it a configuration of the KeepAlive section's file alone, e.g. services.AddKeepAlive(new ConfigurationBuilder().AddJsonFile(\"keepalive.json\").Build())")]
    [InlineData("""{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { "IdleTime": "30s" } } } } }""", "services.AddKeepAlive(configuration.GetSection(\"KeepAlive\"))")]
    public async Task AddKeepAlive_TheHostsWholeConfigurationAsTheKeepAliveSection_OneRefusalSaysSoNotAnUnknownKeyToRemove(string json, string fix)
    {
        // AddKeepAlive(builder.Configuration): "unknown key 'contentRoot' in the KeepAlive section. Fix: put each profile under
        // Profiles:<name>", where they were; with the host's defaults the first environment variable's name.
        var failure = await HostConfigurationRefusal(true, json, b => b.Services.AddKeepAlive(b.Configuration));

        failure.Should().BeOfType<InvalidOperationException>().Which.Message.Should()
            .StartWith("The configuration given to AddKeepAlive(configuration): is the host's whole configuration, not the KeepAlive section: it holds the host's own settings (")
            .And.NotContain("unknown key").And.EndWith($"which are not yours to remove. Fix: {fix}; see docs/CONFIGURATION.md.");
    }

    // A file of the application's own with a key named "environment" (its own setting, or a typo) was "the host's whole
    // configuration ... the host's own settings (environment)", a call to fix that was right: the file is the one to fix.
    [Theory]
    [InlineData(false)] // AddKeepAlive(configuration)
    [InlineData(true)] // AddKeepAlive("payments", configuration)
    public void AddKeepAlive_OwnConfigurationWithAnEnvironmentKey_RefusedAsAnUnknownKeyNotAsTheHostsWholeConfiguration(bool oneProfile)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [oneProfile ? "Tcp:IdleTime" : "Profiles:payments:Tcp:IdleTime"] = "30s",
            ["environment"] = "Production",
        }).Build();
        var failure = RefusalOfGiven(configuration, oneProfile);

        failure.Message.Should().Contain("unknown key 'environment'").And.NotContain("whole configuration").And.NotContain("host's own settings");
    }

    // AddKeepAlive(new ConfigurationBuilder().AddEnvironmentVariables().Build()) (or a profile given it) was refused once per
    // environment variable of the process ("unknown key 'HOME'", "unknown key 'PATH'", ...), or by the first one's name.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AddKeepAlive_EnvironmentVariablesWithoutAPrefixGivenWhole_OneRefusalSaysItIsAWholeConfigurationNamingAFewKeysAndTheFix(bool oneProfile)
    {
        string[] variables = ["KEEPALIVE_H155_A", "KEEPALIVE_H155_B", "KEEPALIVE_H155_C"];
        foreach (var variable in variables)
        {
            Environment.SetEnvironmentVariable(variable, "1");
        }

        try
        {
            var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
            var failure = RefusalOfGiven(configuration, oneProfile);

            var lines = failure is OptionsValidationException refused ? refused.Failures.ToList() : [failure.Message];
            lines.Should().ContainSingle().Which.Should().NotContain("unknown key")
                .And.Contain("is a whole configuration, not ").And.Contain("it holds the process's environment variables (")
                .And.MatchRegex(" and [0-9]+ others\\)", "a few keys are named, not every one")
                .And.Contain(oneProfile ? "configuration.GetSection(\"KeepAlive:Profiles:payments\")" : "configuration.GetSection(\"KeepAlive\")");
        }
        finally
        {
            foreach (var variable in variables)
            {
                Environment.SetEnvironmentVariable(variable, null);
            }
        }
    }

    [Fact]
    public async Task Start_EnvironmentFileOverridesOneValue_TheMergedProfileIsTakenAndValidatedAsAWhole()
    {
        // appsettings.json holds the profile, appsettings.Production.json one value of it: the profile is the two merged, so
        // an override that breaks a rule with the base file's values stops the host at the overridden path.
        const string Base = """{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { "IdleTime": "30s", "Interval": "5s" }, "Heartbeat": { "PeerIdleTimeout": "AwsAlb" } } } } }""";
        static string Production(string idle) => $$"""{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { "IdleTime": "{{idle}}" } } } } }""";
        var directory = Directory.CreateTempSubdirectory("keepalive-environment-").FullName;
        try
        {
            async Task<IHost> Build(string idle)
            {
                await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), Base, TestContext.Current.CancellationToken);
                await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.Production.json"), Production(idle), TestContext.Current.CancellationToken);
                var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = directory, EnvironmentName = "Production" });
                builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive"));
                return builder.Build();
            }

            using (var host = await Build("20s"))
            {
                await host.StartAsync(TestContext.Current.CancellationToken);
                var tcp = host.Services.GetRequiredService<IKeepAliveProfiles>().GetProfile("payments").Tcp;
                (tcp.IdleTime, tcp.Interval).Should().Be((TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(5)), "IdleTime from the Production file, Interval from the base file");
                await host.StopAsync(TestContext.Current.CancellationToken);
            }

            using var refused = await Build("58s");
            var failure = await Record.ExceptionAsync(() => refused.StartAsync(TestContext.Current.CancellationToken));

            failure.Should().BeOfType<OptionsValidationException>().Which.Failures.Should().ContainSingle().Which.Should()
                .StartWith("KeepAlive:Profiles:payments:Tcp:IdleTime: Tcp:IdleTime is 58s and Tcp:Interval 5s: the first keep-alive probe and its retry (1m3s) do not both arrive within Heartbeat:PeerIdleTimeout AwsAlb (1m)");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData("\"IdleTime\": \"58s\"", "KeepAlive:Profiles:payments:Tcp:IdleTime: Tcp:IdleTime is 58s and Tcp:Interval 5s", "This value is set in JsonConfigurationProvider for 'appsettings.Production.json' (Optional), over '30s' in JsonConfigurationProvider for 'appsettings.json' (Optional).")]
    [InlineData("\"IdelTime\": \"20s\"", "KeepAlive:Profiles:payments:Tcp:IdelTime: unknown key 'IdelTime'. Did you mean 'IdleTime'?", "This value is set in JsonConfigurationProvider for 'appsettings.Production.json' (Optional).")]
    public async Task Start_EnvironmentFileBreaksTheMergedProfile_TheRefusalNamesTheFileTheValueComesFrom(string production, string start, string end)
    {
        // The path alone does not say which of the two files to fix: appsettings.json holds 30s, appsettings.Production.json 58s.
        const string Base = """{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { "IdleTime": "30s", "Interval": "5s" }, "Heartbeat": { "PeerIdleTimeout": "AwsAlb" } } } } }""";
        var directory = Directory.CreateTempSubdirectory("keepalive-environment-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), Base, TestContext.Current.CancellationToken);
            await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.Production.json"), $$"""{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { {{production}} } } } } }""", TestContext.Current.CancellationToken);
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = directory, EnvironmentName = "Production" });
            builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive"));
            using var host = builder.Build();

            var failure = await Record.ExceptionAsync(() => host.StartAsync(TestContext.Current.CancellationToken));

            var message = failure.Should().BeOfType<OptionsValidationException>().Which.Failures.Should().ContainSingle().Subject;
            TestContext.Current.TestOutputHelper!.WriteLine(message);
            message.Should().StartWith(start).And.EndWith(end);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Reload_EnvironmentFileSavedInvalid_TheRefusalNamesTheFileTheValueComesFrom()
    {
        var directory = Directory.CreateTempSubdirectory("keepalive-environment-reload-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), """{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { "IdleTime": "30s", "Interval": "5s" } } } } }""", TestContext.Current.CancellationToken);
            var production = Path.Combine(directory, "appsettings.Production.json");
            await File.WriteAllTextAsync(production, """{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { "Interval": "7s" } } } } }""", TestContext.Current.CancellationToken);
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = directory, EnvironmentName = "Production" });
            builder.Logging.AddFakeLogging();
            builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive"));
            using var host = builder.Build();
            await host.StartAsync(TestContext.Current.CancellationToken);
            var logs = host.Services.GetRequiredService<FakeLogCollector>();

            await File.WriteAllTextAsync(production, """{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { "Interval": "7" } } } } }""", TestContext.Current.CancellationToken);
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (!logs.GetSnapshot().Any(r => r.Id.Id == KeepAliveEventIds.ProfileReloadRejected))
            {
                waited.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(15), "the file watcher should have reloaded appsettings.Production.json");
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }

            logs.GetSnapshot().First(r => r.Id.Id == KeepAliveEventIds.ProfileReloadRejected).Message.Should()
                .Contain("KeepAlive:Profiles:payments:Tcp:Interval: '7' has no unit")
                .And.EndWith("This value is set in JsonConfigurationProvider for 'appsettings.Production.json' (Optional), over '5s' in JsonConfigurationProvider for 'appsettings.json' (Optional).");
            host.Services.GetRequiredService<IKeepAliveProfiles>().GetProfile("payments").Tcp.Interval.Should().Be(TimeSpan.FromSeconds(7), "the last valid values stay");
            await host.StopAsync(TestContext.Current.CancellationToken);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    // A real host (Production, its own content root) whose configuration holds `json` from a file of its own: the failure
    // of registering with `register` or of starting it.
    // AddKeepAlive(configuration), or AddKeepAlive("payments", configuration), and the profile taken: what refuses it.
    private static Exception RefusalOfGiven(IConfiguration configuration, bool oneProfile)
    {
        var services = new ServiceCollection();
        var failure = Record.Exception(() =>
        {
            _ = oneProfile ? services.AddKeepAlive("payments", configuration) : services.AddKeepAlive(configuration);
            using var provider = services.BuildServiceProvider();
            _ = provider.GetRequiredService<IKeepAliveProfiles>().GetProfile("payments");
        });
        failure.Should().NotBeNull("the configuration given is no keep-alive configuration");
        TestContext.Current.TestOutputHelper!.WriteLine(failure!.Message);
        return failure;
    }

    private static async Task<Exception> HostConfigurationRefusal(bool defaults, string json, Action<HostApplicationBuilder> register)
    {
        var directory = Directory.CreateTempSubdirectory("keepalive-host-configuration-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(directory, "payments.json"), json, TestContext.Current.CancellationToken);
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = !defaults, ContentRootPath = directory, EnvironmentName = "Production" });
            builder.Configuration.SetBasePath(directory).AddJsonFile("payments.json", optional: false, reloadOnChange: false);
            var failure = await Record.ExceptionAsync(async () =>
            {
                register(builder);
                using var host = builder.Build();
                await host.StartAsync(TestContext.Current.CancellationToken);
            });
            failure.Should().NotBeNull("the host's whole configuration is no keep-alive configuration");
            TestContext.Current.TestOutputHelper!.WriteLine(failure!.Message);
            return failure;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void AddKeepAlive_ProfilesIsAPlainValue_ThrowsShowingTheShape()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["KeepAlive:Profiles"] = "oops" }).Build();

        var act = () => new ServiceCollection().AddKeepAlive(configuration.GetSection("KeepAlive"));

        act.Should().Throw<InvalidOperationException>().WithMessage("KeepAlive:Profiles: is the value 'oops', but it must hold one section per profile. Fix:*\"payments\"*");
    }

    [Fact]
    public void AddKeepAlive_KeepAliveSectionIsAPlainValue_ThrowsShowingTheShape()
    {
        // "KeepAlive": "payments" (or KeepAlive=on in the environment) holds no profile and is no empty section either.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["KeepAlive"] = "payments" }).Build();

        var act = () => new ServiceCollection().AddKeepAlive(configuration.GetSection("KeepAlive"));

        act.Should().Throw<InvalidOperationException>().WithMessage("KeepAlive: is the value 'payments', but it must hold a Profiles section with one section per profile. Fix:*\"Profiles\": { \"payments\": { \"Tcp\"*");
    }

    [Fact]
    public async Task Start_NamedSectionThatDoesNotExist_FailsInsteadOfRunningOnDefaults()
    {
        var ex = await TestHosts.StartFailingAsync(TwoProfiles, (services, configuration) =>
            services.AddKeepAlive("payments", configuration.GetSection("KeepAlive:Profiles:paymnets")));

        ex.Should().BeOfType<OptionsValidationException>().Which.Message
            .Should().Contain("KeepAlive:Profiles:paymnets: no such section in the configuration, or an empty one (configuration cannot tell them apart), so the profile would silently run with the library's defaults. Fix: correct the path");
    }

    [Fact]
    public async Task Start_EmptyProfileObjectListedUnderProfiles_AsksForTheDefaults()
    {
        using var host = TestHosts.Build("""{ "KeepAlive": { "Profiles": { "payments": { } } } }""", (services, configuration) =>
            services.AddKeepAlive(configuration.GetSection("KeepAlive")));
        await host.StartAsync(TestContext.Current.CancellationToken);

        host.Services.GetRequiredService<IKeepAliveProfiles>().GetProfile("payments").Tcp.IdleTime.Should().Be(new TcpKeepAliveOptions().IdleTime);
    }

    [Fact]
    public async Task Start_TimeThatIsNotATime_FailsNamingPathAndValue()
    {
        var json = TestHosts.Profile("payments", """{ "IdleTime": "thirty seconds" }""");

        var ex = await TestHosts.StartFailingAsync(json, (services, configuration) =>
            services.AddKeepAlive("payments", configuration.GetSection("KeepAlive:Profiles:payments")));

        ex.Should().BeOfType<OptionsValidationException>().Which.Message
            .Should().Contain("KeepAlive:Profiles:payments:Tcp:IdleTime: 'thirty seconds' is not a duration").And.Contain("\"30s\" or \"00:00:30\"");
    }

    [Theory]
    [InlineData("""{ "IdleTime": "00:00:00" }""", "Tcp:IdleTime", "00:00:00", "at least \"1s\"")]
    [InlineData("""{ "IdleTime": "10:00:00" }""", "Tcp:IdleTime", "10:00:00", "at most \"2h\"")]
    [InlineData("""{ "Interval": "-00:00:05" }""", "Tcp:Interval", "-00:00:05", "at least \"1s\"")]
    [InlineData("""{ "Interval": "12:00:00" }""", "Tcp:Interval", "12:00:00", "at most \"1h\"")]
    [InlineData("""{ "ProbeCount": 0 }""", "Tcp:ProbeCount", "'0' is below the floor of 1", "set it to at least 1")]
    [InlineData("""{ "ProbeCount": 500 }""", "Tcp:ProbeCount", "'500' is above the ceiling of 127", "set it to at most 127")]
    [InlineData("""{ "UserTimeout": "-00:00:01" }""", "Tcp:UserTimeout", "-00:00:01", "(or \"0s\", which keeps the operating system's default)")]
    public async Task Start_ValueOutsidePlatformLimits_FailsWithPathValueAndFix(string tcpJson, string setting, string value, string fix)
    {
        var json = TestHosts.Profile("payments", tcpJson);

        var ex = await TestHosts.StartFailingAsync(json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        var message = ex.Should().BeOfType<OptionsValidationException>().Which.Message;
        TestContext.Current.TestOutputHelper!.WriteLine(message);
        message.Should().Contain($"KeepAlive:Profiles:payments:{setting}: ").And.Contain(value).And.Contain("Fix:").And.Contain(fix);
    }

    [Fact]
    public async Task Start_TwoBadValues_ReportsBoth()
    {
        var json = TestHosts.Profile("payments", """{ "IdleTime": "00:00:00", "Interval": "10" }""");

        var ex = await TestHosts.StartFailingAsync(json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        ex.Should().BeOfType<OptionsValidationException>().Which.Failures.Should().HaveCount(2);
    }

    [Fact]
    public async Task Start_DisabledProfileWithOddValues_Starts()
    {
        var json = TestHosts.Profile("payments", """{ "Enabled": false, "ProbeCount": 0 }""");
        using var host = TestHosts.Build(json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        await host.StartAsync(TestContext.Current.CancellationToken);

        host.Services.GetRequiredService<IKeepAliveProfiles>().GetProfile("payments").Tcp.Enabled.Should().BeFalse();
    }

    [Fact]
    public async Task Start_InvalidCodeProfile_FailsNamingProfile()
    {
        var ex = await TestHosts.StartFailingAsync("{}", (services, _) => services.AddKeepAlive("bulk", o => o.Tcp.ProbeCount = -1));

        ex.Should().BeOfType<OptionsValidationException>().Which.Message
            .Should().Contain("KeepAlive profile 'bulk' (configured in code) Tcp:ProbeCount").And.Contain("-1");
    }

    [Fact]
    public async Task Start_InvalidProfileBoundFromAConfigurationRoot_NamesTheKeyNotCode()
    {
        // A profile kept in a file of its own, bound from that configuration's root: its bad value was reported as
        // "KeepAlive profile 'bulk' (configured in code) Tcp:ProbeCount", sending the user to look for it in code.
        var root = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Tcp:ProbeCount"] = "-1" }).Build();

        var ex = await TestHosts.StartFailingAsync("{}", (services, _) => services.AddKeepAlive("bulk", root));

        ex.Should().BeOfType<OptionsValidationException>().Which.Message
            .Should().Contain("KeepAlive profile 'bulk' (bound from the root of the configuration given to AddKeepAlive) Tcp:ProbeCount").And.Contain("-1")
            .And.NotContain("configured in code");
    }

    [Fact]
    public async Task Start_ProfileBoundFromAConfigurationRoot_RefusedWithTheMessagesOfTheSameProfileUnderKeepAliveProfiles()
    {
        // The same profile, from a file of its own or under KeepAlive:Profiles, is refused for the same reasons in the same
        // words; only the name of where it comes from differs (CONFIGURATION.md: "KeepAlive profile 'bulk' (bound from the
        // root of the configuration given to AddKeepAlive) Tcp:ProbeCount: ..."). A value refused as written ("0", "10")
        // is quoted as written, and the rules across sections are not run on the default left in its place.
        var settings = new Dictionary<string, string?>
        {
            ["Tcp:ProbeCount"] = "0",
            ["Tcp:IdleTime"] = "10",
            ["Tcp:Interval"] = "40s",
            ["Tcp:IdelTime"] = "30s",
            ["Heartbaet:Interval"] = "1s",
            ["Heartbeat:PeerIdleTimeout"] = "AwsAlb",
        };
        const string Root = "KeepAlive profile 'bulk' (bound from the root of the configuration given to AddKeepAlive) ";
        var underProfiles = new ConfigurationBuilder().AddInMemoryCollection(settings.ToDictionary(static s => $"KeepAlive:Profiles:bulk:{s.Key}", static s => s.Value)).Build();
        var expected = (await FailuresAsync(services => services.AddKeepAlive(underProfiles.GetSection("KeepAlive"))))
            .Select(static f => f.Replace("KeepAlive:Profiles:bulk:", Root, StringComparison.Ordinal)).ToList();

        var failures = await FailuresAsync(services => services.AddKeepAlive("bulk", new ConfigurationBuilder().AddInMemoryCollection(settings).Build()));

        expected.Should().HaveCount(4, "the unknown key and section, the bare number and the probe count").And.Contain(static f => f.Contains("'0' is below the floor of 1", StringComparison.Ordinal));
        failures.Should().Equal(expected);

        static async Task<IEnumerable<string>> FailuresAsync(Action<IServiceCollection> register)
        {
            var ex = await TestHosts.StartFailingAsync("{}", (services, _) => register(services));
            var failures = ex.Should().BeOfType<OptionsValidationException>().Which.Failures;
            TestContext.Current.TestOutputHelper!.WriteLine(string.Join(Environment.NewLine, failures));
            return failures;
        }
    }

    [Fact]
    public async Task Start_ProfileBoundFromAnEmptyConfigurationRoot_RefusedAsAnEmptySectionIs()
    {
        // A profile kept in a file of its own whose name is misspelt (optional: true, so no error from the provider): the
        // root holds nothing, and the profile would silently run with the library's defaults, as a misspelt section path
        // would (that one stops the host); a reload that empties the same root is refused as a deletion.
        var directory = Directory.CreateTempSubdirectory("keepalive-root-").FullName;
        var root = new ConfigurationBuilder().SetBasePath(directory).AddJsonFile("bulk.json", optional: true).Build();

        var ex = await TestHosts.StartFailingAsync("{}", (services, _) => services.AddKeepAlive("bulk", root));

        var message = ex.Should().BeOfType<OptionsValidationException>().Which.Message;
        TestContext.Current.TestOutputHelper!.WriteLine(message);
        message.Should().Contain("KeepAlive profile 'bulk' (bound from the root of the configuration given to AddKeepAlive): ")
            .And.Contain("empty").And.Contain("library's defaults").And.Contain("Fix:");
    }

    [Fact]
    public async Task Start_HttpClientWithUnregisteredProfile_FailsWithFix()
    {
        var ex = await TestHosts.StartFailingAsync(TwoProfiles, (services, configuration) =>
        {
            services.AddKeepAlive(configuration.GetSection("KeepAlive"));
            services.AddHttpClient("orders").UseTcpKeepAlive("orders");
        });

        ex.Should().BeOfType<OptionsValidationException>().Which.Message
            .Should().Contain("No KeepAlive profile named 'orders'").And.Contain("'payments'").And.Contain("Fix:");
    }

    [Fact]
    public void GetProfile_Unregistered_ThrowsWithFix()
    {
        using var provider = new ServiceCollection().AddKeepAlive().BuildServiceProvider();

        var act = () => provider.GetRequiredService<IKeepAliveProfiles>().GetProfile("payments");

        act.Should().Throw<InvalidOperationException>().WithMessage("No KeepAlive profile named 'payments'*registered: 'default'*Fix:*");
    }

    [Fact]
    public async Task Reload_ChangedValues_NewSocketsGetThemAndOpenSocketsKeepTheirs()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["KeepAlive:Profiles:payments:Tcp:IdleTime"] = "00:00:30",
        });
        builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive"));
        using var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        var profiles = host.Services.GetRequiredService<IKeepAliveProfiles>();
        using var before = new Socket(SocketType.Stream, ProtocolType.Tcp);
        profiles.Configure(before, "payments");

        builder.Configuration["KeepAlive:Profiles:payments:Tcp:IdleTime"] = "00:00:42";
        ((IConfigurationRoot)builder.Configuration).Reload();
        using var after = new Socket(SocketType.Stream, ProtocolType.Tcp);
        var settings = profiles.Configure(after, "payments");

        settings.IdleTime.Should().Be(TimeSpan.FromSeconds(42));
        after.GetKeepAlive().IdleTime.Should().Be(TimeSpan.FromSeconds(42));
        before.GetKeepAlive().IdleTime.Should().Be(TimeSpan.FromSeconds(30), "the kernel keeps what an open socket was configured with");
    }
}
