#!/usr/bin/env bash
# The GPU device check, in one call on a machine with an NVIDIA GPU, nvcc and (for the reference)
# PyTorch with transformers and PEFT; no Node.js needed. From the repository root:
#
#   OUT=/tmp/check bash scripts/device-check.sh            # everything, ~5-8 minutes on an H100/H200
#   DITTO_CHECK_STEPS="kernels parity" bash scripts/device-check.sh
#
# Steps (DITTO_CHECK_STEPS, default all, in this order):
#   build     nvcc: build/device/libditto_cuda.so, cuda_kernel_tests; g++: the CPU engine + device_check
#   kernels   every kernel test natively on the GPU (the same tests CI runs in the emulator)
#   parity    CUDA engine vs CPU engine on random llama/qwen2/qwen3 models (tiny and mid-size):
#             per-tensor LoRA gradient differences of one step, 20-step loss curves
#   bench     Qwen2.5-7B shapes, seq 2048, LoRA r16 on all seven, Q8_0 and bf16 bases: tokens/s,
#             peak GPU memory (nvidia-smi, sampled every 100 ms)
#   peft      the same training step in PyTorch + PEFT on the same GPU (bench/reference/peft_gpu.py)
# Writes $OUT/device-check.json (all figures) and $OUT/log.txt. Env: DITTO_CUDA_ARCHS (default:
# the GPU's own, e.g. 90), NVCC, CXX, JOBS.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/ditto-device-check}
STEPS=${DITTO_CHECK_STEPS:-build kernels parity bench peft}
NVCC=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
CXX=${CXX:-g++}
JOBS=${JOBS:-$(nproc)}
BUILD=build/device
WORK=${WORK:-/dev/shm/ditto-device-check}
mkdir -p "$OUT" "$BUILD/obj" "$WORK"
LOG="$OUT/log.txt"
: > "$LOG"
log() { echo "[device-check $(date +%T)] $*" | tee -a "$LOG" >&2; }
json_parts=()
add_json() { json_parts+=("\"$1\": $2"); }
write_json() {
    local IFS=","
    echo "{${json_parts[*]}}" > "$OUT/device-check.json"
}
has_step() { [[ " $STEPS " == *" $1 "* ]]; }

ARCH=${DITTO_CUDA_ARCHS:-$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d '.')}
ARCH=${ARCH:-90}
add_json date "\"$(date -u +%FT%TZ)\""
add_json gpu "\"$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -1)\""
add_json arch "\"sm_$ARCH\""

