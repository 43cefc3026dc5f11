# A stand-in LibTorch for the configure checks' tests: version 1.12.1, -D_GLIBCXX_USE_CXX11_ABI=1.
# Only what cmake/BlendiffTorch.cmake reads; nothing links against it.
set(TORCH_INSTALL_PREFIX "${CMAKE_CURRENT_LIST_DIR}")
set(TORCH_INCLUDE_DIRS "${CMAKE_CURRENT_LIST_DIR}/include")
set(TORCH_LIBRARY "${CMAKE_CURRENT_LIST_DIR}/lib/libtorch.so")
set(TORCH_LIBRARIES "${TORCH_LIBRARY}")
set(TORCH_CXX_FLAGS "-D_GLIBCXX_USE_CXX11_ABI=1")
set(Torch_FOUND TRUE)
