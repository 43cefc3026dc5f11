# Finds LibTorch and checks, at configure time, the four things that otherwise fail late
# and obscurely: its version, its C++ ABI, its CUDA, and which fmt headers spdlog sees.
#
# Either LibTorch works from one source tree: Debian's libtorch-dev (CPU, the default) or
# the CUDA LibTorch inside PyPI's torch wheel (scripts/build --torch wheel), or any other
# through -DCMAKE_PREFIX_PATH=<its share/cmake>.
#
# Sets BLENDIFF_TORCH_VERSION and BLENDIFF_TORCH_CUDA (ON when LibTorch has CUDA kernels).

set(BLENDIFF_MIN_TORCH_VERSION 1.13)

find_package(Torch REQUIRED)

# TorchConfig looks its libraries up with the default search path first, so with Debian's
# libtorch-dev installed a LibTorch elsewhere can end up with Debian's libtorch.so. Mixing
# the headers of one with the libraries of another fails only at link or run time.
get_filename_component(torch_lib_dir "${TORCH_LIBRARY}" DIRECTORY)
get_filename_component(torch_lib_dir "${torch_lib_dir}" REALPATH)
get_filename_component(torch_prefix "${TORCH_INSTALL_PREFIX}" REALPATH)
if(TORCH_INSTALL_PREFIX AND NOT torch_lib_dir MATCHES "^${torch_prefix}/")
  message(FATAL_ERROR "Blendiff: LibTorch's config at ${Torch_DIR} found its library at "
                      "${TORCH_LIBRARY}, outside its own prefix ${TORCH_INSTALL_PREFIX}. Put the "
                      "prefix itself first: -DCMAKE_PREFIX_PATH=${TORCH_INSTALL_PREFIX}")
endif()

# --- Version -----------------------------------------------------------------------------
set(BLENDIFF_TORCH_VERSION "${Torch_VERSION}")
if(NOT BLENDIFF_TORCH_VERSION)
  # Debian's TorchConfig sets no version; torch/version.h always has it.
  foreach(dir IN LISTS TORCH_INCLUDE_DIRS)
    if(EXISTS "${dir}/torch/version.h")
      file(STRINGS "${dir}/torch/version.h" line REGEX "#define TORCH_VERSION \"")
      string(REGEX MATCH "\"([^\"]+)\"" _ "${line}")
      set(BLENDIFF_TORCH_VERSION "${CMAKE_MATCH_1}")
      break()
    endif()
  endforeach()
endif()
if(NOT BLENDIFF_TORCH_VERSION)
  message(FATAL_ERROR "Blendiff: found LibTorch at ${Torch_DIR} but cannot tell its version "
                      "(no torch/version.h under ${TORCH_INCLUDE_DIRS})")
endif()
if(BLENDIFF_TORCH_VERSION VERSION_LESS BLENDIFF_MIN_TORCH_VERSION)
  message(FATAL_ERROR "Blendiff: LibTorch ${BLENDIFF_TORCH_VERSION} at ${Torch_DIR} is too old; "
                      "${BLENDIFF_MIN_TORCH_VERSION} or newer is needed")
endif()

# --- C++ ABI -----------------------------------------------------------------------------
# Qt, OpenCV and spdlog from Debian use the cxx11 std::string; a pre-cxx11 LibTorch would
# link, then crash or fail on every std::string that crosses into it (file paths, errors).
set(abi "cxx11 (the compiler's default: TorchConfig states none)")
if(TORCH_CXX_FLAGS MATCHES "_GLIBCXX_USE_CXX11_ABI=0")
  message(FATAL_ERROR
    "Blendiff: LibTorch at ${Torch_DIR} was built with the pre-cxx11 C++ ABI "
    "(-D_GLIBCXX_USE_CXX11_ABI=0). Qt, OpenCV and spdlog on this system use the cxx11 ABI, "
    "and std::string cannot cross between the two. Use a cxx11-ABI LibTorch: Debian's "
    "libtorch-dev, PyPI's torch wheel (scripts/setup --torch wheel), or pytorch.org's "
    "'cxx11 ABI' LibTorch zip.")
elseif(TORCH_CXX_FLAGS MATCHES "_GLIBCXX_USE_CXX11_ABI=1")
  set(abi "cxx11")
endif()

