#!/usr/bin/env bash
# Issue #4's runs on ethanol (train_01 → test_01): GAQ W8A8 / W4A8, the baselines and the ablations,
# each fine-tuned from the committed FP32 model for a fixed number of epochs (not minutes: a busy
# machine must not change the result), then evaluated on test_01.
# Usage: scripts/qat-ethanol.sh [OUT_DIR] [EPOCHS_MAIN] [EPOCHS_OTHERS]
#   STAGE=train (fine-tuning only), eval (evaluations only) or all (default);
#   RECORDS=DIR also writes each evaluation as DIR/<run>.json (what `gaq report` reads; default: none);
#   SKIP="name ..." leaves those runs out (e.g. the committed GAQ W8A8/W4A8 models).
# Results: OUT_DIR/<run>/best.safetensors, OUT_DIR/<run>.eval.txt, OUT_DIR/summary.tsv.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-runs/qat-ethanol}
main_epochs=${2:-20}
other_epochs=${3:-12}
fp32=$here/models/ethanol-fp32.safetensors
mkdir -p "$out"
gaq=("$here/gaq")
stage=${STAGE:-all}
records=${RECORDS:-}
[[ -n $records ]] && mkdir -p "$records"

evaluate() {  # name model [eval-args...]
    local name=$1 model=$2; shift 2
    if [[ -f $out/$name.eval.txt ]]; then return; fi
    local rec=()
    [[ -n $records ]] && rec=(--record "$records/$name.json" --name "$name")
    "${gaq[@]}" eval "$model" --data rmd17:ethanol --lee-rotations 2 "${rec[@]}" "$@" > "$out/$name.eval.txt" 2>&1
    tail -5 "$out/$name.eval.txt"
}

skipped() { [[ " ${SKIP:-} " == *" $1 "* ]]; }

run() {  # name epochs qat-args...
    local name=$1 epochs=$2; shift 2
    skipped "$name" && return
    # a run is done when its log names the best model (an interrupted one is started again)
    if [[ $stage != eval ]] && ! grep -qs '^best model:' "$out/$name.log"; then
        echo "== $name ($epochs epochs): gaq qat $*"
        "${gaq[@]}" qat --from "$fp32" --data rmd17:ethanol --epochs "$epochs" --max-minutes 60 --out "$out/$name" "$@" > "$out/$name.log" 2>&1
    fi
    [[ $stage == train ]] || evaluate "$name" "$out/$name/best.safetensors"
}

ptq() {  # name ptq-args...
    local name=$1; shift
    skipped "$name" && return
    if [[ ! -f $out/$name.safetensors ]]; then
        echo "== $name: gaq ptq $*"
        "${gaq[@]}" ptq --from "$fp32" --data rmd17:ethanol --out "$out/$name.safetensors" "$@" > "$out/$name.log" 2>&1
    fi
    [[ $stage == train ]] || evaluate "$name" "$out/$name.safetensors"
}

frozen() {  # name from-model qat-args...: the frozen-weight-codes stage alone, on an existing fake-quantized model
    local name=$1 from=$2; shift 2
    skipped "$name" && return
    if [[ $stage != eval ]] && ! grep -qs '^best model:' "$out/$name.log"; then
        echo "== $name: gaq qat --continue --from $from $*"
        "${gaq[@]}" qat --continue --from "$from" --data rmd17:ethanol --epochs 0 --max-minutes 60 --out "$out/$name" "$@" > "$out/$name.log" 2>&1
    fi
    [[ $stage == train ]] || evaluate "$name" "$out/$name/best.safetensors"
}

requant() {  # name from-model epochs qat-args...: quantize a fake-quantized model's latent weights anew (gaq qat --requantize)
    local name=$1 from=$2 epochs=$3; shift 3
    skipped "$name" && return
    if [[ $stage != eval ]] && ! grep -qs '^best model:' "$out/$name.log"; then
        echo "== $name: gaq qat --requantize --from $from --epochs $epochs $*"
        "${gaq[@]}" qat --requantize --from "$from" --data rmd17:ethanol --epochs "$epochs" --max-minutes 60 --out "$out/$name" "$@" > "$out/$name.log" 2>&1
    fi
    [[ $stage == train ]] || evaluate "$name" "$out/$name/best.safetensors"
}

