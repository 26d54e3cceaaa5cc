#!/usr/bin/env bash
# Build the documentation site into OUT (default out/docs): the literate pages docs/site/*.fsx, evaluated against
# the Release build, and the API reference from the XML docs of the library projects below. The site works opened
# from disk (file://…/index.html): relative links, nothing loaded from the network (fsdocs' CDN scripts left out,
# maths rendered by KaTeX copied into the site). Tools and KaTeX are fetched once into the data cache:
# fsdocs-tool 22.2.0 (NuGet) and katex (npm pack). Prints warnings and one summary line; the full log is OUT.log.
# Usage: scripts/build-docs.sh [OUT]     (TELESCOPE_DOCS_NO_BUILD=1: the meta-package's Release build is already there)
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-out/docs}")
cache=${TELESCOPE_DATA:-${XDG_CACHE_HOME:-$HOME/.cache}/telescope}
fsdocs_version=22.2.0
katex_version=0.16.22
# the library projects the API reference covers (the packages of scripts/pack.sh)
projects=(
  src/Telescope.Schema/Telescope.Schema.csproj
  src/Telescope.Core/Telescope.Core.csproj
  src/Telescope.Frames/Telescope.Frames.csproj
  src/Telescope.Frames.Parquet/Telescope.Frames.Parquet.csproj
  src/Telescope.Theory/Telescope.Theory.csproj
  src/Telescope.Plots/Telescope.Plots.fsproj
  src/Telescope.FSharp/Telescope.FSharp.fsproj
)
mkdir -p "$out" "$cache"
log="$out.log"
: >"$log"
fail() { echo "build-docs: $1 (full log: $log)" >&2; tail -n 30 "$log" >&2; exit 1; }

tools="$cache/tools/fsdocs-$fsdocs_version"
if [ ! -x "$tools/fsdocs" ]; then
  echo "build-docs: installing fsdocs-tool $fsdocs_version into $tools (once)"
  dotnet tool install --tool-path "$tools" fsdocs-tool --version "$fsdocs_version" >>"$log" 2>&1 ||
    fail "dotnet tool install fsdocs-tool $fsdocs_version failed"
fi

katex="$cache/katex-$katex_version"
if [ ! -f "$katex/katex.min.js" ] || [ ! -f "$katex/contrib/auto-render.min.js" ]; then
  echo "build-docs: fetching katex@$katex_version with npm pack into $katex (once)"
  work=$(mktemp -d "$cache/katex.fetch-XXXXXX")
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack "katex@$katex_version" --silent) >>"$log" 2>&1 || fail "npm pack katex@$katex_version failed"
  tar -xzf "$work"/katex-"$katex_version".tgz -C "$work" package/dist >>"$log" 2>&1 || fail "katex tarball unreadable"
  [ -f "$work/package/dist/katex.min.js" ] && [ -f "$work/package/dist/contrib/auto-render.min.js" ] ||
    fail "katex tarball lacks dist/katex.min.js or dist/contrib/auto-render.min.js"
  # published by one rename: a half-fetched copy never looks complete
  rm -rf "$katex"
  mv "$work/package/dist" "$katex"
fi

# the pages' assemblies: docs/page.fsx loads analysis/prelude.fsx, which references the meta-package's build folder (no face's)
if [ "${TELESCOPE_DOCS_NO_BUILD:-}" != 1 ]; then
  dotnet build src/Telescope.Analytics -c Release -nologo -v q -clp:ErrorsOnly >>"$log" 2>&1 ||
    fail "dotnet build src/Telescope.Analytics -c Release failed"
fi

# {{root}} is a marker here, made relative per page below
marker="TELESCOPE_ROOT__/"
DOTNET_CLI_TELEMETRY_OPTOUT=1 "$tools/fsdocs" build --input docs/site --output "$out" --eval --strict --clean \
  --properties Configuration=Release --parameters root "$marker" --projects "${projects[@]}" >>"$log" 2>&1 ||
  fail "fsdocs build failed"

mkdir -p "$out/content/katex"
cp -r "$katex/katex.min.js" "$katex/katex.min.css" "$katex/contrib" "$katex/fonts" "$out/content/katex/"
cp src/Telescope.Plots/vendor/plotly-2.35.2.min.js "$out/content/plotly.min.js" # the pages' figures, offline
cp LICENSE "$out/LICENSE.txt"
rm -f "$out/NuGet.config"
find "$out" -name '*.html' -print0 | while IFS= read -r -d '' f; do
  rel=${f#"$out"/}
  depth=$(tr -cd '/' <<<"$rel" | wc -c)
  up=""
  for _ in $(seq 1 "$depth"); do up="../$up"; done
  sed -i -e "s#data-root=\"$marker\"#data-root=\"${up:-./}\"#g" -e "s#\"$marker\"#\"${up}index.html\"#g" \
    -e "s#$marker#${up}#g" "$f"
done
# the search index and the text dumps: paths from the site's root
find "$out" \( -name '*.json' -o -name '*.txt' -o -name '*.md' \) -print0 | xargs -0 -r sed -i "s#$marker##g"

# self-check: nothing root-absolute, no placeholder left, nothing fetched from the network
bad=$(grep -rlE "(href|src)=\"/[^/]|\{\{fsdocs-|$marker|<script[^>]+src=\"https?:|<link[^>]+href=\"https?:" "$out" --include='*.html' || true)
[ -z "$bad" ] || fail "root-absolute links, placeholders or network resources left in: $(echo "$bad" | head -3 | tr '\n' ' ')"

# a quiet log: warnings and errors, except fsdocs' known limitation with iterator methods (their comments are
# left out of the reference: FSharp.Compiler.Service cannot read their IteratorStateMachine attribute)
unreadable=$(grep -c "^Could not read comments from entity" "$log" || true)
grep -iE "warning|error" "$log" | grep -vE "^Could not read comments from entity|cannot yet be converted|^\s+at " || true
pages=$(find "$out" -maxdepth 1 -name '*.html' | wc -l)
refs=$(find "$out/reference" -name '*.html' | wc -l)
echo "build-docs: $pages pages + $refs API reference pages in $out (open $out/index.html); $unreadable iterator members without comments; full log $log"
