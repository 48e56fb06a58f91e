#!/usr/bin/env bash
# Adds new public symbols to PublicAPI.Unshipped.txt and removes vanished ones, from the
# PublicApiAnalyzers diagnostics RS0016 (missing) and RS0017 (stale) of a build.
# Usage: eng/update-public-api.sh [project-or-solution]   (run from the repository root)
set -euo pipefail
target="${1:-KeepAlive.Net.sln}"
log="$(mktemp)"
dotnet build "$target" -p:TreatWarningsAsErrors=false --no-incremental -v:q -clp:NoSummary >"$log" 2>&1 || true
python3 - "$log" <<'PY'
import re, sys, collections, os
adds, removes = collections.defaultdict(set), collections.defaultdict(set)
pat = re.compile(r"(RS0016|RS0017): Symbol '(.+?)' (?:is not part|is part).*\[(.+?\.csproj)\]")
for line in open(sys.argv[1], encoding="utf-8"):
    m = pat.search(line)
    if m:
        (adds if m.group(1) == "RS0016" else removes)[os.path.dirname(m.group(3))].add(m.group(2))
for proj in set(adds) | set(removes):
    path = os.path.join(proj, "PublicAPI.Unshipped.txt")
    lines = [l.rstrip("\n") for l in open(path, encoding="utf-8")] if os.path.exists(path) else ["#nullable enable"]
    body = {l for l in lines[1:] if l.strip()} | adds[proj]
    body -= removes[proj]
    with open(path, "w", encoding="utf-8") as f:
        f.write("#nullable enable\n" + "".join(l + "\n" for l in sorted(body, key=str.lower)))
    print(f"{path}: +{len(adds[proj])} -{len(removes[proj])}")
PY
rm -f "$log"