INC="-Inative/cuda -Inative/include -Inative/src"
build() {
    log "build: nvcc $($NVCC --version | tail -1), sm_$ARCH, $JOBS jobs"
    local host=() engine=() tests=()
    for f in native/src/*.cpp; do host+=("$f"); done
    for f in native/cuda/kernels/*.cu native/cuda/kernels/*.cpp native/cuda/engine/*.cu native/cuda/engine/*.cpp; do [ -f "$f" ] && engine+=("$f"); done
    for f in native/cuda/test/*.cu native/cuda/test/KernelTestMain.cpp; do tests+=("$f"); done
    export NVCC CXX INC ARCH BUILD
    compile_one() {
        local src=$1 obj="$BUILD/obj/$(echo "$1" | tr '/' '_').o"
        case "$src" in
            native/src/*) $CXX -std=c++17 -O3 -fPIC -fvisibility=hidden $INC -c "$src" -o "$obj" ;;
            *.cu) $NVCC -std=c++17 -O3 -Xcompiler -fPIC -Xcompiler -fvisibility=hidden $INC \
                    -gencode arch=compute_$ARCH,code=sm_$ARCH -Xptxas -v -c "$src" -o "$obj" 2> "$obj.ptxas" \
                    || { cat "$obj.ptxas"; return 1; }
                  if grep -E "[1-9][0-9]* bytes spill (stores|loads)" "$obj.ptxas" >/dev/null; then
                      echo "$src: register spills:"; grep -B3 -E "[1-9][0-9]* bytes spill" "$obj.ptxas"; fi ;;
            *) $NVCC -std=c++17 -O3 -Xcompiler -fPIC -Xcompiler -fvisibility=hidden $INC -c "$src" -o "$obj" ;;
        esac
    }
    export -f compile_one
    local t0=$SECONDS
    if ! printf '%s\n' "${host[@]}" "${engine[@]}" "${tests[@]}" | xargs -P "$JOBS" -I{} bash -c 'compile_one {}' >> "$LOG" 2>&1; then
        log "build FAILED (see $LOG)"; add_json build '"failed"'; write_json; exit 1
    fi
    local o=() e=() t=()
    for f in "${host[@]}"; do o+=("$BUILD/obj/$(echo "$f" | tr '/' '_').o"); done
    for f in "${engine[@]}"; do e+=("$BUILD/obj/$(echo "$f" | tr '/' '_').o"); done
    for f in "${tests[@]}" native/cuda/kernels/*.cpp; do [ -f "$f" ] && t+=("$BUILD/obj/$(echo "$f" | tr '/' '_').o"); done
    $NVCC --shared -cudart static -o "$BUILD/libditto_cuda.so" "${e[@]}" "${o[@]}" -ldl -lpthread >> "$LOG" 2>&1 &&
    $NVCC -cudart static -o "$BUILD/cuda_kernel_tests" "${t[@]}" "${o[@]}" -ldl -lpthread >> "$LOG" 2>&1 &&
    $CXX -std=c++17 -O2 $INC -o "$BUILD/device_check" native/test/device_check.cpp "${o[@]}" -ldl -lpthread >> "$LOG" 2>&1 || {
        log "link FAILED (see $LOG)"; add_json build '"failed"'; write_json; exit 1; }
    local spills; spills=$(grep -l -E "[1-9][0-9]* bytes spill" "$BUILD"/obj/*.ptxas 2>/dev/null | wc -l)
    log "build: done in $((SECONDS - t0)) s; files with register spills: $spills"
    add_json build "{\"seconds\": $((SECONDS - t0)), \"files_with_spills\": $spills}"
}

kernels() {
    log "kernels: $BUILD/cuda_kernel_tests"
    local t0=$SECONDS out
    out=$("$BUILD/cuda_kernel_tests" 2>&1); local rc=$?
    echo "$out" >> "$LOG"
    local summary; summary=$(echo "$out" | tail -1)
    log "kernels: $summary (rc $rc, $((SECONDS - t0)) s)"
    local fails; fails=$(echo "$out" | grep -E "^FAIL " | sed 's/^FAIL //' | paste -sd, -)
    add_json kernels "{\"rc\": $rc, \"summary\": \"$summary\", \"failed\": \"$fails\"}"
}

parity() {
    log "parity: CUDA vs CPU engine"
    local res
    res=$("$BUILD/device_check" parity --work "$WORK" 2>> "$LOG") || { log "parity FAILED"; add_json parity '"failed"'; return; }
    add_json parity_result "$res"
    log "parity: done"
}

# Samples the GPU's used memory while a command runs; prints the peak in MiB.
with_peak_memory() {
    local samples="$WORK/mem.$$"
    nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 100 > "$samples" 2>/dev/null &
    local sampler=$!
    "$@"; local rc=$?
    kill $sampler 2>/dev/null; wait $sampler 2>/dev/null
    PEAK_MIB=$(sort -n "$samples" | tail -1)
    rm -f "$samples"
    return $rc
}

bench() {
    for type in q8_0 bf16; do
        log "bench: Qwen2.5-7B shapes, $type base"
        local res
        if with_peak_memory bash -c "\"$BUILD/device_check\" bench --type $type --work \"$WORK\" > \"$WORK/bench.json\" 2>> \"$LOG\""; then
            res=$(cat "$WORK/bench.json")
            add_json "bench_$type" "{\"result\": $res, \"peak_gpu_mib\": ${PEAK_MIB:-null}}"
            log "bench $type: $(grep -o '"tokens_per_s": [0-9.]*' "$WORK/bench.json"), peak ${PEAK_MIB:-?} MiB"
        else
            add_json "bench_$type" '"failed"'
            log "bench $type FAILED (see $LOG)"
        fi
    done
}

peft() {
    log "peft: PyTorch + PEFT reference"
    if with_peak_memory bash -c "python3 bench/reference/peft_gpu.py > \"$WORK/peft.json\" 2>> \"$LOG\""; then
        add_json peft "{\"result\": $(cat "$WORK/peft.json"), \"peak_gpu_mib\": ${PEAK_MIB:-null}}"
        log "peft: $(grep -o '"tokens_per_s": [0-9.]*' "$WORK/peft.json")"
    else
        add_json peft '"failed"'
        log "peft FAILED (see $LOG)"
    fi
}

for step in build kernels parity bench peft; do
    has_step "$step" && "$step"
    write_json
done
log "wrote $OUT/device-check.json"
