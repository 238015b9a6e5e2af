#!/usr/bin/env bash
# A lever for the W8A8 energy measured beside the Table II recipe (docs/quantization.md, "Where the W8A8 energy
# error comes from"): `gaq qat --recommended` W8A8 with the aggregated scalar message Δh (the input of each layer's
# output projection W_o) left in FP32 as well as the radial basis, from the molecule's committed FP32 model
# (models/table2/<molecule>-fp32.safetensors, made by scripts/train-table2.sh), exported to an integer file and
# evaluated on test_01 as the Table II models are (record results/eval/table2-recipe/<molecule>/gaq-w8a8-fp32-message-int.json).
# The integer file stays in the run folder: the committed W8A8 model is the recipe's.
# Usage: [GAQ=path/to/gaq] [RESULTS_REPO=DIR] scripts/table2-fp32-message.sh [RUNS_DIR] [QAT_MIN] MOLECULE...
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
gaq=${GAQ:-$here/gaq}
out=$(mkdir -p "${1:-runs/table2}" && cd "${1:-runs/table2}" && pwd)
qat_min=${2:-30}
shift $(( $# < 2 ? $# : 2 ))
(( $# )) || { echo "usage: scripts/table2-fp32-message.sh [RUNS_DIR] [QAT_MIN] MOLECULE..." >&2; exit 2; }
cd "${RESULTS_REPO:-$here}"
for m in "$@"; do
    parent=models/table2/$m-fp32.safetensors
    [[ -f $parent ]] || { echo "== $m: no committed FP32 model ($parent), skipped"; continue; }
    d=$out/$m/gaq-w8a8-fp32-message
    rec=results/eval/table2-recipe/$m/gaq-w8a8-fp32-message-int.json
    [[ -f $rec ]] && continue
    if ! grep -qs '^best model:' "$d.log"; then
        echo "== $m: GAQ w8a8 --recommended --fp32-sites rbf_in,scalar_message, $qat_min min"
        rm -rf "$d"
        "$gaq" qat --from "$parent" --data "rmd17:$m" --bits w8a8 --recommended --vector-scheme local-frame \
            --fp32-sites rbf_in,scalar_message --threads 1 --max-minutes "$qat_min" --cpu-budget --out "$d" > "$d.log" 2>&1
    fi
    "$gaq" export "$d/best.safetensors" --fp32 "$parent" --out "$d.int.safetensors" > "$d.export.log" 2>&1
    mkdir -p "$(dirname "$rec")"
    "$gaq" eval "$(realpath --relative-to=. "$d.int.safetensors")" --data "rmd17:$m" --threads 1 --lee-rotations 1 \
        --record "$rec" --name "$m gaq-w8a8 FP32 scalar_message integer" | tail -5
done