[[ $stage == train ]] || evaluate fp32 "$fp32"
ptq ptq-naive-w8a8 --method naive
ptq ptq-percentile-w8a8 --method percentile
ptq ptq-mddq-w8a8 --method mddq
run gaq-w8a8 "$main_epochs" --method gaq --bits w8a8
run gaq-w4a8 "$main_epochs" --method gaq --bits w4a8
run naive-qat-w8a8 "$other_epochs" --method naive --bits w8a8
run degree-quant-w8a8 "$other_epochs" --method degree-quant --bits w8a8
run ablation-no-mddq "$other_epochs" --method gaq --vector-scheme componentwise
run ablation-no-lee "$other_epochs" --method gaq --lee-weight 0
run ablation-no-warmup "$other_epochs" --method gaq --vector-warmup-epochs 0
run ablation-scalar-only "$other_epochs" --method gaq --scalar-only
run ablation-vector-only "$other_epochs" --method gaq --vector-only
run ablation-plain-attention "$other_epochs" --method gaq --plain-attention

# Where the LEE comes from: direction bits (PTQ of the vector sites only, then full W8A8), and GAQ QAT with 12-bit directions.
ptq ptq-vectors-componentwise --method naive --vector-only
ptq ptq-vectors-mddq-dir8 --method mddq --vector-only
ptq ptq-vectors-mddq-dir12 --method mddq --vector-only --direction-bits 12
ptq ptq-vectors-mddq-dir16 --method mddq --vector-only --direction-bits 16
ptq ptq-scalars-only --method mddq --scalar-only
ptq ptq-mddq-dir12-w8a8 --method mddq --direction-bits 12
ptq ptq-mddq-dir16-w8a8 --method mddq --direction-bits 16
run gaq-w8a8-dir12 "$main_epochs" --method gaq --bits w8a8 --direction-bits 12

# Beyond the paper (docs/quantization.md): which derivative the forces take through the quantizers
# (--gradient), one step per channel (--per-channel), percentile ranges once clipping no longer cuts
# derivatives, an FP32 radial basis (--fp32-sites rbf_in), the energy's weight, the learning rate, and
# longer runs. One thread each, so that they are reproducible bit for bit whatever the machine's cores.
ptq ptq-mddq-identity --method mddq --gradient identity
ptq ptq-mddq-per-channel --method mddq --per-channel
ptq ptq-mddq-per-channel-identity --method mddq --per-channel --gradient identity
ptq ptq-mddq-percentile-identity --method mddq --calibration percentile --gradient identity
ptq ptq-mddq-fp32-rbf --method mddq --fp32-sites rbf_in
ptq ptq-mddq-fp32-rbf-identity --method mddq --fp32-sites rbf_in --gradient identity
for sites in scalar_in attention_query,attention_key scalar_message vector_in vector_message; do   # the rest of the sweep
    ptq "ptq-mddq-identity-fp32-${sites//,/-}" --method mddq --fp32-sites "$sites" --gradient identity
