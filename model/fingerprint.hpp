// A 64-bit hash of a state's raw bytes, for the seen-set (docs/engine.md).
#pragma once

#include <cstddef>
#include <cstdint>

namespace ptmc {

uint64_t fingerprint(const void* data, size_t size);

} // namespace ptmc
