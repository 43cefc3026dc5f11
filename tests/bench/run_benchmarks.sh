#!/usr/bin/env bash
# Runs the network benchmarks in C++ and, beside them in the same run, the same shapes
# through the original Python code with Debian's python3-torch. Prints both and the
# ratios. Needs local checkouts of openai/guided-diffusion and openai/CLIP (not part of
# Blendiff):  tests/bench/run_benchmarks.sh GUIDED_DIFFUSION_DIR CLIP_DIR [THREADS]
# The Python tokenizer timing needs Debian's python3-regex.
set -euo pipefail
cd "$(dirname "$0")/../.."
gd=${1:?path to an openai/guided-diffusion checkout}
clip=${2:?path to an openai/CLIP checkout}
threads=${3:-$(nproc)}
vocab=${BLENDIFF_CLIP_VOCAB:-../shared/refvectors/bpe_simple_vocab_16e6.txt.gz}
export OMP_WAIT_POLICY=PASSIVE

cpp=$(build/bin/bench/bench_networks --threads "$threads" --repeats ${BLENDIFF_BENCH_REPEATS:-3} --vocab "$vocab")
echo "C++:    $cpp"
py=$(/usr/bin/python3 tests/bench/python/bench_networks_ref.py --guided-diffusion "$gd" --clip "$clip" \
       --threads "$threads" --repeats ${BLENDIFF_BENCH_REPEATS:-3} --vocab "$vocab")
echo "Python: $py"
/usr/bin/python3 - "$cpp" "$py" <<'PY'
import json, sys
c, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
for k in sorted(set(c) & set(p)):
    if k.endswith("_s"):
        print(f"{k}: C++ {c[k]:.3f} s, Python {p[k]:.3f} s, C++/Python {c[k] / p[k]:.2f}")
    elif k.endswith("_per_s"):
        print(f"{k}: C++ {c[k]:.0f}, Python {p[k]:.0f}, C++ is {c[k] / p[k]:.1f}x faster")
PY

if [[ "${BLENDIFF_BENCH_LOAD:-0}" == 1 ]]; then
  big=build/bench-unet256.safetensors
  [[ -f $big ]] || build/bin/bench/make_big_unet "$big"
  build/bin/bench/bench_load_memory "$big"
  /usr/bin/python3 - "$big" <<'PY'
import sys, torch, json, struct
# The same tensors as a torch.save zip checkpoint, the published file's format.
path = sys.argv[1]
with open(path, "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    header = json.loads(f.read(n))
    base = 8 + n
    sd = {}
    for k, v in header.items():
        if k == "__metadata__": continue
        f.seek(base + v["data_offsets"][0])
        sd[k] = torch.frombuffer(bytearray(f.read(v["data_offsets"][1] - v["data_offsets"][0])), dtype=torch.float32).reshape(v["shape"])
torch.save(sd, path.replace(".safetensors", ".pt"))
PY
  build/bin/bench/bench_load_memory "${big%.safetensors}.pt"
fi
