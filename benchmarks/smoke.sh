#!/usr/bin/env bash
# CI smoke of the benchmarks: a tiny accuracy run, a tiny soak and one BenchmarkDotNet suite as a dry job.
# Asserts that they build, run and produce rows, not how fast they are. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
exec dotnet run -c Release --project benchmarks/KeepAlive.Net.Benchmarks -- smoke
