#!/usr/bin/env bash
# Edit speed, C++ against the original Python loop, on the same machine in the same run:
# for each configuration of edit_speed_configs.json (default: tiny and medium), one edit
# through bd::Engine (bench_edit_speed) and one through omriav/blended-diffusion's
# ImageEditor.edit_image_by_prompt (python/bench_edit_speed_ref.py, Debian's
# python3-torch). Prints both JSON lines and the ratios Python/C++ (> 1: C++ is faster).
#
#   tests/bench/run_edit_speed.sh BLENDED_DIFFUSION_DIR KORNIA_DIR [THREADS] [CONFIGS...]
#
# BLENDED_DIFFUSION_DIR: a checkout of omriav/blended-diffusion (not part of Blendiff);
# KORNIA_DIR: a kornia v0.6.2 source tree (the folder that holds kornia/).
# BLENDIFF_BENCH_BUILD: the build folder (default build); BLENDIFF_BENCH_SKIP: run fewer
# steps (skip_timesteps override, e.g. 97 for a 3-step smoke run).
set -euo pipefail
cd "$(dirname "$0")/../.."
bd=${1:?path to an omriav/blended-diffusion checkout}
kornia=${2:?path to a kornia v0.6.2 source tree}
threads=${3:-$(nproc)}
shift $(( $# < 3 ? $# : 3 ))
configs=("$@")
[[ ${#configs[@]} -gt 0 ]] || configs=(tiny medium)
build=${BLENDIFF_BENCH_BUILD:-build}
extra=()
[[ -n "${BLENDIFF_BENCH_SKIP:-}" ]] && extra=(--skip "$BLENDIFF_BENCH_SKIP")
export OMP_WAIT_POLICY=PASSIVE

for config in "${configs[@]}"; do
  cpp=$("$build"/bin/bench/bench_edit_speed --config "$config" --threads "$threads" "${extra[@]}" | tail -n 1)
  echo "C++:    $cpp"
  py=$(/usr/bin/python3 tests/bench/python/bench_edit_speed_ref.py --blended-diffusion "$bd" --kornia "$kornia" \
         --config "$config" --threads "$threads" "${extra[@]}" | tail -n 1)
  echo "Python: $py"
  /usr/bin/python3 - "$cpp" "$py" <<'PY'
import json, sys
c, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"{c['config']} ({c['image_size']}², batch {c['batch_size']}, {c['aug_num']} views, {c['steps']} steps, "
      f"{c['threads']} threads):")
for key, what in (("step_s", "s per guided step (median)"), ("step_mean_s", "s per guided step (mean)"),
                  ("candidate_s", "s per candidate"), ("peak_rss_mib", "peak RSS MiB")):
    print(f"  {what:28s} C++ {c[key]:9.3f}  Python {p[key]:9.3f}  Python/C++ {p[key] / c[key]:5.2f}")
PY
done
