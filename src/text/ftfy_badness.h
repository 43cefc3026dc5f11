#pragma once
// ftfy.badness.is_bad (ftfy 6.3.1): whether text holds a character sequence that is far
// likelier to be mojibake than intended, the test that starts and stops its repairs.
#include <string_view>

namespace bd::text {

bool looks_like_mojibake(std::u32string_view text);

}  // namespace bd::text
