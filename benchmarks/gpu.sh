#!/usr/bin/env bash
# The GPU measurements in one prepared script, for a session lent a GPU: 8 minutes at most.
#
#   bash benchmarks/gpu.sh            # on a GPU: tests, figures and timings, into RESULTS.md
#   bash benchmarks/gpu.sh --quick    # anywhere: every step with tiny sizes, nothing recorded
#
# Steps: (1) the CUDA test paths (tests that need a GPU, `-k cuda`); (2) cnn-digits,
# lstm-sentiment, gan-ring and word2vec trained on CUDA with their figures
# (benchmarks/preset_figures.py); (3) tuidl's overhead against the bare loops on CUDA
# (benchmarks/overhead.py); (4) eager vs torch.compile vs CUDA graphs for mlp-digits and
# cnn-digits (benchmarks/compile_modes.py). Without CUDA the CUDA parts are skipped, said in
# one line each, and the rest runs on the CPU with tiny sizes (what tests/test_gpu_script.py
# runs in CI), so the script cannot rot between GPU sessions. Each step has its own time
# limit; one that fails or runs out of time is reported and the next one runs; the exit
# code is the number of steps that failed.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1
if "$PY" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)'; then
    DEVICE=cuda
else
    DEVICE=cpu
    QUICK=1
    echo "gpu.sh: no CUDA device here: the CUDA parts are skipped, the rest runs tiny on the CPU"
fi
RECORD=(); [ "$QUICK" = 1 ] && RECORD=(--no-record)
FAILED=0
START=$(date +%s)

step() {  # step NAME SECONDS COMMAND...: run it with a time limit, say how it ended
    local name=$1 limit=$2; shift 2
    echo "== $name (limit ${limit}s)"
    timeout "$limit" "$@"
    local rc=$?
    if [ "$rc" = 0 ]; then echo "-- $name: done"
    elif [ "$rc" = 124 ]; then echo "-- $name: ran out of time"; FAILED=$((FAILED + 1))
    else echo "-- $name: failed (exit $rc)"; FAILED=$((FAILED + 1)); fi
}

if [ "$DEVICE" = cuda ]; then
    step "CUDA test paths" 90 "$PY" -m pytest -q -p no:cacheprovider -k cuda \
        tests/test_system.py tests/test_bad_input.py
    step "preset figures on CUDA" 150 "$PY" benchmarks/preset_figures.py --device cuda \
        --presets cnn-digits,lstm-sentiment,gan-ring,word2vec --seeds 0
    step "overhead on CUDA" 120 "$PY" benchmarks/overhead.py --device cuda --repeats 3 \
        --no-tui --label "gpu.sh"
    step "eager vs compile vs CUDA graphs" 120 "$PY" benchmarks/compile_modes.py \
        --device cuda --steps 600 --repeats 3
else
    echo "== CUDA test paths: skipped (no CUDA device)"
    step "preset runs (dry, CPU)" 120 bash -c 'for p in cnn-digits lstm-sentiment gan-ring \
        word2vec; do "$0" -m tuidl run "$p" --dry-run --device cpu || exit 1; done' "$PY"
    step "overhead (tiny, CPU)" 120 "$PY" benchmarks/overhead.py --device cpu \
        --presets mlp-digits --scale 0.02 --repeats 1 --no-tui --no-record
    step "eager vs compile vs CUDA graphs (tiny, CPU)" 60 "$PY" benchmarks/compile_modes.py \
        --device cpu --modes eager,cudagraph --steps 5 --repeats 1 "${RECORD[@]}"
fi
echo "gpu.sh: $((FAILED)) step(s) failed, $(( $(date +%s) - START ))s on $DEVICE"
exit "$FAILED"
