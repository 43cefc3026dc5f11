#!/usr/bin/env bash
# Copies what the GPU machine lacks to build and run cuda_check into one folder (default
# .devdeps/, ignored by git): Debian 12's headers and shared libraries for OpenCV core +
# imgproc, spdlog, fmt, ICU, zlib and nlohmann-json, with every library they need except
# glibc and the compiler's runtime. Reference BLAS/LAPACK stand in for OpenBLAS (OpenCV
# core only links them; the heavy lifting there is LibTorch's own).
#
#   tests/device/pack_deps.sh [DIR]      then: device run with carry [DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-.devdeps}
rm -rf "$out" && mkdir -p "$out/include" "$out/lib"
arch=/usr/lib/x86_64-linux-gnu

cp -r /usr/include/opencv4 /usr/include/spdlog /usr/include/fmt /usr/include/nlohmann \
  /usr/include/unicode /usr/include/zlib.h /usr/include/zconf.h "$out/include/"
# Only the OpenCV modules the engine uses (core, imgproc): the others' headers pull in nothing.
roots=("$arch/libopencv_core.so.406" "$arch/libopencv_imgproc.so.406" "$arch/libspdlog.so.1.10"
       "$arch/libfmt.so.9" "$arch/libicuuc.so.72" "$arch/libz.so.1")
# ldd lists whole closures and resolves libblas.so.3 through Debian's alternatives, so
# OpenBLAS (and its libgomp, which would fight LibTorch's own) must be skipped by name.
skip='^(libc|libm|libdl|libpthread|librt|libstdc\+\+|libgcc_s|ld-linux-x86-64|libopenblas|libgomp)\.so'
declare -A copied=()
copy_closure() {
  local lib=$1 name
  name=$(basename "$lib")
  [[ -n ${copied[$name]:-} || $name =~ $skip ]] && return
  copied[$name]=1
  case $name in
    libblas.so.3) cp -L "$arch/blas/libblas.so.3" "$out/lib/$name" ;;
    liblapack.so.3) cp -L "$arch/lapack/liblapack.so.3" "$out/lib/$name" ;;
    *) cp -L "$lib" "$out/lib/$name" ;;
  esac
  local dep
  while read -r dep; do copy_closure "$dep"; done < <(ldd "$out/lib/$name" | awk '/=> \//{print $3}')
}
for r in "${roots[@]}"; do copy_closure "$r"; done
# The GPU machine takes at most 64 MiB per call: the folder travels as one archive.
tar -C "$out" -cJf "$out.tar.xz" include lib
du -sh "$out" "$out.tar.xz"
