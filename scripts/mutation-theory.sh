#!/usr/bin/env bash
# Mutation testing of src/Telescope.Theory (Stryker.NET) driven by the F# FsCheck suite tests/Telescope.Theory.Tests.
#
#   scripts/mutation-theory.sh            # THEORY_MAXTEST=25 cases per property (override with the env variable)
#
# Stryker mutates the C# theory module only, runs the covering tests per mutant (coverage analysis perTest) with two
# test runners, and writes StrykerOutput/<date>/reports/mutation-report.{html,json} under the test project.
# The property suite runs fewer generated cases per property here (THEORY_MAXTEST) so one pass over all mutants fits
# a 2-core budget; every must-fail control still runs. Exit code: Stryker's (non-zero below --break-at).
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet tool restore >/dev/null
export THEORY_MAXTEST="${THEORY_MAXTEST:-25}"
cd tests/Telescope.Theory.Tests
exec dotnet stryker \
  --project Telescope.Theory.csproj \
  --test-project Telescope.Theory.Tests.fsproj \
  --configuration Release \
  --concurrency 2 \
  --reporter html --reporter json --reporter progress --reporter cleartext \
  --break-at 0 \
  "$@"
