#include "text/ftfy_badness.h"

#include <initializer_list>
#include <string>
#include <vector>

#include "core/unicode_text.h"
#include "text/ftfy_chardata.h"

namespace bd::text {

namespace {

using C = CharClass;

// One position of a BADNESS_RE alternative: a character class in Python's terms.
struct Item {
  enum class Kind { Set, NotSet, Space, Word, Any };
  Kind kind = Kind::Set;
  std::vector<CharClass> classes;
  std::u32string chars;  // listed characters (ASCII ranges spelled out)
  bool optional = false;

  bool matches(char32_t c) const {
    switch (kind) {
      case Kind::Space:
        return core::is_python_space(c);
      // Python's \w on str: str.isalnum() or "_".
      case Kind::Word:
        return c == U'_' || core::is_letter(c) || core::is_number(c);
      case Kind::Any:
        return c != U'\n';
      case Kind::Set:
      case Kind::NotSet:
        break;
    }
    bool in = chars.find(c) != std::u32string::npos;
    for (CharClass cls : classes) in = in || in_class(cls, c);
    return in == (kind == Kind::Set);
  }
};

Item set(std::initializer_list<CharClass> classes, std::u32string chars = {}) {
  Item item;
  item.classes = classes;
  item.chars = std::move(chars);
  return item;
}
Item chars(std::u32string chars) { return set({}, std::move(chars)); }
Item not_chars(std::u32string chars) {
  Item item = set({}, std::move(chars));
  item.kind = Item::Kind::NotSet;
  return item;
}
Item kind(Item::Kind k, bool optional = false) {
  Item item;
  item.kind = k;
  item.optional = optional;
  return item;
}

struct Pattern {
  std::vector<Item> items;
  bool at_start_only = false;  // "^"
};

const std::u32string kLower = U"abcdefghijklmnopqrstuvwxyz";
const std::u32string kUpper = U"ABCDEFGHIJKLMNOPQRSTUVWXYZ";

// BADNESS_RE, alternative by alternative, in its order.
const std::vector<Pattern>& patterns() {
  static const std::vector<Pattern> all = [] {
    const std::initializer_list<CharClass> before_bad = {
        C::Bad,      C::LowerAccented,    C::UpperAccented,
        C::Box,      C::StartPunctuation, C::EndPunctuation,
        C::Currency, C::Numeric,          C::Law};
    const Item bad = set({C::Bad});
    const Item upper_acc = set({C::UpperAccented});
    const Item lower_acc = set({C::LowerAccented});
    const Item currency = set({C::Currency});
    const Item start = set({C::StartPunctuation});
    const Item end = set({C::EndPunctuation});
    const Item box = set({C::Box});
    const Item arabic_tail =
        set({C::Common, C::Currency, C::Bad, C::Numeric, C::StartPunctuation}, U"ŸŠ®°µ»");
    const Item cyrillic_mid =
        set({C::C1, C::Bad, C::StartPunctuation, C::EndPunctuation, C::Currency}, U"°µ");
    const Item greek_mid =
        set({C::C1, C::Bad, C::StartPunctuation, C::EndPunctuation, C::Currency}, U"°");
    std::vector<Pattern> p = {
        {{set({C::C1})}},
        {{set(before_bad), bad}},
        {{chars(kLower + kUpper), set({C::LowerCommon, C::UpperCommon}), bad}},
        {{bad, set({C::LowerAccented, C::UpperAccented, C::Box, C::StartPunctuation,
                    C::EndPunctuation, C::Currency, C::Numeric, C::Law})}},
        {{set({C::LowerAccented, C::LowerCommon, C::Box, C::EndPunctuation, C::Currency,
               C::Numeric}),
          upper_acc}},
        {{set({C::Box, C::EndPunctuation, C::Currency, C::Numeric}), lower_acc}},
        {{set({C::LowerAccented, C::Box, C::EndPunctuation}), currency}},
        {{kind(Item::Kind::Space), upper_acc, currency}},
        {{set({C::UpperAccented, C::Box}), set({C::Numeric, C::Law})}},
        {{set({C::LowerAccented, C::UpperAccented, C::Box, C::Currency, C::EndPunctuation}), start,
          set({C::Numeric})}},
        {{set({C::LowerAccented, C::UpperAccented, C::Currency, C::Numeric, C::Box, C::Law}), end,
          start}},
        {{set({C::Currency, C::Numeric, C::Box}), start}},
        {{chars(kLower), upper_acc, set({C::StartPunctuation, C::Currency})}},
        {{box, set({C::Kaomoji})}},
        {{set({C::LowerAccented, C::UpperAccented, C::Currency, C::Numeric, C::StartPunctuation,
               C::EndPunctuation, C::Law}),
          box}},
        {{box, end}},
        {{set({C::LowerAccented, C::UpperAccented}), set({C::StartPunctuation, C::EndPunctuation}),
          kind(Item::Kind::Word)}},
        // The ligature œ when not followed by an unaccented Latin letter.
        {{chars(U"Œœ"), not_chars(kUpper + kLower)}},
        {{upper_acc, chars(U"°")}},
        // Common Windows-1252 two-character mojibake.
        {{chars(U"ÂÃÎÐ"),
          set({C::StartPunctuation, C::EndPunctuation}, U"€œŠš¢£Ÿž\u00a0\u00ad®©°·»–—´")}},
        {{chars(U"×"), chars(U"²³")}},
        // Windows-1252 mojibake of Arabic: four characters.
        {{chars(U"ØÙ"), arabic_tail, chars(U"ØÙ"), arabic_tail}},
        {{chars(U"à"), chars(U"²µ¹¼½¾")}},
        // MacRoman mojibake.
        {{chars(U"√"), chars(U"±∂†≠®™´≤≥¥µø")}},
        {{chars(U"≈"), chars(U"°¢")}},
        {{chars(U"‚"), chars(U"Ä"), chars(U"ìîïòôúùû†°¢π")}},
        {{chars(U"‚"), chars(U"âó"), chars(U"àä°ê")}},
        // Windows-1251 mojibake.
        {{chars(U"в"), chars(U"Ђ")}},
        {{chars(U"ВГРС"), cyrillic_mid, chars(U"ВГРС")}},
        {{chars(U"Г"), chars(U"ў"), chars(U"В"), chars(U"Ђ"), chars(U"В"), kind(Item::Kind::Any),
          chars(kUpper + kLower + U" ")}},
        // Windows-1252 spellings of "à", "á" and the no-break space itself.
        {{chars(U"Ã"), chars(U"\u00a0¡")}},
        {{chars(kLower), kind(Item::Kind::Space, true), chars(U"ÃÂ"), chars(U" ")}},
        {{chars(U"ÃÂ"), chars(U" ")}, true},
        {{set({C::EndPunctuation}, kLower + U".,?!"), chars(U"Â"),
          set({C::StartPunctuation, C::EndPunctuation}, U" ")}},
        // Windows-1253 mojibake.
        {{chars(U"β"), chars(U"€"), chars(U"™\u00a0Ά\u00ad®°")}},
        {{chars(U"ΒΓΞΟ"), greek_mid, chars(U"ΒΓΞΟ")}},
        // Windows-1257 mojibake.
        {{chars(U"ā"), chars(U"€")}},
    };
    return p;
  }();
  return all;
}

bool matches_at(const std::vector<Item>& items, std::size_t k, std::u32string_view text,
                std::size_t pos) {
  if (k == items.size()) return true;
  const Item& item = items[k];
  if (pos < text.size() && item.matches(text[pos]) && matches_at(items, k + 1, text, pos + 1))
    return true;
  return item.optional && matches_at(items, k + 1, text, pos);
}

}  // namespace

bool looks_like_mojibake(std::u32string_view text) {
  for (const Pattern& pattern : patterns()) {
    const std::size_t last = pattern.at_start_only ? 0 : text.size();
    for (std::size_t pos = 0; pos <= last && pos < text.size(); ++pos) {
      if (matches_at(pattern.items, 0, text, pos)) return true;
    }
  }
  return false;
}

}  // namespace bd::text
