namespace KeepAlive.Net.Tool.Analyze;

/// <summary>
/// How <c>analyze</c> names a flow's two sides for people: "client" and "server", each followed by " (guessed)" when no
/// handshake in the capture told them apart (<see cref="FlowReport.RolesGuessed"/>). One rule for the table, the
/// verdict line and every sentence of the verdict; the JSON's fields keep the bare names, next to <c>rolesGuessed</c>.
/// </summary>
internal static class Roles
{
    public const string Client = "client";

    public const string Server = "server";

    /// <summary>" (guessed)" when the roles are guessed, else nothing.</summary>
    public static string Mark(bool guessed) => guessed ? " (guessed)" : string.Empty;

    /// <summary>The side as a sentence names it: "client", or "client (guessed)".</summary>
    public static string Name(bool isClient, bool guessed) => (isClient ? Client : Server) + Mark(guessed);
}
