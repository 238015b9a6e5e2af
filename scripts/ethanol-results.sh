#!/usr/bin/env bash
# Every measurement record that docs/results.md's ethanol sections are built from (`gaq report` reads
# results/): evaluations of the committed models, the baselines, ablations and direction-bit runs of
# scripts/qat-ethanol.sh, a side-by-side speed measurement, and NVE MD runs. Records that exist are
# kept (delete one to measure it again). Takes ~2–3 hours on 2 cores, most of it MD and fine-tuning.
# Usage: scripts/ethanol-results.sh [RUNS_DIR]      (run from the gaq folder)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
runs=${1:-runs}
rec=results/eval/ethanol
gaq=(./gaq)
mkdir -p "$rec" results/bench results/md

# 1. baselines, ablations and direction bits: fine-tuning, then evaluation with a record each
RECORDS=$rec SKIP="gaq-w8a8 gaq-w4a8" scripts/qat-ethanol.sh "$runs/qat-ethanol" 12 6

# 2. the committed models
evaluate() {  # name model
    [[ -f $rec/$1.json ]] && return
    echo "== eval $1"
    "${gaq[@]}" eval "$2" --data rmd17:ethanol --lee-rotations 2 --record "$rec/$1.json" --name "$1" | tail -6
}
evaluate fp32 models/ethanol-fp32.safetensors
evaluate gaq-w8a8 models/ethanol-gaq-w8a8.safetensors
evaluate gaq-w4a8 models/ethanol-gaq-w4a8.safetensors
evaluate gaq-w8a8-int models/ethanol-gaq-w8a8.int.safetensors
evaluate gaq-w4a8-int models/ethanol-gaq-w4a8.int.safetensors
evaluate gaq-w8a8-dir16 models/ethanol-gaq-w8a8-dir16.safetensors
evaluate gaq-w8a8-recommended-int models/ethanol-gaq-w8a8-recommended.int.safetensors
evaluate gaq-w4a8-recommended-int models/ethanol-gaq-w4a8-recommended.int.safetensors
evaluate gaq-w8a8-recommended-dir16-int models/ethanol-gaq-w8a8-recommended-dir16.int.safetensors
evaluate gaq-w4a8-recommended-dir16-int models/ethanol-gaq-w4a8-recommended-dir16.int.safetensors

# 3. E+F speed of the same models, side by side in one process, on one thread and on two
models=(models/ethanol-fp32.safetensors models/ethanol-gaq-w8a8.safetensors models/ethanol-gaq-w8a8.int.safetensors
        models/ethanol-gaq-w4a8.int.safetensors models/ethanol-gaq-w8a8-recommended.int.safetensors models/ethanol-gaq-w4a8-recommended.int.safetensors)
[[ -f results/bench/ethanol.json ]] || "${gaq[@]}" bench model "${models[@]}" --data rmd17:ethanol,rmd17:aspirin \
    --copies 1,10,50,200 --layout apart --threads 1 --warmup 4 --seconds 2 --record results/bench/ethanol.json
[[ -f results/bench/ethanol-2threads.json ]] || "${gaq[@]}" bench model "${models[@]}" --data rmd17:ethanol,rmd17:aspirin \
    --copies 1,10,50,200 --layout apart --threads 2 --warmup 4 --seconds 2 --record results/bench/ethanol-2threads.json

# 4. NVE MD at dt 0.5 fs from the first rMD17 ethanol frame, 300 K Maxwell–Boltzmann start (seed 1)
md() {  # name model steps [md args...]
    local name=$1 model=$2 steps=$3; shift 3
    local dir=results/md/ethanol-$name
    [[ -f $dir/summary.json ]] && return
    echo "== md $name ($steps steps)"
    "${gaq[@]}" md "$model" "$@" --structure rmd17:ethanol --steps "$steps" --dt 0.5 --log-every 50 --out "$runs/md-ethanol/$name" | tail -6
    mkdir -p "$dir"
    cp "$runs/md-ethanol/$name"/{run.json,energy.csv,summary.json} "$dir/"
}
md fp32 models/ethanol-fp32.safetensors 200000
md gaq-w8a8-int models/ethanol-gaq-w8a8.int.safetensors 200000
md gaq-w4a8-int models/ethanol-gaq-w4a8.int.safetensors 200000
md gaq-w8a8-dir16-int models/ethanol-gaq-w8a8-dir16.int.safetensors 200000
md gaq-w8a8-recommended-int models/ethanol-gaq-w8a8-recommended.int.safetensors 200000
md gaq-w8a8-recommended-int-seed2 models/ethanol-gaq-w8a8-recommended.int.safetensors 200000 --seed 2
md gaq-w8a8-recommended-int-seed3 models/ethanol-gaq-w8a8-recommended.int.safetensors 200000 --seed 3
md gaq-w4a8-recommended-int models/ethanol-gaq-w4a8-recommended.int.safetensors 200000
md gaq-w4a8-recommended-int-seed2 models/ethanol-gaq-w4a8-recommended.int.safetensors 200000 --seed 2
md gaq-w4a8-recommended-int-seed3 models/ethanol-gaq-w4a8-recommended.int.safetensors 200000 --seed 3
md gaq-w4a8-recommended-dir16-int models/ethanol-gaq-w4a8-recommended-dir16.int.safetensors 200000
md gaq-w4a8-recommended-dir16-int-seed2 models/ethanol-gaq-w4a8-recommended-dir16.int.safetensors 200000 --seed 2
md gaq-w4a8-recommended-dir16-int-seed3 models/ethanol-gaq-w4a8-recommended-dir16.int.safetensors 200000 --seed 3
md gaq-w8a8-recommended-dir16-int models/ethanol-gaq-w8a8-recommended-dir16.int.safetensors 200000
md gaq-w8a8-recommended-dir16-int-seed2 models/ethanol-gaq-w8a8-recommended-dir16.int.safetensors 200000 --seed 2
md gaq-w8a8-recommended-dir16-int-seed3 models/ethanol-gaq-w8a8-recommended-dir16.int.safetensors 200000 --seed 3
md ptq-naive-w8a8 "$runs/qat-ethanol/ptq-naive-w8a8.safetensors" 200000
md gaq-w8a8-weights-only models/ethanol-gaq-w8a8.safetensors 200000 --weights-only
md gaq-w4a8-weights-only models/ethanol-gaq-w4a8.safetensors 80000 --weights-only
echo "done: ./gaq report"
