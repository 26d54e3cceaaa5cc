#!/usr/bin/env bash
# Pack the library and the `telescope` tool into a local NuGet feed (default: out/feed), one version for all:
# Directory.Build.props's, or the second argument (the tests pack a unique prerelease so that a package cache
# never serves an older build under the same number). Use the feed with:
#   F# script:   #i "nuget: /path/to/feed"   then   #r "nuget: Telescope.Analytics"
#   C# project:  dotnet add package Telescope.Analytics --source /path/to/feed
#   the tool:    dotnet tool install --global telescope --add-source /path/to/feed
set -euo pipefail
cd "$(dirname "$0")/.."
feed=$(realpath -m "${1:-out/feed}")
mkdir -p "$feed"
version=()
[ -n "${2:-}" ] && version=("-p:Version=$2")
libs=(Telescope.Schema Telescope.Core Telescope.Frames Telescope.Frames.Parquet Telescope.Theory Telescope.Plots
  Telescope.Experiments Telescope.FSharp Telescope.Analytics)
for p in "${libs[@]}"; do
  dotnet pack "src/$p" -c Release -o "$feed" --nologo -v quiet "${version[@]}"
done
# the tool carries its dependencies: pack it for this platform only (libtorch for linux-x64, not every OS)
dotnet pack src/Telescope.Cli -c Release -r linux-x64 -p:SelfContained=false -o "$feed" --nologo -v quiet "${version[@]}"
ls -1 "$feed"/*.nupkg
