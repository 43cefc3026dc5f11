#pragma once
// What every fuzz target shares: handing the input to readers that take a path, and
// reading every byte a returned tensor claims, so a view that reaches outside its
// storage is caught by AddressSanitizer (or faults) here, not later in the engine.
#include <cstddef>
#include <cstdint>
#include <string>

namespace bd::fuzz {

// Writes `data` to a per-process file named after `tag` (in $BLENDIFF_FUZZ_TMP, else
// /dev/shm, else /tmp) and returns its path. The file is reused by the next call.
std::string input_file(const std::string& tag, const std::uint8_t* data, std::size_t size);

// A per-process folder for inputs that must sit inside one (a pack's pack.json).
std::string input_dir(const std::string& tag);

// Reads the bytes of [data, data + size) one by one, in instrumented code.
void touch_bytes(const void* data, std::size_t size);

}  // namespace bd::fuzz
