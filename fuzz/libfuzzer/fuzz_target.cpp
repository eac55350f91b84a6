// One libFuzzer target, built three times (fuzz/libfuzzer/CMakeLists.txt): PTMC_FUZZ_CHECK names
// the check of fuzz/roundtrip.hpp it runs, on the scenario parser, the trace-line parser or the
// agent protocol decoder.
#include "fuzz/roundtrip.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#ifndef PTMC_FUZZ_CHECK
#error "PTMC_FUZZ_CHECK must name a check of fuzz/roundtrip.hpp"
#endif
#define PTMC_STRINGIFY2(x) #x
#define PTMC_STRINGIFY(x) PTMC_STRINGIFY2(x)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (const auto problem = ptmc::fuzz::PTMC_FUZZ_CHECK(input)) {
    std::fprintf(stderr, "ptmc fuzz (%s): %s\n", PTMC_STRINGIFY(PTMC_FUZZ_CHECK), problem->c_str());
    std::abort();
  }
  return 0;
}
