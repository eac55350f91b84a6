#include "model/fingerprint.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace ptmc {

// A 64-bit hash of raw state bytes: XXH3 (Debian's libxxhash), whose output passes SMHasher's
// distribution tests, which the collision bound of docs/state-vector.md assumes. States are
// small and fixed-size; for 17 to 128 bytes XXH3 is a handful of 128-bit multiplications.
uint64_t fingerprint(const void* data, size_t size) {
  const uint64_t h = XXH3_64bits(data, size);
  return h == 0 ? 1 : h; // 0 marks an empty slot in the seen-set
}

} // namespace ptmc
