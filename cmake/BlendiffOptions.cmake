# Flags live on an INTERFACE target, never globally (cpp-best-practices).
add_library(bd_options INTERFACE)
target_compile_options(bd_options INTERFACE
  -Wall -Wextra -Wno-unused-parameter
  # LibTorch headers trip these; they say nothing about our code.
  -Wno-sign-compare -Wno-missing-field-initializers)

# Torch without its CMake's global flags: TORCH_CXX_FLAGS only carries the ABI define.
function(bd_link_torch target visibility)
  target_link_libraries(${target} ${visibility} ${TORCH_LIBRARIES})
  target_include_directories(${target} SYSTEM ${visibility} ${TORCH_INCLUDE_DIRS})
  if(BLENDIFF_TORCH_LINK_OPTIONS)
    target_link_options(${target} ${visibility} ${BLENDIFF_TORCH_LINK_OPTIONS})
  endif()
  if(BLENDIFF_TORCH_CUDA)
    # Code that asks the CUDA runtime directly (free memory, device names) compiles only here.
    target_compile_definitions(${target} ${visibility} BLENDIFF_WITH_CUDA=1)
  endif()
endfunction()
