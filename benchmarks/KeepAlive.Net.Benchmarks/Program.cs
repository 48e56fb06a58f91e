using KeepAlive.Net.Benchmarks.Cli;

return BenchmarkCli.Run(args);