done
run gaq-w8a8-identity 12 --bits w8a8 --gradient identity --threads 1
run gaq-w8a8-per-channel 12 --bits w8a8 --per-channel --threads 1
run gaq-w8a8-identity-per-channel 12 --bits w8a8 --gradient identity --per-channel --threads 1
run gaq-w8a8-energy-weight-0.2 12 --bits w8a8 --energy-weight 0.2 --threads 1
run gaq-w8a8-identity-lr3e-5 30 --bits w8a8 --gradient identity --lr 3e-5 --patience 4 --threads 1
run gaq-w8a8-identity-lr1e-4 30 --bits w8a8 --gradient identity --lr 1e-4 --patience 4 --threads 1
run gaq-w8a8-identity-fp32-rbf 16 --bits w8a8 --gradient identity --fp32-sites rbf_in --threads 1
run gaq-w4a8-identity-fp32-rbf 16 --bits w4a8 --gradient identity --fp32-sites rbf_in --threads 1
run gaq-w8a8-identity-fp32-rbf-long 60 --bits w8a8 --gradient identity --fp32-sites rbf_in --patience 6 --threads 1
run gaq-w8a8-identity-fp32-rbf-per-channel 16 --bits w8a8 --gradient identity --fp32-sites rbf_in --per-channel --threads 1
run gaq-w4a8-identity-fp32-rbf-long 60 --bits w4a8 --gradient identity --fp32-sites rbf_in --lr 3e-5 --patience 6 --threads 1
run gaq-w4a8-identity-fp32-rbf-per-channel 30 --bits w4a8 --gradient identity --fp32-sites rbf_in --per-channel --lr 3e-5 --patience 6 --threads 1
run gaq-w8a8-identity-fp32-rbf-attention-per-channel 16 --bits w8a8 --gradient identity --per-channel --fp32-sites rbf_in,attention_query,attention_key --threads 1
# --recommended: identity gradient, FP32 radial basis, per-channel steps (W8A8), calibration on all training frames, lr 1e-4 (W4A8)
run gaq-w8a8-recommended 16 --bits w8a8 --recommended --threads 1
run gaq-w8a8-recommended-fp32-attention 16 --bits w8a8 --recommended --fp32-sites rbf_in,attention_query,attention_key --threads 1
run gaq-w8a8-recommended-dir16 16 --bits w8a8 --recommended --direction-bits 16 --threads 1
# W4A8 --recommended has two stages (docs/quantization.md, "Frozen weight codes"): stage1/ is the QAT run, the run
# folder's best.safetensors the model after 15 epochs with frozen weight codes.
run gaq-w4a8-recommended 60 --bits w4a8 --recommended --patience 6 --threads 1
[[ $stage == train ]] || evaluate gaq-w4a8-recommended-stage1 "$out/gaq-w4a8-recommended/stage1/best.safetensors"
run gaq-w4a8-recommended-dir16 60 --bits w4a8 --recommended --direction-bits 16 --patience 6 --threads 1
[[ $stage == train ]] || evaluate gaq-w4a8-recommended-dir16-stage1 "$out/gaq-w4a8-recommended-dir16/stage1/best.safetensors"
run gaq-w4a8-recommended-mse-range-stage1 60 --bits w4a8 --recommended --weight-range mse --frozen-epochs 0 --patience 6 --threads 1
frozen gaq-w4a8-recommended-frozen-energy-weight-0.1 "$out/gaq-w4a8-recommended/stage1/best.safetensors" --frozen-epochs 15 --lr 1e-4 --energy-weight 0.1 --threads 1
frozen gaq-w4a8-recommended-frozen-learned-steps "$out/gaq-w4a8-recommended/stage1/best.safetensors" --frozen-epochs 15 --lr 1e-4 --step-rate 1 --threads 1
frozen gaq-w8a8-recommended-frozen "$out/gaq-w8a8-recommended/best.safetensors" --frozen-epochs 15 --lr 1e-4 --threads 1
frozen gaq-w8a8-recommended-dir16-frozen "$out/gaq-w8a8-recommended-dir16/best.safetensors" --frozen-epochs 15 --lr 1e-4 --threads 1
run gaq-w4a8-identity-fp32-rbf-lr1e-4-long 60 --bits w4a8 --gradient identity --fp32-sites rbf_in --lr 1e-4 --patience 6 --threads 1

# Learned weight-group scales in the frozen-codes stage (--weight-scale-rate K: log α at K·lr), from the same stage-1 model
for k in 1 10; do
    frozen "gaq-w4a8-recommended-frozen-weight-scales-k$k" "$out/gaq-w4a8-recommended/stage1/best.safetensors" --frozen-epochs 15 --lr 1e-4 \
        --weight-scale-rate "$k" --threads 1
done
run gaq-w8a8-recommended-dir16-learned-steps 16 --bits w8a8 --recommended --direction-bits 16 --step-rate 1 --threads 1

# The error budget (docs/results.md, "Where the rest of the error is"): which quantized part costs what, on top of the
# recommended settings. PTQ (no training) with one more kind of site left FP32, and QAT of the weights alone.
all_sites=rbf_in,scalar_in,attention_query,attention_key,scalar_message,vector_in,vector_message
rec_ptq=(--method mddq --gradient identity --per-channel --calibration-frames 950)
ptq ptq-rec-w8a8 "${rec_ptq[@]}" --fp32-sites rbf_in
[[ $stage == train ]] || evaluate ptq-rec-w8a8-weights-only "$out/ptq-rec-w8a8.safetensors" --weights-only
for sites in scalar_in attention_query,attention_key scalar_message vector_in vector_message; do
    ptq "ptq-rec-w8a8-fp32-${sites//,/-}" "${rec_ptq[@]}" --fp32-sites "rbf_in,$sites"
