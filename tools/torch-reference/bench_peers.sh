#!/usr/bin/env bash
# gaq against its PyTorch peers in one run (issue #5): gaq FP32 / W8A8 integer / W4A8 integer
# (org.gaq.tools.PeerBench) and torch FP32 / torch dynamic int8 (bench_torch_int8.py) on the same
# model, one thread, alternating the two processes for ROUNDS rounds, then one table with ratios
# (peers_table.py) and the accuracy of each on the first ACC_FRAMES rMD17 ethanol test frames.
#
#   tools/torch-reference/bench_peers.sh [ROUNDS]          (default 3)
#
# Environment (all optional):
#   JAR          gaq jar (default target/gaq.jar; built with mvn package if missing)
#   GAQ_DATA_DIR folder holding rmd17/ (default ../shared/data)
#   FP32 W8A8 W4A8  model files (default models/ethanol-fp32.safetensors, models/ethanol-gaq-w8a8.int.safetensors,
#                models/ethanol-gaq-w4a8.int.safetensors; torch loads FP32 and quantizes it itself)
#   WARMUP SECONDS_PER_CASE REPS   per process: total warm-up (s), measuring time per case (s), minimum repetitions
#                (default 8, 2, 20)
#   ACC_FRAMES   test frames for the accuracy columns (default 500; 0 skips)
#   TORCH_BLAS   folder with libblas.so.3 for torch (default: OpenBLAS unpacked into /tmp/gaq-openblas
#                with `apt-get download libopenblas0-pthread`, as tools/torch-reference/README.md says;
#                "system" uses whatever libblas.so.3 the system resolves)
#   OUT          folder for the raw JSON (default a new mktemp -d)
# Requires /usr/bin/python3 with Debian's python3-torch and python3-numpy.
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd -P)
repo=$(cd "$here/../.." && pwd -P)
cd "$repo"
rounds=${1:-3}
# shellcheck source=../../scripts/find-jdk25.sh
source "$repo/scripts/find-jdk25.sh"
gaq_find_jdk25 || exit 1
jar=${JAR:-$repo/target/gaq.jar}
if [[ ! -f $jar ]]; then
    MAVEN_OPTS="--sun-misc-unsafe-memory-access=allow" mvn -q -B package -DskipTests
fi
data=${GAQ_DATA_DIR:-$repo/../shared/data}/rmd17
fp32=${FP32:-models/ethanol-fp32.safetensors}
w8=${W8A8:-models/ethanol-gaq-w8a8.int.safetensors}
w4=${W4A8:-models/ethanol-gaq-w4a8.int.safetensors}
warmup=${WARMUP:-8} seconds=${SECONDS_PER_CASE:-2} reps=${REPS:-20} acc=${ACC_FRAMES:-500}
out=${OUT:-$(mktemp -d /tmp/gaq-peers.XXXXXX)}
mkdir -p "$out"

blas=${TORCH_BLAS:-}
if [[ -z $blas ]]; then
    blas=/tmp/gaq-openblas/usr/lib/x86_64-linux-gnu/openblas-pthread
    if [[ ! -f $blas/libblas.so.3 ]]; then
        (mkdir -p /tmp/gaq-openblas && cd /tmp/gaq-openblas && apt-get download libopenblas0-pthread >/dev/null \
            && dpkg -x libopenblas0-pthread_*.deb .) || { echo "no OpenBLAS for torch; using the system BLAS" >&2; blas=system; }
    fi
fi
torch_env=(env OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1)
[[ $blas != system ]] && torch_env+=(LD_LIBRARY_PATH="$blas${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
java_cmd=("$GAQ_JAVA" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$jar"
          org.gaq.tools.PeerBench "$fp32" "$w8" "$w4" --data "$data" --threads 1)
torch_cmd=("${torch_env[@]}" /usr/bin/python3 "$here/bench_torch_int8.py" "$fp32" --data "$data" --threads 1)
timing=(--warmup "$warmup" --seconds "$seconds" --reps "$reps")

echo "bench_peers: $rounds rounds, raw JSON in $out, load: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores" >&2
for ((r = 1; r <= rounds; r++)); do
    if ((r % 2)); then order=(gaq torch); else order=(torch gaq); fi
    for side in "${order[@]}"; do
        echo "  round $r: $side" >&2
        if [[ $side == gaq ]]; then
            "${java_cmd[@]}" "${timing[@]}" 2> >(grep -v "incubator" >&2) > "$out/gaq.$r.json"
        else
            "${torch_cmd[@]}" "${timing[@]}" > "$out/torch.$r.json"
        fi
    done
done
if ((acc > 0)); then
    echo "  accuracy on $acc ethanol test frames" >&2
    "${java_cmd[@]}" --no-timing --accuracy "$acc" 2> >(grep -v "incubator" >&2) > "$out/gaq.acc.json"
    "${torch_cmd[@]}" --no-timing --accuracy "$acc" > "$out/torch.acc.json"
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
/usr/bin/python3 "$here/peers_table.py" "$out"
