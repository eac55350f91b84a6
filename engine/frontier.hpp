// A BFS level's states, in number order, stored compactly.
//
// States are fixed-size records that are mostly zero (docs/state-vector.md), and consecutive
// states of a level are often siblings that differ in a few bytes. So each state is stored as
// its XOR with the previous one, sparsely: a bit per 8-byte word that changed, then for each
// such word a bit per byte that changed, then those bytes. A chunk of kChunk states starts from
// an all-zero state, so chunks decode independently (they are the explorer's units of work).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

namespace ptmc {

template <class State> class Frontier {
  // States are copied as bytes (model states zero their padding and copy with memcpy).
  static_assert(std::is_trivially_destructible_v<State>);
  static constexpr size_t kBytes = sizeof(State);
  static constexpr size_t kWords = (kBytes + 7) / 8;
  static constexpr size_t kMaskBytes = (kWords + 7) / 8;
  static constexpr size_t kMaxEncoded = kMaskBytes + kWords + kBytes;
  static constexpr size_t kPage = size_t{1} << 20;

public:
  static constexpr size_t kChunk = 64;

  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  size_t chunks() const { return chunk_at_.size(); }
  size_t bytes() const { return pages_.size() * kPage + chunk_at_.capacity() * sizeof(Where); }

  void clear() {
    pages_.clear();
    chunk_at_.clear();
    chunk_at_.shrink_to_fit();
    count_ = 0;
    used_ = kPage;
  }

  void push(const State& s) {
    if (count_ % kChunk == 0) {
      std::memset(prev_, 0, sizeof(prev_));
      // A chunk never spans pages: at most kChunk records of at most kMaxEncoded bytes.
      if (used_ + kChunk * kMaxEncoded > kPage) new_page();
      chunk_at_.push_back(
          Where{static_cast<uint32_t>(pages_.size() - 1), static_cast<uint32_t>(used_)});
    }
    unsigned char cur[kWords * 8] = {};
    std::memcpy(cur, &s, kBytes);
    uint8_t* out = pages_.back().get() + used_;
    uint8_t* mask = out;
    std::memset(mask, 0, kMaskBytes);
    uint8_t* p = out + kMaskBytes;
    for (size_t w = 0; w < kWords; ++w) {
      uint64_t a, b;
      std::memcpy(&a, cur + 8 * w, 8);
      std::memcpy(&b, prev_ + 8 * w, 8);
      const uint64_t x = a ^ b;
      if (!x) continue;
      mask[w / 8] |= static_cast<uint8_t>(1u << (w % 8));
      uint8_t* byte_mask = p++;
      *byte_mask = 0;
      for (unsigned k = 0; k < 8; ++k) {
        const auto v = static_cast<uint8_t>(x >> (8 * k));
        if (!v) continue;
        *byte_mask |= static_cast<uint8_t>(1u << k);
        *p++ = v;
      }
    }
    used_ = static_cast<size_t>(p - pages_.back().get());
    std::memcpy(prev_, cur, sizeof(prev_));
    ++count_;
  }

  // The states of chunk c, in order.
  void decode(size_t c, std::vector<State>& out) const {
    const size_t n = std::min(kChunk, count_ - c * kChunk);
    out.resize(n);
    const uint8_t* p = pages_[chunk_at_[c].page].get() + chunk_at_[c].offset;
    unsigned char cur[kWords * 8] = {};
    for (size_t i = 0; i < n; ++i) {
      const uint8_t* mask = p;
      p += kMaskBytes;
      for (size_t w = 0; w < kWords; ++w) {
        if (!(mask[w / 8] & (1u << (w % 8)))) continue;
        const uint8_t byte_mask = *p++;
        for (unsigned k = 0; k < 8; ++k)
          if (byte_mask & (1u << k)) cur[8 * w + k] ^= *p++;
      }
      std::memcpy(static_cast<void*>(&out[i]), cur, kBytes);
    }
  }

  template <class Writer> void save(Writer& w) const {
    w.u64(count_);
    w.u64(chunk_at_.size());
    // Re-encoding on load is simpler than keeping page boundaries: write the decoded states.
    std::vector<State> states;
    for (size_t c = 0; c < chunks(); ++c) {
      decode(c, states);
      w.bytes(states.data(), states.size() * kBytes);
    }
  }
  template <class Reader> void load(Reader& r) {
    clear();
    const size_t n = r.u64();
    r.u64();
    State s;
    for (size_t i = 0; i < n; ++i) {
      r.bytes(&s, kBytes);
      push(s);
    }
  }

private:
  struct Where {
    uint32_t page, offset;
  };
  void new_page() {
    // Not zeroed: only the bytes written are touched, so only they count in the RSS.
    pages_.push_back(std::unique_ptr<uint8_t[]>(new uint8_t[kPage]));
    used_ = 0;
  }

  std::vector<std::unique_ptr<uint8_t[]>> pages_;
  std::vector<Where> chunk_at_;
  size_t count_ = 0;
  size_t used_ = kPage;
  unsigned char prev_[kWords * 8] = {};
};

} // namespace ptmc
