#!/usr/bin/env bash
# Issue #7's Table II models: for each rMD17 molecule (split 01, 950 train + 50 validation frames of
# train_01, test on test_01) an FP32 model, then GAQ W8A8 and GAQ W4A8 fine-tuned from it, all under
# the same stated budget on ONE worker thread (so the other core stays usable):
#   FP32 FP32_MIN minutes (plateau decay ×0.5 after 6 epochs without improvement), then QAT W8A8 and W4A8 QAT_MIN minutes each
#   (no scalar-only warm-up, so every epoch of the short run is a candidate).
# The minutes are CPU time of the gaq process (--cpu-budget), so every molecule gets the same compute
# however busy the machine is; CLOCK=wall counts wall time instead (how the committed Table II was
# made, on a machine shared with other jobs: train.csv records the epochs each run got).
# Usage: [CLOCK=cpu|wall] scripts/train-table2.sh [OUT_DIR] [FP32_MIN] [QAT_MIN] [MOLECULE...]
# Results: OUT_DIR/<molecule>/{fp32,gaq-w8a8,gaq-w4a8}/best.safetensors (and train.csv, *.log); then
# scripts/table2-records.sh OUT_DIR records their evaluations under results/ and `gaq report` puts
# them in docs/results.md (Table II).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-runs/table2}
fp32_min=${2:-12}
qat_min=${3:-3}
shift $(( $# < 3 ? $# : 3 ))
molecules=("$@")
if (( ${#molecules[@]} == 0 )); then
    molecules=(malonaldehyde uracil toluene salicylic naphthalene aspirin ethanol)
fi
gaq=("$here/gaq")
budget=()
[[ ${CLOCK:-cpu} == cpu ]] && budget=(--cpu-budget)
mkdir -p "$out"

for m in "${molecules[@]}"; do
    d=$out/$m
    mkdir -p "$d"
    # a run is done when its log names the best model (an interrupted one starts again)
    if ! grep -qs '^best model:' "$d/fp32.log"; then
        echo "== $m: FP32, $fp32_min min"
        "${gaq[@]}" train --data "rmd17:$m" --out "$d/fp32" --threads 1 --epochs 10000 --max-minutes "$fp32_min" "${budget[@]}" \
            --patience 6 --decay 0.5 --warmup-epochs 1 > "$d/fp32.log" 2>&1
    fi
    for bits in w8a8 w4a8; do
        if ! grep -qs '^best model:' "$d/gaq-$bits.log"; then
            echo "== $m: GAQ $bits, $qat_min min"
            "${gaq[@]}" qat --from "$d/fp32/best.safetensors" --data "rmd17:$m" --bits "$bits" --method gaq --threads 1 \
                --epochs 10000 --max-minutes "$qat_min" "${budget[@]}" --vector-warmup-epochs 0 --out "$d/gaq-$bits" > "$d/gaq-$bits.log" 2>&1
        fi
    done
    "$here/scripts/table2-records.sh" "$out" "$m"
done
