#!/usr/bin/env bash
# Whole-module mutation score of src/Telescope.Theory in batches (Stryker.NET via scripts/mutation-theory.sh).
#
#   scripts/mutation-theory-batches.sh            # every batch, then the combined score
#   scripts/mutation-theory-batches.sh linear     # only the named batches (names below)
#
# Each batch mutates a few source files and runs only the test classes that exercise them (plus the premise tests),
# so one pass fits a 2-core budget; instrumented RK4/GD loops make a single whole-module run spend most of its time in
# Stryker's coverage capture. Batches are independent: an interrupted session keeps every finished batch's report in
# out/mutation/<batch>.json, and a rerun skips batches whose report exists (delete the file to redo one).
# The combined score counts every mutant of every batch: (killed + timeout) / (killed + timeout + survived + no
# coverage), Stryker's definition; compile errors and ignored mutants are excluded. Needs jq.
set -euo pipefail
cd "$(dirname "$0")/.."
export THEORY_MAXTEST="${THEORY_MAXTEST:-3}"
out=out/mutation
mkdir -p "$out"

declare -A files tests
files[linear]="EigenFeatures.cs LinearModel.cs Eigenlearning.cs EffectiveDimension.cs FeatureMetrics.cs MinimumProjection.cs"
tests[linear]="LinearTests|LinearExactTests|FeatureMetricsTests"
files[flow]="Conservation.cs NeuralCollapse.cs MinNorm.cs"
tests[flow]="ConservationTests|NeuralCollapseTests|MinNormTests|FlowExactTests"
files[skills]="Multilinear.cs Scaling.cs DcShot.cs"
tests[skills]="MultilinearTests|ScalingTests|DcShotTests"
files[sigmoid]="Sigmoid.cs LazyRich.cs Emergence.cs"
tests[sigmoid]="SigmoidTests|LazyRichTests|EmergenceTests"
files[numerics]="Numerics.cs LinearAlgebra.cs Parity3.cs"
tests[numerics]="EmergenceTests|MinNormTests|ConservationTests|LinearTests|LinearExactTests|FeatureMetricsTests|SigmoidTests|ScalingTests"
order=(linear flow skills sigmoid numerics)
[ $# -gt 0 ] && order=("$@")

for b in "${order[@]}"; do
  [ -n "${files[$b]:-}" ] || { echo "mutation: unknown batch '$b' (known: ${!files[*]})" >&2; exit 2; }
  if [ -f "$out/$b.json" ]; then
    echo "== batch $b: report exists ($out/$b.json), skipped"
    continue
  fi
  args=()
  for f in ${files[$b]}; do args+=(-m "**/$f"); done
  filter=""
  for t in ${tests[$b]//|/ } PremiseTests; do filter+="${filter:+|}FullyQualifiedName~$t"; done
  echo "== batch $b: ${files[$b]} (tests: ${tests[$b]}|PremiseTests, THEORY_MAXTEST=$THEORY_MAXTEST)"
  start=$(date +%s)
  touch "$out/$b.start"
  scripts/mutation-theory.sh "${args[@]}" --test-case-filter "$filter" >"$out/$b.log" 2>&1 || true
  report=$(find tests/Telescope.Theory.Tests/StrykerOutput -name mutation-report.json -newer "$out/$b.start" 2>/dev/null | head -1)
  rm -f "$out/$b.start"
  if [ -z "$report" ]; then
    echo "mutation: batch $b produced no report; see $out/$b.log" >&2
    exit 1
  fi
  cp "$report" "$out/$b.json.partial" && mv "$out/$b.json.partial" "$out/$b.json"
  echo "   done in $(( $(date +%s) - start )) s: $(grep -o 'The final mutation score is [0-9.]* %' "$out/$b.log" | tail -1)"
done

reports=()
for b in linear flow skills sigmoid numerics; do [ -f "$out/$b.json" ] && reports+=("$out/$b.json"); done
[ ${#reports[@]} -gt 0 ] || exit 0
echo "== combined over: ${reports[*]}"
jq -rs '
  [.[].files | to_entries[] | {file: (.key | split("/") | last), m: .value.mutants[]}]
  | group_by(.file)
  | map({file: .[0].file,
         killed: map(select(.m.status == "Killed" or .m.status == "Timeout")) | length,
         survived: map(select(.m.status == "Survived")) | length,
         nocov: map(select(.m.status == "NoCoverage")) | length})
  | (.[] | "\(.file)\t\(.killed) killed/timeout, \(.survived) survived, \(.nocov) no coverage\t\((100 * .killed / ([.killed + .survived + .nocov, 1] | max)) | floor) %"),
    ("TOTAL\t\(map(.killed) | add) killed/timeout, \(map(.survived) | add) survived, \(map(.nocov) | add) no coverage\t\((10000 * (map(.killed) | add) / (map(.killed + .survived + .nocov) | add)) | floor / 100) %")
' "${reports[@]}" | column -t -s $'\t'
