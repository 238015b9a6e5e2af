#!/usr/bin/env bash
# Issue #20's Table II models: for each rMD17 molecule (split 01, 950 train + 50 validation frames of
# train_01, test on test_01) an FP32 model, then GAQ W8A8 and GAQ W4A8 fine-tuned from it with gaq's
# recommended recipe (`gaq qat --recommended`) and exported to integer files, all under one stated budget
# on ONE worker thread, so that two molecules train side by side on a 2-core machine:
#   FP32: FP32_MIN minutes of CPU time (default 120: two molecules in parallel = 1 h of the 2 cores each, so that a
#         run ends within a session), Adam 1e-3 with a linear warm-up of 2 epochs, then a cosine to the minimum rate
#         over the budget (LR_SCHEDULE=plateau: ×0.5 after 8 epochs without improvement, the runs before the sixth session),
#         validated and saved as an exponential moving average of the weights (decay 0.999 per step);
#   QAT:  `gaq qat --recommended --vector-scheme local-frame` (MDDQ with each atom's local frame: the same
#         accuracy as the laboratory grid and an LEE ~60x smaller, docs/results.md "Local-frame MDDQ"), QAT_MIN
#         minutes of CPU time per stage (default 30; W4A8 has a second, frozen-codes stage), then `gaq export`
#         to <molecule>/gaq-<bits>.int.safetensors;
#   naive PTQ W8A8 of the FP32 model (<molecule>/ptq-naive-w8a8.safetensors): the LEE the target is relative to.
# The minutes are CPU time of the gaq process (--cpu-budget; CLOCK=wall counts wall time), and a training run
# counts the minutes of its earlier sessions: an interrupted FP32 run is resumed from its last checkpoint by
# running this script again; an interrupted QAT run (short) starts again.
# Finished models are copied to RESULTS_REPO/models/table2/<molecule>-{fp32,gaq-w8a8.int,gaq-w4a8.int}.safetensors with
# their training logs (.train.csv), where they are committed: runs/ is not, and a fresh checkout would lose them.
# Usage: [CLOCK=cpu|wall] [RESULTS_REPO=DIR] [BITS="w8a8 w4a8"] scripts/train-table2.sh [OUT_DIR] [FP32_MIN] [QAT_MIN] [MOLECULE...]
#   BITS: the quantized models to train after the FP32 model (default both; "" trains the FP32 model only)
#   LR_SCHEDULE: the FP32 runs' --lr-schedule, cosine (default) or plateau (uracil's and naphthalene's runs)
#   RESULTS_REPO: the checkout whose results/ receives the records (default: this one; set it to the main checkout
#   when running from a worktree build)
#   e.g. scripts/train-table2.sh runs/table2 120 30 ethanol naphthalene uracil &
#        scripts/train-table2.sh runs/table2 45 30 toluene salicylic malonaldehyde &
# Results: OUT_DIR/<molecule>/{fp32,gaq-w8a8,gaq-w4a8}/ (best.safetensors, train.csv, learning_curve.png),
# OUT_DIR/<molecule>/gaq-<bits>.int.safetensors and *.log; then scripts/table2-records.sh OUT_DIR records
# their evaluations under results/ for `gaq report`.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-runs/table2}
fp32_min=${2:-120}
qat_min=${3:-30}
shift $(( $# < 3 ? $# : 3 ))
molecules=("$@")
if (( ${#molecules[@]} == 0 )); then
    molecules=(ethanol aspirin malonaldehyde naphthalene salicylic toluene uracil)
fi
gaq=("$here/gaq")
read -r -a bits_list <<< "${BITS-w8a8 w4a8}"
models=${RESULTS_REPO:-$here}/models/table2
mkdir -p "$models"
keep() {   # keep MODEL LOG NAME: copy a finished model and its training log to where they are committed
    cp "$1" "$models/$3.safetensors"
    cp "$2" "$models/$3.train.csv"
}
budget=()
[[ ${CLOCK:-cpu} == cpu ]] && budget=(--cpu-budget)
mkdir -p "$out"

for m in "${molecules[@]}"; do
    d=$out/$m
    mkdir -p "$d"
    # a run is done when its log names the best model, or when its model is committed already (a new machine's runs/
    # starts empty: the quantized models then start from the committed FP32 model)
    parent=$d/fp32/best.safetensors
    [[ -f $models/$m-fp32.safetensors ]] && parent=$models/$m-fp32.safetensors
    if [[ $parent != "$models/$m-fp32.safetensors" ]] && ! grep -qs '^best model:' "$d/fp32.log"; then
        if [[ -f $d/fp32/last.safetensors ]]; then
            echo "== $m: FP32, resumed, $fp32_min min in all"
            "${gaq[@]}" train --resume "$d/fp32/last.safetensors" --data "rmd17:$m" --threads 1 --epochs 100000 \
                --max-minutes "$fp32_min" "${budget[@]}" >> "$d/fp32.log" 2>&1
        else
            echo "== $m: FP32, $fp32_min min"
            "${gaq[@]}" train --data "rmd17:$m" --out "$d/fp32" --threads 1 --epochs 100000 --max-minutes "$fp32_min" "${budget[@]}" \
                --weight-average 0.999 --lr-schedule "${LR_SCHEDULE:-cosine}" > "$d/fp32.log" 2>&1
        fi
    fi
    if [[ ! -f $models/$m-fp32.safetensors ]]; then
        keep "$d/fp32/best.safetensors" "$d/fp32/train.csv" "$m-fp32"
        parent=$models/$m-fp32.safetensors
    fi
    for bits in "${bits_list[@]}"; do
        if ! grep -qs '^best model:' "$d/gaq-$bits.log"; then
            echo "== $m: GAQ $bits --recommended, $qat_min min per stage"
            rm -rf "$d/gaq-$bits"      # an interrupted QAT run starts again
            "${gaq[@]}" qat --from "$parent" --data "rmd17:$m" --bits "$bits" --recommended \
                --vector-scheme local-frame --threads 1 \
                --max-minutes "$qat_min" "${budget[@]}" --out "$d/gaq-$bits" > "$d/gaq-$bits.log" 2>&1
        fi
        if [[ ! -f $d/gaq-$bits.int.safetensors ]]; then
            "${gaq[@]}" export "$d/gaq-$bits/best.safetensors" --fp32 "$parent" \
                --out "$d/gaq-$bits.int.safetensors" > "$d/gaq-$bits.export.log" 2>&1
        fi
        if [[ ! -f $models/$m-gaq-$bits.int.safetensors ]]; then
            keep "$d/gaq-$bits.int.safetensors" "$d/gaq-$bits/train.csv" "$m-gaq-$bits.int"
        fi
    done
    if [[ ! -f $d/ptq-naive-w8a8.safetensors ]]; then
        "${gaq[@]}" ptq --from "$parent" --data "rmd17:$m" --method naive --bits w8a8 \
            --out "$d/ptq-naive-w8a8.safetensors" > "$d/ptq-naive-w8a8.log" 2>&1
    fi
    "$here/scripts/table2-records.sh" "$out" "$m"
done
