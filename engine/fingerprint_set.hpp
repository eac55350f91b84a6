// The seen-set: 64-bit state fingerprints, optionally each with a 32-bit value (the state's
// number, for the edge list of the graph pass and for --exact).
//
// Layout, for memory (docs/engine.md measures it):
//  - 4096 segments chosen by the fingerprint's top 12 bits. A segment grows on its own, so a
//    growth step needs the old and the new copy of one segment only, not of the whole table.
//    Segments start at slightly different sizes so that they do not all grow at once: the
//    table's load stays near its average instead of swinging in step.
//  - Within a segment, ordered linear probing: the home slot is the remaining bits scaled to
//    the segment's size (monotone in the fingerprint), and every run of occupied slots is kept
//    sorted. A lookup stops at the first larger key, so the table works at high load (up to
//    kMaxLoad) with short probes. Keys are never stored before their home slot, and a segment
//    has kPad spare slots past its end instead of wrapping around.
//
// Concurrency: lookups are safe while nobody inserts; inserts into distinct segments are safe
// in parallel (the explorer inserts partition by partition between its read-only phases).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace ptmc {

class FingerprintSet {
public:
  static constexpr unsigned kSegmentBits = 12;
  static constexpr size_t kSegments = size_t{1} << kSegmentBits;
  static constexpr uint32_t kAbsent = UINT32_MAX;

  explicit FingerprintSet(bool with_values = false) : with_values_(with_values) {
    segments_.resize(kSegments);
    for (size_t s = 0; s < kSegments; ++s) allocate(segments_[s], initial_size(s));
  }

  bool with_values() const { return with_values_; }
  static size_t segment_of(uint64_t fp) { return fp >> (64 - kSegmentBits); }

  void prefetch(uint64_t fp) const {
    const Segment& g = segments_[segment_of(fp)];
    __builtin_prefetch(g.keys.data() + home(fp, g.size));
  }

  // The value stored with `fp` (or 0 without values), kAbsent if `fp` is not in the set.
  uint32_t find(uint64_t fp) const {
    const Segment& g = segments_[segment_of(fp)];
    const uint64_t* k = g.keys.data();
    size_t i = home(fp, g.size);
    while (k[i] != 0 && k[i] < fp) ++i;
    if (k[i] != fp) return kAbsent;
    return with_values_ ? g.values[i] : 0;
  }

  // --exact: several states may share a fingerprint. Calls same(value) for each entry with
  // `fp` until it returns true; returns that value, or kAbsent.
  template <class Same> uint32_t find_exact(uint64_t fp, Same&& same) const {
    const Segment& g = segments_[segment_of(fp)];
    const uint64_t* k = g.keys.data();
    size_t i = home(fp, g.size);
    while (k[i] != 0 && k[i] < fp) ++i;
    for (; k[i] == fp; ++i)
      if (same(g.values[i])) return g.values[i];
    return kAbsent;
  }

  // Inserts an entry; the caller knows it is new (with --exact, equal fingerprints of distinct
  // states are kept side by side). Inserts into distinct segments may run in parallel.
  void insert(uint64_t fp, uint32_t value) {
    Segment& g = segments_[segment_of(fp)];
    if (double(g.count + 1) > double(g.size) * kMaxLoad) grow(g);
    while (!place(g, fp, value)) grow(g);
    ++g.count;
  }

  size_t size() const {
    size_t n = 0;
    for (const Segment& g : segments_) n += g.count;
    return n;
  }
  size_t bytes() const {
    size_t b = 0;
    for (const Segment& g : segments_)
      b += g.keys.capacity() * sizeof(uint64_t) + g.values.capacity() * sizeof(uint32_t);
    return b;
  }
  // The most the next growth of one segment adds for a moment (old and new copy side by side).
  size_t growth_bytes() const {
    size_t largest = 0;
    for (const Segment& g : segments_) largest = std::max(largest, g.keys.size());
    return static_cast<size_t>(largest * kGrowth) * (with_values_ ? 12 : 8);
  }

