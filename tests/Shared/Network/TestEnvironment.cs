namespace KeepAlive.Net.Tests.TestSupport;

/// <summary>
/// Where a test cannot run: in CI (CI=true) that is a failure with the reason; elsewhere the test is
/// skipped and the reason is printed. A skip never hides a missing capability in CI.
/// </summary>
internal static class TestEnvironment
{
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static bool IsRoot => OperatingSystem.IsLinux() && Environment.UserName == "root";

    public static void Require(bool condition, string reason)
    {
        if (condition)
        {
            return;
        }

        if (IsCi)
        {
            Assert.Fail($"Required in CI (CI=true) but not available: {reason}");
        }

        Console.Error.WriteLine($"SKIPPED: {reason}");
        Assert.Skip(reason);
    }

    public static void RequireLinux() =>
        Require(OperatingSystem.IsLinux(), $"this test reads Linux kernel values; this machine runs {System.Runtime.InteropServices.RuntimeInformation.OSDescription}.");
}
