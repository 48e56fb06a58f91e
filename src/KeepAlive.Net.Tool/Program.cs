using KeepAlive.Net.Tool;
using KeepAlive.Net.Tool.Cli;

return await ToolApp.RunAsync(args, ToolConsole.System());
