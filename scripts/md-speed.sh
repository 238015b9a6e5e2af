#!/usr/bin/env bash
# MD speed (issue #6): NVE steps per second of the committed ethanol models on ethanol (9 atoms) and
# aspirin (21 atoms; same elements H, C, O — the ethanol model's forces there are meaningless, its cost
# is not), one process at a time, default threads. Prints a table; each run's summary.json has the figure.
# Usage: scripts/md-speed.sh [STEPS] [OUT_DIR]      (run from the gaq folder)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
steps=${1:-6000}
out=${2:-runs/md-speed}
printf "%-10s %-44s %10s\n" molecule model steps/s
for mol in ethanol aspirin; do
    for spec in fp32.safetensors gaq-w8a8.int.safetensors gaq-w4a8.int.safetensors "gaq-w8a8.safetensors --weights-only" gaq-w8a8.safetensors; do
        read -r file flag <<< "$spec"
        name=${file%.safetensors}${flag:+-weights-only}
        ./gaq md "models/ethanol-$file" ${flag:-} --structure "rmd17:$mol" --steps "$steps" --log-every 100 \
            --trajectory-every "$steps" --out "$out/$mol-$name" > "$out-$mol-$name.log" 2>&1
        rate=$(python3 -c "import json,sys; print(round(json.load(open(sys.argv[1]))['stepsPerSecond']))" "$out/$mol-$name/summary.json")
        printf "%-10s %-44s %10s\n" "$mol" "ethanol-$file ${flag:-}" "$rate"
    done
done
