#!/usr/bin/env bash
# Records of the Table II models trained by scripts/train-table2.sh, for `gaq report`: each model's
# evaluation on its molecule's test_01 (results/eval/table2/<molecule>/<model>.json, one LEE rotation
# per frame), the integer files' too (<model>-int.json), and its training log
# (results/train/table2/<molecule>/<model>.csv). Existing records are kept; models that are not trained
# yet are skipped.
# Usage: scripts/table2-records.sh [RUNS_DIR] [MOLECULE...]        (run from the gaq folder)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
runs=${1:-runs/table2}
shift $(( $# < 1 ? $# : 1 ))
molecules=("$@")
(( ${#molecules[@]} )) || molecules=(aspirin ethanol malonaldehyde naphthalene salicylic toluene uracil)
for m in "${molecules[@]}"; do
    for model in fp32 gaq-w8a8 gaq-w4a8; do
        run=$runs/$m/$model
        grep -qs '^best model:' "$runs/$m/$model.log" || continue     # not trained (or not finished) yet
        rec=results/eval/table2/$m/$model.json
        mkdir -p "$(dirname "$rec")" "results/train/table2/$m"
        cp "$run/train.csv" "results/train/table2/$m/$model.csv"
        [[ -f $rec ]] && continue
        echo "== $m $model"
        ./gaq eval "$run/best.safetensors" --data "rmd17:$m" --threads 1 --lee-rotations 1 --record "$rec" --name "$m $model" | tail -5
    done
    for bits in w8a8 w4a8; do
        file=$runs/$m/gaq-$bits.int.safetensors
        rec=results/eval/table2/$m/gaq-$bits-int.json
        [[ -f $file && ! -f $rec ]] || continue
        echo "== $m gaq-$bits integer"
        ./gaq eval "$file" --data "rmd17:$m" --threads 1 --lee-rotations 1 --record "$rec" --name "$m gaq-$bits integer" | tail -5
    done
done
