# Sourced by scripts/setup, build, run and test: reads "--torch debian|wheel" from the
# front of the arguments and sets
#   torch_kind     debian (Debian's CPU libtorch-dev, the default) or wheel (PyPI's CUDA torch)
#   build_dir      build/ or build-cuda/
#   torch_venv     the virtual environment that holds the wheel (build-cuda/venv)
#   rest           the remaining arguments
torch_kind=${BLENDIFF_TORCH:-debian}
rest=()
while (($#)); do
  case $1 in
    --torch) torch_kind=${2:?--torch needs debian or wheel}; shift 2 ;;
    --torch=*) torch_kind=${1#--torch=}; shift ;;
    *) rest+=("$1"); shift ;;
  esac
done
case $torch_kind in
  debian) build_dir=build ;;
  wheel) build_dir=build-cuda ;;
  *) echo "--torch must be debian or wheel, got '$torch_kind'" >&2; exit 2 ;;
esac
torch_venv=build-cuda/venv
# The wheel Blendiff is tested with; BLENDIFF_TORCH_WHEEL picks another (e.g. "torch==2.6.0").
torch_wheel=${BLENDIFF_TORCH_WHEEL:-torch==2.15.0}