  // For checkpoints: each segment's slots, raw.
  template <class Writer> void save(Writer& w) const {
    w.u8(with_values_);
    for (const Segment& g : segments_) {
      w.u64(g.size);
      w.u64(g.count);
      w.bytes(g.keys.data(), g.keys.size() * sizeof(uint64_t));
      if (with_values_) w.bytes(g.values.data(), g.values.size() * sizeof(uint32_t));
    }
  }
  template <class Reader> void load(Reader& r) {
    with_values_ = r.u8() != 0;
    for (Segment& g : segments_) {
      const size_t size = r.u64();
      allocate(g, size);
      g.count = r.u64();
      r.bytes(g.keys.data(), g.keys.size() * sizeof(uint64_t));
      if (with_values_) r.bytes(g.values.data(), g.values.size() * sizeof(uint32_t));
    }
  }

private:
  static constexpr double kMaxLoad = 0.88;
  static constexpr double kGrowth = 1.25;
  static constexpr size_t kPad = 64;

  struct Segment {
    std::vector<uint64_t> keys; // size + kPad slots; 0 = empty (fingerprints are never 0)
    std::vector<uint32_t> values;
    size_t size = 0; // home slots
    size_t count = 0;
  };

  static size_t home(uint64_t fp, size_t size) {
    return static_cast<size_t>((static_cast<unsigned __int128>(fp << kSegmentBits) * size) >> 64);
  }
  // Sizes spread over one growth factor, so segments grow at different moments.
  static size_t initial_size(size_t segment) {
    return static_cast<size_t>(
        std::lround(48.0 * std::pow(kGrowth, double(segment) / double(kSegments))));
  }

  void allocate(Segment& g, size_t size) {
    g.size = size;
    g.keys.assign(size + kPad, 0);
    g.keys.shrink_to_fit();
    if (with_values_) {
      g.values.assign(size + kPad, 0);
      g.values.shrink_to_fit();
    }
  }

  // Puts fp into its sorted run, shifting the larger keys of the run one slot right. False
  // when the shift would reach the last slot (the caller grows the segment).
  bool place(Segment& g, uint64_t fp, uint32_t value) {
    uint64_t* k = g.keys.data();
    const size_t end = g.keys.size() - 1; // the last slot stays empty: it ends every probe
    size_t i = home(fp, g.size);
    while (k[i] != 0 && k[i] <= fp) ++i; // equal keys (--exact) keep their order of insertion
    size_t j = i;
    while (j < end && k[j] != 0) ++j;
    if (j == end) return false;
    std::memmove(k + i + 1, k + i, (j - i) * sizeof(uint64_t));
    k[i] = fp;
    if (with_values_) {
      uint32_t* v = g.values.data();
      std::memmove(v + i + 1, v + i, (j - i) * sizeof(uint32_t));
      v[i] = value;
    }
    return true;
  }

  void grow(Segment& g) {
    Segment old = std::move(g);
    size_t size = old.size;
    do size = static_cast<size_t>(double(size) * kGrowth) + 1;
    while (!rebuild(old, g, size));
  }

  // Copies `old` into a table of `size` home slots. The old slots are in key order, so each key
  // goes to max(its home, the last used slot + 1). False if the padding runs out.
  bool rebuild(const Segment& old, Segment& g, size_t size) {
    allocate(g, size);
    size_t next = 0;
    for (size_t i = 0; i < old.keys.size(); ++i) {
      if (old.keys[i] == 0) continue;
      const size_t at = std::max(home(old.keys[i], g.size), next);
      if (at >= g.keys.size() - 1) return false;
      g.keys[at] = old.keys[i];
      if (with_values_) g.values[at] = old.values[i];
      next = at + 1;
    }
    g.count = old.count;
    return true;
  }

  bool with_values_;
  std::vector<Segment> segments_;
};

} // namespace ptmc
