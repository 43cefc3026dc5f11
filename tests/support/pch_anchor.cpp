// Anchors the per-directory precompiled header of the tests (tests/CMakeLists.txt).
