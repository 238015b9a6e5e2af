#!/usr/bin/env bash
# Records of the Table II models trained by scripts/train-table2.sh, for `gaq report`: each model's
# evaluation on its molecule's test_01 (results/eval/$RECORDS/<molecule>/<model>.json, one LEE rotation
# per frame), the integer files' too (gaq-<bits>-int.json), and its training log
# (results/train/$RECORDS/<molecule>/<model>.csv). RECORDS is table2-recipe (issue #20's runs) unless set;
# table2 holds the records of issue #7's 12-minute runs. Existing records are kept; models that are not
# trained yet are skipped.
# Usage: [RECORDS=name] [RESULTS_REPO=DIR] scripts/table2-records.sh [RUNS_DIR] [MOLECULE...]
# The records go under RESULTS_REPO/results (default: this script's checkout; a driver running from a worktree build
# sets it to the main checkout, so that the records land where they are committed).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs_abs=$(cd "${1:-runs/table2}" 2>/dev/null && pwd || echo "${1:-runs/table2}")
gaq="$here/gaq"
cd "${RESULTS_REPO:-$here}"
runs=$runs_abs
records=${RECORDS:-table2-recipe}
# the committed copy of a model (models/table2, see train-table2.sh) where there is one, else its run file; a path
# relative to the checkout, so that a record's command runs in any clone
model_path() {
    if [[ -f models/table2/$2.safetensors ]]; then echo "models/table2/$2.safetensors"; else realpath --relative-to=. "$1"; fi
}
shift $(( $# < 1 ? $# : 1 ))
molecules=("$@")
(( ${#molecules[@]} )) || molecules=(aspirin ethanol malonaldehyde naphthalene salicylic toluene uracil)
for m in "${molecules[@]}"; do
    for model in fp32 gaq-w8a8 gaq-w4a8; do
        run=$runs/$m/$model
        grep -qs '^best model:' "$runs/$m/$model.log" || continue     # not trained (or not finished) yet
        rec=results/eval/$records/$m/$model.json
        mkdir -p "$(dirname "$rec")" "results/train/$records/$m"
        cp "$run/train.csv" "results/train/$records/$m/$model.csv"
        [[ -f $rec ]] && continue
        echo "== $m $model"
        "$gaq" eval "$(model_path "$run/best.safetensors" "$m-$model")" --data "rmd17:$m" --threads 1 --lee-rotations 1 --record "$rec" --name "$m $model" | tail -5
    done
    for bits in w8a8 w4a8; do
        file=$runs/$m/gaq-$bits.int.safetensors
        rec=results/eval/$records/$m/gaq-$bits-int.json
        [[ -f $file && ! -f $rec ]] || continue
        echo "== $m gaq-$bits integer"
        "$gaq" eval "$(model_path "$file" "$m-gaq-$bits.int")" --data "rmd17:$m" --threads 1 --lee-rotations 1 --record "$rec" --name "$m gaq-$bits integer" | tail -5
    done
    file=$runs/$m/ptq-naive-w8a8.safetensors
    rec=results/eval/$records/$m/ptq-naive-w8a8.json
    if [[ -f $file && ! -f $rec ]]; then
        echo "== $m naive PTQ W8A8"
        "$gaq" eval "$(model_path "$file" none)" --data "rmd17:$m" --threads 1 --lee-rotations 1 --record "$rec" --name "$m naive PTQ W8A8" | tail -5
    fi
done
