// make_test_pack DIR: the reference test pack and scene, for CTest fixtures (CLI tests).
#include <cstdio>
#include <exception>

#include "test_pack.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_test_pack DIR\n");
    return 2;
  }
  try {
    bd::test::make_reference_test_pack(argv[1]);
    bd::test::make_test_scene(argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_test_pack: %s\n", e.what());
    return 1;
  }
  return 0;
}
