// The seen-set: 64-bit state fingerprints mapped to dense state numbers, in one open-addressing
// table with linear probing. See docs/engine.md for why fingerprints (not states) are kept and
// what a collision would cost.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace ptmc {

class SeenSet {
public:
  explicit SeenSet(size_t initial_capacity = 1 << 16) { resize(initial_capacity); }

  // Returns {number, inserted}. A new fingerprint gets number `size()` before the call.
  std::pair<uint32_t, bool> insert(uint64_t fp) {
    if ((count_ + 1) * 2 > keys_.size()) resize(keys_.size() * 2);
    size_t i = fp & mask_;
    while (true) {
      if (keys_[i] == 0) {
        keys_[i] = fp;
        values_[i] = static_cast<uint32_t>(count_);
        return {static_cast<uint32_t>(count_++), true};
      }
      if (keys_[i] == fp) return {values_[i], false};
      i = (i + 1) & mask_;
    }
  }

  size_t size() const { return count_; }
  size_t bytes() const {
    return keys_.capacity() * sizeof(uint64_t) + values_.capacity() * sizeof(uint32_t);
  }
  // The bytes the next growth would need on top of the current table.
  size_t growth_bytes() const { return keys_.size() * 2 * (sizeof(uint64_t) + sizeof(uint32_t)); }

private:
  void resize(size_t capacity) {
    std::vector<uint64_t> old_keys = std::move(keys_);
    std::vector<uint32_t> old_values = std::move(values_);
    keys_.assign(capacity, 0);
    values_.assign(capacity, 0);
    mask_ = capacity - 1;
    for (size_t j = 0; j < old_keys.size(); ++j) {
      if (old_keys[j] == 0) continue;
      size_t i = old_keys[j] & mask_;
      while (keys_[i] != 0) i = (i + 1) & mask_;
      keys_[i] = old_keys[j];
      values_[i] = old_values[j];
    }
  }

  std::vector<uint64_t> keys_; // 0 = empty; fingerprint() never returns 0
  std::vector<uint32_t> values_;
  size_t mask_ = 0;
  size_t count_ = 0;
};

} // namespace ptmc
