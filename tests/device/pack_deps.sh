#!/usr/bin/env bash
# Packs what the GPU machine (the device tool: PyTorch and the CUDA toolkit, none of
# Debian's libraries, nothing reachable) lacks into one archive, DIR.tar.xz (default
# .devdeps/deps.tar.xz; .devdeps/ is ignored by git). Debian 12's headers, shared libraries
# and CMake package files keep Debian's layout (usr/include, usr/lib/x86_64-linux-gnu,
# usr/share/cmake): their CMake files find everything relative to themselves, so they work
# from wherever the archive is unpacked.
#
#   - cuda_check's stripped build (run_cuda_check.sh, gpu-machine/): OpenCV core and
#     imgproc, spdlog, fmt, ICU, zlib, nlohmann-json. include/ and lib/ at the top are
#     links into usr/ for it.
#   - the full tree (gpu_acceptance.sh): OpenCV imgcodecs, Qt 6 Core, Gui, Widgets,
#     Concurrent, Test and DBus with moc, uic and rcc (wrapped so that they find the
#     carried Qt) and the offscreen platform plugin, CLI11, OpenGL's headers and libglvnd
#     (Qt Gui's CMake files want them), pkgconf with icu-uc.pc, and a font for the
#     offscreen editor's screenshots.
#   - with BLENDED_DIFFUSION_DIR and KORNIA_DIR set: the Python sources of
#     omriav/blended-diffusion and of kornia v0.6.2 (python-ref/), for the original loop
#     (tests/bench/python/bench_edit_speed_ref.py). Neither is ever committed here.
#   - CLIP's vocabulary (bpe_simple_vocab_16e6.txt.gz) from $BLENDIFF_REFVECTORS or the
#     blended-diffusion checkout, when either has it.
#
# Every library comes with all it needs except glibc and the compiler's runtime, with two
# exceptions. GDAL, which OpenCV imgcodecs links for geodata formats Blendiff never reads,
# would bring over 100 MB of its own needs: only a generated stand-in's source travels
# (gdal_stub.c; gpu_acceptance.sh compiles it there, GDALOpen answers "cannot open").
# Reference BLAS/LAPACK stand in for OpenBLAS (OpenCV core only links them; the heavy
# lifting there is LibTorch's own).
#
#   tests/device/pack_deps.sh [DIR]      then: a device run with carry [DIR.tar.xz]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-.devdeps/deps}
arch=x86_64-linux-gnu
sys=/usr/lib/$arch
L=$out/usr/lib/$arch
rm -rf "$out" "$out.tar.xz"
mkdir -p "$out/usr/include" "$L/cmake" "$out/usr/share/cmake" "$out/usr/bin"

# Sonames resolved as the loader would (ldconfig's cache), not by ldd: ldd lists whole
# closures, and GDAL's must stay behind.
declare -A where=()
while read -r name path; do
  [[ -n ${where[$name]:-} ]] || where[$name]=$path
done < <(ldconfig -p | awk '$2 ~ /x86-64/ {print $1, $NF}')
# glibc and the compiler's runtime are the machine's own. OpenBLAS (and its libgomp, which
# would fight LibTorch's) is replaced by reference BLAS below; GDAL by the stand-in.
skip='^(libc|libm|libdl|libpthread|librt|libstdc\+\+|libgcc_s|ld-linux-x86-64|libopenblas|libgomp|libgdal)\.so'
declare -A copied=()
# copy_lib FILE [DIR]: FILE into DIR (default the library folder) under its real name, with
# a link for the name given, then everything it needs into the library folder.
copy_lib() {
  local lib=$1 dir=${2:-$L} name real need
  name=$(basename "$lib")
  if [[ $name =~ $skip || -n ${copied[$dir/$name]:-} ]]; then return 0; fi
  copied[$dir/$name]=1
  mkdir -p "$dir"
  case $name in
    libblas.so.3) cp -L "$sys/blas/libblas.so.3" "$dir/$name" ;;
    liblapack.so.3) cp -L "$sys/lapack/liblapack.so.3" "$dir/$name" ;;
    *)
      real=$(readlink -f "$lib")
      [[ -e $dir/$(basename "$real") ]] || cp "$real" "$dir/"
      [[ $(basename "$real") == "$name" ]] || ln -sf "$(basename "$real")" "$dir/$name"
      ;;
  esac
  # (Debian's x86_64-linux-gnu-qmake6 is a shell script: nothing to follow.)
  for need in $(readelf -d "$dir/$name" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    [[ $need =~ $skip ]] && continue
    if [[ -z ${where[$need]:-} ]]; then
      echo "pack_deps: $name needs $need, which ldconfig does not know" >&2
      exit 1
    fi
    copy_lib "${where[$need]}"
  done
}