done
ptq ptq-rec-w8a8-scalars-only "${rec_ptq[@]}" --fp32-sites rbf_in --scalar-only
ptq ptq-rec-w8a8-vectors-only "${rec_ptq[@]}" --fp32-sites rbf_in --vector-only
run gaq-w8-weights-only 16 --bits w8a8 --recommended --fp32-sites "$all_sites" --threads 1
# how many bits the scalar activations would need for the energy target (fake-quantized only: the engine runs int8)
for bits in 10 12; do
    run "gaq-w8a$bits-recommended-dir16" 16 --bits w8a8 --recommended --direction-bits 16 --activation-bits "$bits" --threads 1
done
for bits in 12 16; do   # and the vector magnitudes too
    run "gaq-w8a${bits}v$bits-recommended-dir16" 16 --bits w8a8 --recommended --direction-bits 16 --activation-bits "$bits" --vector-bits "$bits" --threads 1
done
# the spread between two runs of the same recipe (--seed also picks the 50 validation frames)
run gaq-w8-weights-only-seed2 16 --bits w8a8 --recommended --fp32-sites "$all_sites" --seed 2 --threads 1
run gaq-w8a16v16-recommended-dir16-seed2 16 --bits w8a8 --recommended --direction-bits 16 --activation-bits 16 --vector-bits 16 --seed 2 --threads 1
run gaq-w4-weights-only 60 --bits w4a8 --recommended --patience 6 --fp32-sites "$all_sites" --threads 1
[[ $stage == train ]] || evaluate gaq-w4-weights-only-stage1 "$out/gaq-w4-weights-only/stage1/best.safetensors"

# W4A8 against its 10% force target (docs/quantization.md, "Iterative freezing" and "Weights first"): freezing the
# weights whose codes oscillate during the first stage; the 4-bit codes of the weights-only run above with activation
# quantization added afterwards (frozen stage only, or 20 more epochs first); per-channel activation steps.
run gaq-w4a8-recommended-freeze-oscillating 60 --bits w4a8 --recommended --patience 6 --freeze-oscillating 0.02 --threads 1
[[ $stage == train ]] || evaluate gaq-w4a8-recommended-freeze-oscillating-stage1 "$out/gaq-w4a8-recommended-freeze-oscillating/stage1/best.safetensors"
requant gaq-w4a8-requantized-from-w4-weights-only "$out/gaq-w4-weights-only/best.safetensors" 0 --bits w4a8 --recommended --threads 1
requant gaq-w4a8-requantized-from-w4-weights-only-e20 "$out/gaq-w4-weights-only/best.safetensors" 20 --bits w4a8 --recommended \
    --freeze-oscillating 0.02 --patience 6 --threads 1
run gaq-w4a8-recommended-per-channel 60 --bits w4a8 --recommended --per-channel --patience 6 --threads 1
[[ $stage == train ]] || evaluate gaq-w4a8-recommended-per-channel-stage1 "$out/gaq-w4a8-recommended-per-channel/stage1/best.safetensors"
run gaq-w4a8-recommended-per-channel-freeze-oscillating 60 --bits w4a8 --recommended --per-channel --freeze-oscillating 0.02 --patience 6 --threads 1
run gaq-w4a8-recommended-per-channel-freeze-oscillating-long 120 --bits w4a8 --recommended --per-channel --freeze-oscillating 0.02 --patience 6 --threads 1
run gaq-w8a8-recommended-dir16-freeze-oscillating 16 --bits w8a8 --recommended --direction-bits 16 --freeze-oscillating 0.02 --threads 1

[[ $stage == train ]] && exit 0
# One line per run: energy MAE, force MAE, LEE (test_01).
{
    printf "run\tenergy_mae_meV\tforce_mae_meV_per_A\tlee_meV_per_A\n"
    for f in "$out"/*.eval.txt; do
        name=$(basename "$f" .eval.txt)
        e=$(awk '/^energy MAE/{print $NF}' "$f"); fm=$(awk '/^force MAE/{print $NF}' "$f"); l=$(awk '/^LEE/{print $NF}' "$f")
        printf "%s\t%s\t%s\t%s\n" "$name" "$e" "$fm" "$l"
    done
} > "$out/summary.tsv"
cat "$out/summary.tsv"
