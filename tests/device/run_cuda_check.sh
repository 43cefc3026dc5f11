#!/usr/bin/env bash
# On a GPU machine (the device tool), from the repository root, with .devdeps/deps.tar.xz
# carried (tests/device/pack_deps.sh makes it here; for --published also carry
# .devdeps/bpe_simple_vocab_16e6.txt.gz, copied from the shared reference vectors):
#   tests/device/run_cuda_check.sh [--published]
# Builds cuda_check against the machine's PyTorch LibTorch and runs it; the report, the
# log and nvidia-smi's memory trace go to $OUT (or build-gpu/ when OUT is unset).
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-build-gpu}
mkdir -p "$out"
deps=/tmp/blendiff-devdeps
# OpenCV finds its own dependencies (libGLX, TBB, LAPACK) through this, not the RUNPATH.
export LD_LIBRARY_PATH=$deps/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
build=/tmp/blendiff-gpu-build
mkdir -p "$deps" && tar -C "$deps" -xJf .devdeps/deps.tar.xz || exit 1
torch_root=$(python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))') || exit 1
abi=$(python3 -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0))'
nvidia-smi --query-gpu=timestamp,name,memory.used,utilization.gpu --format=csv -lms 500 >"$out/nvidia-smi.csv" 2>&1 &
smi=$!
g++ --version | head -1
start=$(date +%s)
cmake -S tests/device/gpu-machine -B "$build" -G Ninja -DTORCH_ROOT="$torch_root" \
  -DTORCH_CXX11_ABI="$abi" -DBLENDIFF_DEPS="$deps" >"$out/configure.log" 2>&1 || { tail -30 "$out/configure.log"; exit 1; }
ninja -C "$build" -j "$(nproc)" cuda_check >"$out/build.log" 2>&1 || { grep -m5 -A12 'error' "$out/build.log"; exit 1; }
echo "built in $(( $(date +%s) - start )) s"
# The reference vectors, plus CLIP's vocabulary for the published-size pack when carried
# (.devdeps/bpe_simple_vocab_16e6.txt.gz: OpenAI's file, never committed here).
refs=/tmp/blendiff-refvectors
mkdir -p "$refs" && cp tests/data/reference/* "$refs/" && cp .devdeps/*.txt.gz "$refs/" 2>/dev/null
BLENDIFF_REFVECTORS=$refs "$build/cuda_check" --device cuda "$@" --out "$out/cuda_check.json" \
  2>&1 | tee "$out/cuda_check.log"
rc=${PIPESTATUS[0]}
kill $smi 2>/dev/null
echo "peak GPU memory used (MiB): $(awk -F', ' 'NR>1{gsub(/ MiB/,"",$3); if($3+0>m)m=$3+0} END{print m}' "$out/nvidia-smi.csv")"
exit $rc
