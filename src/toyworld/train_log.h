#pragma once
// Small helpers the trainers' progress lines share.
#include <cstdint>
#include <cstdio>
#include <string>

namespace bd::toyworld {

// "1h05m" or "12.5m".
inline std::string minutes_text(double seconds) {
  char buf[32];
  if (seconds >= 3600)
    std::snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(seconds / 3600),
                  static_cast<int>(seconds / 60) % 60);
  else
    std::snprintf(buf, sizeof buf, "%.1fm", seconds / 60);
  return buf;
}

struct Window {  // running means between two progress lines
  double sum[4] = {0, 0, 0, 0};
  int64_t n = 0;
  void add(double a, double b, double c, double d = 0) {
    sum[0] += a, sum[1] += b, sum[2] += c, sum[3] += d;
    ++n;
  }
  double mean(int i) const { return n ? sum[i] / static_cast<double>(n) : 0.0; }
};

}  // namespace bd::toyworld
