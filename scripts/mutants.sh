#!/usr/bin/env bash
# Mutant schemata runner (issue 24): every mutant is compiled in behind TELESCOPE_MUT=<id> (see docs/results/mutants.md),
# so one build serves all; this runs one test project's filter with one mutant switched on and prints the failing tests.
# usage: git apply scripts/mutants.patch && dotnet build <test project> -c Release
#        scripts/mutants.sh <test project dir> <filter> <mutant id|none>   (once per mutant)
#        git checkout -- src                                               (never commit the applied patch)
# With TELESCOPE_MUT unset the patched build is the original program (every mutant is `env == id ? mutant : original`).
set -u
proj=$1 filter=$2 id=$3
log=$(mktemp /tmp/mutant.XXXXXX)
if [ "$id" = none ]; then unset TELESCOPE_MUT; else export TELESCOPE_MUT=$id; fi
nice -n 5 dotnet test "$proj" -c Release --no-build --filter "$filter" --logger "console;verbosity=normal" >"$log" 2>&1
rc=$?
total=$(grep -Eo "Total tests: [0-9]+" "$log" | tail -1)
failed=$(grep -E "^\s+Failed " "$log" | sed -E 's/^\s+Failed //; s/ \[.*//' | sort -u | head -5 | tr '\n' ';')
msg=$(grep -A1 "Error Message:" "$log" | grep -v "Error Message:\|^--" | head -1 | sed -E 's/^\s+//' | cut -c1-160)
echo "$id | rc=$rc | $total | failed: ${failed:-none} | $msg"
echo "$log" >&2
