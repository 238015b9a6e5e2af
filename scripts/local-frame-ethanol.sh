#!/usr/bin/env bash
# Issue #22 on ethanol: local-frame MDDQ against the paper's MDDQ, every figure of docs/results.md
# "Local-frame MDDQ" (PTQ with the recommended settings, QAT with the recommended recipe, the integer export,
# evaluations with records, E+F speed in one bench run, NVE energy jumps and drift).
# Usage: scripts/local-frame-ethanol.sh [RUNS_DIR]   (default runs/; ~2 h of one core for QAT, the rest minutes)
#   SKIP="qat continued bench jumps nve" leaves those parts out.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-runs}
gaq=("$here/gaq")
fp32=models/ethanol-fp32.safetensors
rec=results/eval/ethanol
q=$runs/qat-ethanol
mkdir -p "$q" "$rec" "$runs/md-jumps"
skipped() { [[ " ${SKIP:-} " == *" $1 "* ]]; }
evaluate() {  # name model
    [[ -f $rec/$1.json ]] || "${gaq[@]}" eval "$2" --data rmd17:ethanol --lee-rotations 2 --record "$rec/$1.json" --name "$1" | tail -6
}
ptq() {  # name ptq-args...
    local name=$1; shift
    [[ -f $q/$name.safetensors ]] || "${gaq[@]}" ptq --from "$fp32" --data rmd17:ethanol --out "$q/$name.safetensors" "$@"
}

# 1. PTQ with the recommended recipe's settings (no training): MDDQ and local-frame MDDQ, whole model and one branch
rec_ptq=(--gradient identity --per-channel --calibration-frames 950 --fp32-sites rbf_in)
ptq ptq-rec-w8a8 --method mddq "${rec_ptq[@]}"
ptq ptq-rec-w8a8-local-frame --method local-frame "${rec_ptq[@]}"
ptq ptq-rec-w8a8-vectors-only-local-frame --method local-frame "${rec_ptq[@]}" --vector-only
ptq ptq-vectors-local-frame --method local-frame --vector-only
for m in ptq-rec-w8a8 ptq-rec-w8a8-local-frame; do
    [[ -f $q/$m.int.safetensors ]] || "${gaq[@]}" export "$q/$m.safetensors" --out "$q/$m.int.safetensors"
done
evaluate ptq-rec-w8a8-local-frame "$q/ptq-rec-w8a8-local-frame.safetensors"
evaluate ptq-rec-w8a8-local-frame-int "$q/ptq-rec-w8a8-local-frame.int.safetensors"
evaluate ptq-rec-w8a8-vectors-only-local-frame "$q/ptq-rec-w8a8-vectors-only-local-frame.safetensors"
evaluate ptq-vectors-local-frame "$q/ptq-vectors-local-frame.safetensors"

# 2. QAT, the recommended recipe with local frames (16 epochs as the MDDQ model; --max-minutes caps it on a busy machine)
if ! skipped qat; then
    name=gaq-w8a8-recommended-local-frame
    grep -qs '^best model:' "$q/$name.log" || "${gaq[@]}" qat --from "$fp32" --data rmd17:ethanol --epochs 16 --max-minutes 80 \
        --out "$q/$name" --bits w8a8 --recommended --threads 1 --vector-scheme local-frame > "$q/$name.log" 2>&1
    # committed as models/ethanol-gaq-w8a8-recommended-local-frame{,.int}.safetensors
    [[ -f models/ethanol-$name.safetensors ]] || cp "$q/$name/best.safetensors" "models/ethanol-$name.safetensors"
    [[ -f models/ethanol-$name.int.safetensors ]] || "${gaq[@]}" export "models/ethanol-$name.safetensors" --out "models/ethanol-$name.int.safetensors"
    evaluate "$name-int" "models/ethanol-$name.int.safetensors"
    evaluate "$name" "models/ethanol-$name.safetensors"
fi
# 2b. the committed MDDQ --recommended model continued with local frames (its steps kept, 4 epochs at 1e-5)
if ! skipped continued; then
    name=gaq-w8a8-recommended-continued-local-frame
    grep -qs '^best model:' "$q/$name.log" || "${gaq[@]}" qat --continue --from models/ethanol-gaq-w8a8-recommended.safetensors \
        --data rmd17:ethanol --vector-scheme local-frame --epochs 4 --max-minutes 60 --threads 1 --out "$q/$name" > "$q/$name.log" 2>&1
    [[ -f $q/$name.int.safetensors ]] || "${gaq[@]}" export "$q/$name/best.safetensors" --out "$q/$name.int.safetensors"
    evaluate "$name-int" "$q/$name.int.safetensors"
fi

# 3. E+F speed: the MDDQ and local-frame integer models side by side in one process
skipped bench || [[ -f results/bench/ethanol-local-frame.json ]] || "${gaq[@]}" bench model \
    models/ethanol-gaq-w8a8-recommended.int.safetensors "$q/gaq-w8a8-recommended-continued-local-frame.int.safetensors" \
    --data rmd17:ethanol --copies 1,10 --layout apart --threads 1 --warmup 4 --seconds 2 --record results/bench/ethanol-local-frame.json

# 4. energy jumps: an FP32 NVE trajectory (1 ps, every step), and on its positions each model's energy against the
#    integral of its own forces (org.gaq.tools.EnergyJumps)
if ! skipped jumps; then
    traj=$runs/md-jumps/fp32-trajectory
    [[ -f $traj/summary.json ]] || "${gaq[@]}" md "$fp32" --structure rmd17:ethanol --steps 2000 --dt 0.5 --log-every 1 \
        --trajectory-every 1 --out "$traj" | tail -2
    source "$here/scripts/find-jdk25.sh"; gaq_find_jdk25
    "$GAQ_JAVA" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$here/target/gaq.jar" org.gaq.tools.EnergyJumps \
        "$traj/trajectory.xyz" "$fp32" "$q/ptq-rec-w8a8.int.safetensors" "$q/ptq-rec-w8a8-local-frame.int.safetensors" \
        models/ethanol-gaq-w8a8-recommended.int.safetensors models/ethanol-gaq-w8a8-recommended-dir16.int.safetensors \
        "$q/gaq-w8a8-recommended-continued-local-frame.int.safetensors" models/ethanol-gaq-w8a8-recommended-local-frame.int.safetensors \
        2>&1 | grep -v "^WARNING"
fi

# 5. NVE drift, 100 ps from three starts (as scripts/ethanol-results.sh section 4), for both local-frame models (the
#    continued model's recorded runs were made as 50 ps and extended with gaq md --resume DIR --steps 200000)
if ! skipped nve; then
    for pair in "recommended-local-frame:models/ethanol-gaq-w8a8-recommended-local-frame.int.safetensors" \
                "recommended-continued-local-frame:$q/gaq-w8a8-recommended-continued-local-frame.int.safetensors"; do
        name=${pair%%:*} model=${pair#*:}
        for seed in 1 2 3; do
            dir=results/md/ethanol-gaq-w8a8-$name-int$([[ $seed == 1 ]] || echo "-seed$seed")
            [[ -f $dir/summary.json ]] && continue
            "${gaq[@]}" md "$model" --seed "$seed" --structure rmd17:ethanol --steps 200000 --dt 0.5 --log-every 50 \
                --out "$runs/md-ethanol/$name-seed$seed" | tail -3
            mkdir -p "$dir"
            cp "$runs/md-ethanol/$name-seed$seed"/{run.json,energy.csv,summary.json} "$dir/"
        done
    done
fi
echo "done: ./gaq report"
