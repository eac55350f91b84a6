// Numbers as people read them, shared by the command-line output and the report's pages.
#pragma once

#include <fmt/core.h>

#include <cstdint>
#include <string>

namespace ptmc {

inline std::string with_commas(uint64_t n) {
  const std::string s = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i && (s.size() - i) % 3 == 0) out += ',';
    out += s[i];
  }
  return out;
}

inline std::string human_bytes(uint64_t b) {
  if (b >= (1ull << 30)) return fmt::format("{:.2f} GiB", b / double(1ull << 30));
  if (b >= (1ull << 20)) return fmt::format("{:.1f} MiB", b / double(1ull << 20));
  return fmt::format("{:.0f} KiB", b / 1024.0);
}

} // namespace ptmc
