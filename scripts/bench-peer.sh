#!/usr/bin/env bash
# One command for the peer benchmark: installs Debian's python3-torch and libopenblas0-pthread with apt
# when missing (scripts/install-peer.sh), builds the CLI (Release) and runs `telescope bench peer`.
# Arguments go to the command, e.g.  scripts/bench-peer.sh --out out/bench/peer --budget 3 --threads 1,2
# (`bench peer` owns --threads: a list of intra-op counts, both sides timed at each; `telescope bench peer --help`).
# Exit 0 done, 1 ours and the peer disagree (the pair is named) or the peer cannot run, 2 bad input.
# On an idle machine for figures to quote; the output folder gets bench.csv, versions.json, run.json.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
sh "$here/scripts/install-peer.sh"
dotnet build "$here/src/Telescope.Cli" -c Release -v quiet -nologo >/dev/null
exec dotnet "$here/src/Telescope.Cli/bin/Release/net10.0/telescope.dll" bench peer "$@"