# --- CUDA --------------------------------------------------------------------------------
set(BLENDIFF_TORCH_CUDA OFF)
if(TARGET torch_cuda OR TORCH_LIBRARIES MATCHES "torch_cuda")
  set(BLENDIFF_TORCH_CUDA ON)
  if(CUDAToolkit_FOUND)
    set(cuda "yes: LibTorch has CUDA kernels; toolkit ${CUDAToolkit_VERSION} at ${CUDAToolkit_LIBRARY_ROOT}")
  elseif(CUDA_FOUND)
    set(cuda "yes: LibTorch has CUDA kernels; toolkit ${CUDA_VERSION} at ${CUDA_TOOLKIT_ROOT_DIR}")
  else()
    set(cuda "yes: LibTorch has CUDA kernels (no toolkit reported)")
  endif()
else()
  set(cuda "no: a CPU-only LibTorch (GPU editing needs a CUDA LibTorch: scripts/build --torch wheel)")
endif()

# The torch wheel's CUDA libraries (cuBLAS, cuDNN, NCCL, ...) live in site-packages/nvidia/
# */lib, where libtorch_cuda's RUNPATH finds them at run time. The linker, though, looks in
# the link line's rpath first, where the CUDA toolkit's own older copies (its libnccl.so.2
# lacks symbols libtorch_cuda needs) would win: point it at the wheel's.
set(BLENDIFF_TORCH_LINK_OPTIONS "")
file(GLOB wheel_cuda_dirs LIST_DIRECTORIES true "${TORCH_INSTALL_PREFIX}/../nvidia/*/lib")
if(wheel_cuda_dirs)
  list(JOIN wheel_cuda_dirs ":" joined)
  set(BLENDIFF_TORCH_LINK_OPTIONS "LINKER:-rpath-link,${joined}")
endif()

# --- fmt ---------------------------------------------------------------------------------
# spdlog is Debian's, compiled against Debian's fmt; the torch wheel bundles a newer fmt
# in its include folder, which would win the search and break the build or the ABI. A
# folder of links to the system's fmt and spdlog headers goes ahead of every other.
find_package(fmt CONFIG REQUIRED)
get_target_property(fmt_include fmt::fmt INTERFACE_INCLUDE_DIRECTORIES)
list(GET fmt_include 0 fmt_include)
set(BLENDIFF_HEADERS_FIRST "${CMAKE_BINARY_DIR}/headers-first")
file(MAKE_DIRECTORY "${BLENDIFF_HEADERS_FIRST}")
foreach(lib fmt spdlog)
  if(EXISTS "${fmt_include}/${lib}")
    file(CREATE_LINK "${fmt_include}/${lib}" "${BLENDIFF_HEADERS_FIRST}/${lib}" SYMBOLIC)
  endif()
endforeach()
include_directories(BEFORE SYSTEM "${BLENDIFF_HEADERS_FIRST}")

file(STRINGS "${fmt_include}/fmt/core.h" fmt_line REGEX "#define FMT_VERSION ")
string(REGEX MATCH "[0-9]+" system_fmt "${fmt_line}")
set(check "${CMAKE_BINARY_DIR}/CMakeFiles/fmt_winner.cpp")
file(WRITE "${check}" "#include <spdlog/spdlog.h>\n"
  "static_assert(FMT_VERSION == ${system_fmt}, \"a different fmt wins\");\nint main() { return 0; }\n")
try_compile(fmt_ok "${CMAKE_BINARY_DIR}/CMakeFiles/fmt_winner" SOURCES "${check}"
  CMAKE_FLAGS "-DINCLUDE_DIRECTORIES=${BLENDIFF_HEADERS_FIRST};${TORCH_INCLUDE_DIRS}"
  LINK_LIBRARIES spdlog::spdlog CXX_STANDARD 17 OUTPUT_VARIABLE fmt_log)
if(NOT fmt_ok)
  message(FATAL_ERROR "Blendiff: with LibTorch's include folders on the path, <spdlog/spdlog.h> "
                      "does not see the fmt ${system_fmt} it was built with (${fmt_include}).\n${fmt_log}")
endif()

message(STATUS "Blendiff: LibTorch ${BLENDIFF_TORCH_VERSION} at ${Torch_DIR}")
message(STATUS "Blendiff: LibTorch C++ ABI: ${abi}")
message(STATUS "Blendiff: CUDA: ${cuda}")
message(STATUS "Blendiff: fmt/spdlog headers: ${fmt_include} (fmt ${system_fmt}), ahead of LibTorch's")
