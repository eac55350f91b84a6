#include "model/fingerprint.hpp"

#include <cstring>

namespace ptmc {

// A 64-bit hash of raw state bytes: each 8-byte word is folded in with the finaliser of
// MurmurHash3 (public domain constants). States are small and fixed-size, so this is all the
// hashing the seen-set needs; docs/state-vector.md gives the collision bound.
uint64_t fingerprint(const void* data, size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  uint64_t h = 0x9e3779b97f4a7c15ull ^ size;
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t w;
    std::memcpy(&w, bytes + i, 8);
    h ^= w;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
  }
  for (; i < size; ++i) h = (h ^ bytes[i]) * 0x100000001b3ull;
  return h == 0 ? 1 : h; // 0 marks an empty slot in the seen-set
}

} // namespace ptmc