# --- Libraries ---------------------------------------------------------------------------
for r in libopencv_core.so.406 libopencv_imgproc.so.406 libopencv_imgcodecs.so.406 libspdlog.so.1.10 \
         libfmt.so.9 libicuuc.so.72 libz.so.1 libQt6Core.so.6 libQt6Gui.so.6 libQt6Widgets.so.6 \
         libQt6Concurrent.so.6 libQt6Test.so.6 libQt6DBus.so.6; do
  copy_lib "$sys/$r"
done
# Names the linker and find_library look for (Debian's -dev packages' links).
for d in libz.so libicuuc.so libicudata.so libOpenGL.so libGLX.so libGL.so libEGL.so; do
  copy_lib "$sys/$d"
done
copy_lib "$sys/qt6/plugins/platforms/libqoffscreen.so" "$L/qt6/plugins/platforms"

# --- Programs ----------------------------------------------------------------------------
# Qt's CMake files check that every tool they name exists; moc, uic and rcc also run.
for t in moc rcc uic qlalr tracegen cmake_automoc_parser qvkgen; do
  copy_lib "/usr/lib/qt6/libexec/$t" "$out/usr/lib/qt6/libexec"
done
for t in androiddeployqt androidtestrunner qdbuscpp2xml qdbusxml2cpp qtpaths; do
  copy_lib "/usr/lib/qt6/bin/$t" "$out/usr/lib/qt6/bin"
done
copy_lib "/usr/bin/$arch-qmake6" "$out/usr/bin"
copy_lib /usr/bin/pkgconf "$out/usr/bin"
# wrap DIR NAME TARGET: DIR/NAME runs DIR/TARGET with the carried libraries, and nothing
# else on the machine sees them.
wrap() {
  local up
  up=$(realpath --relative-to="$1" "$L")
  cat >"$1/$2" <<EOF
#!/bin/sh
# Debian's $3 with the libraries carried beside it (tests/device/pack_deps.sh).
here=\$(dirname "\$(readlink -f "\$0")")
LD_LIBRARY_PATH=\$here/$up\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH} exec "\$here/$3" "\$@"
EOF
  chmod +x "$1/$2"
}
for t in moc uic rcc; do
  mv "$out/usr/lib/qt6/libexec/$t" "$out/usr/lib/qt6/libexec/$t.real"
  wrap "$out/usr/lib/qt6/libexec" "$t" "$t.real"
done
wrap "$out/usr/bin" pkg-config pkgconf

# --- Headers, CMake and pkg-config files -------------------------------------------------
inc=/usr/include
cp -r $inc/opencv4 $inc/spdlog $inc/fmt $inc/nlohmann $inc/unicode $inc/zlib.h $inc/zconf.h $inc/CLI \
  $inc/KHR "$out/usr/include/"
mkdir -p "$out/usr/include/GL" "$out/usr/include/$arch/qt6"
cp $inc/GL/gl.h $inc/GL/glext.h "$out/usr/include/GL/"
cp -r $inc/$arch/qt6/{QtCore,QtGui,QtWidgets,QtConcurrent,QtTest,QtDBus} "$out/usr/include/$arch/qt6/"
cp -r "$sys/cmake/spdlog" "$sys/cmake/fmt" "$sys/cmake/opencv4" "$L/cmake/"
for m in Qt6 Qt6Core Qt6CoreTools Qt6Gui Qt6GuiTools Qt6DBus Qt6DBusTools Qt6Widgets Qt6WidgetsTools \
         Qt6Concurrent Qt6Test Qt6HostInfo; do
  if [[ -d $sys/cmake/$m ]]; then cp -r "$sys/cmake/$m" "$L/cmake/"; fi
done
# Qt's CMake files import every plugin they describe and fail on a missing file: only the
# offscreen platform plugin travels.
find "$L/cmake" -name 'Qt6Q*Plugin*.cmake' ! -name 'Qt6QOffscreenIntegrationPlugin*' -delete
# OpenCV's likewise check every module's library: keep the checks of the three carried.
sed -i -E '/^list\(APPEND _cmake_import_check_/{/(targets |files_for_)opencv_(core|imgproc|imgcodecs) /!d}' \
  "$L/cmake/opencv4/OpenCVModules-release.cmake"
mkdir -p "$L/qt6/mkspecs" "$L/metatypes" "$L/pkgconfig"
cp -r "$sys/qt6/mkspecs/linux-g++" "$sys/qt6/mkspecs/common" "$L/qt6/mkspecs/"
for m in core gui widgets concurrent test dbus; do
  f=$sys/metatypes/qt6${m}_none_metatypes.json
  if [[ -f $f ]]; then cp "$f" "$L/metatypes/"; fi
done
cp -r /usr/share/cmake/nlohmann_json /usr/share/cmake/CLI11 "$out/usr/share/cmake/"
# pkg-config files name their prefix: gpu_acceptance.sh puts the unpacked path for @DEPS@.
sed 's|^prefix *= */usr$|prefix = @DEPS@/usr|' "$sys/pkgconfig/icu-uc.pc" >"$L/pkgconfig/icu-uc.pc"

# GDAL's stand-in: the functions OpenCV imgcodecs imports from it. GDALOpen fails, so
# OpenCV's GDAL reader (used only with IMREAD_LOAD_GDAL) never gets further.
{
  echo '/* libgdal.so.32 stand-in generated by tests/device/pack_deps.sh; see there. */'
  echo '#include <stdio.h>'
  echo '#include <stdlib.h>'
  echo 'static void missing(const char* name) {'
  echo '  fprintf(stderr, "GDAL is not carried to this machine (%s called)\n", name);'
  echo '  abort();'
  echo '}'
  echo 'void GDALAllRegister(void) {}'
  echo 'void* GDALOpen(const char* path, int access) { (void)path; (void)access; return 0; }'
  echo 'void GDALClose(void* dataset) { (void)dataset; }'
  i=0
  comm -12 <(nm -D --undefined-only "$sys/libopencv_imgcodecs.so.406" | awk '{print $2}' | sed 's/@.*//' | sort -u) \
           <(nm -D --defined-only "${where[libgdal.so.32]}" | awk '{print $3}' | sed 's/@.*//' | sort -u) |
    while read -r s; do
      case $s in GDALAllRegister | GDALOpen | GDALClose) continue ;; esac
      i=$((i + 1))
      echo "void stub_$i(void) __asm__(\"$s\");"
      echo "void stub_$i(void) { missing(\"$s\"); }"
    done
} >"$out/gdal_stub.c"

# --- Fonts, the original loop's sources, CLIP's vocabulary -------------------------------
mkdir -p "$out/fonts"
cp /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf "$out/fonts/" 2>/dev/null ||
  echo "pack_deps: no DejaVuSans.ttf here (fonts-dejavu-core): the screenshots will show no text" >&2
# copy_tree SRC DST PATTERN...: the files under SRC matching any PATTERN, with their folders.
copy_tree() {
  local src=$1 dst=$2 args=() p
  shift 2
  for p in "$@"; do args+=(${args[0]:+-o} -name "$p"); done
  mkdir -p "$dst"
  (cd "$src" && find . -type f \( "${args[@]}" \) -print0 | tar --null -T - -cf -) | tar -C "$dst" -xf -
}
if [[ -n ${BLENDED_DIFFUSION_DIR:-} && -n ${KORNIA_DIR:-} ]]; then
  copy_tree "$BLENDED_DIFFUSION_DIR" "$out/python-ref/blended-diffusion" '*.py' 'bpe_simple_vocab_16e6.txt.gz'
  # Its folders are namespace packages, which any installed package of the same name (a
  # top-level "utils", say) would shadow: empty __init__.py files make them win.
  for d in guided_diffusion optimization utils; do
    if [[ -d $out/python-ref/blended-diffusion/$d ]]; then touch "$out/python-ref/blended-diffusion/$d/__init__.py"; fi
  done
  copy_tree "$KORNIA_DIR/kornia" "$out/python-ref/kornia/kornia" '*.py'
else
  echo "pack_deps: BLENDED_DIFFUSION_DIR/KORNIA_DIR not set: the original loop's timing will be skipped" >&2
fi
for v in "${BLENDIFF_REFVECTORS:-}/bpe_simple_vocab_16e6.txt.gz" \
         "${BLENDED_DIFFUSION_DIR:-}/CLIP/clip/bpe_simple_vocab_16e6.txt.gz"; do
  if [[ -f $v ]]; then cp "$v" "$out/" && break; fi
done
[[ -f $out/bpe_simple_vocab_16e6.txt.gz ]] ||
  echo "pack_deps: no CLIP vocabulary found (set BLENDIFF_REFVECTORS): published-size steps will be skipped" >&2

# cuda_check's stripped build reads include/ and lib/.
ln -s usr/include "$out/include"
ln -s usr/lib/$arch "$out/lib"
# The GPU machine takes at most 64 MiB per call, the working tree included: one archive.
tar -C "$out" -cJf "$out.tar.xz" .
du -sh "$out" "$out.tar.xz"
