// The state graph's edges, kept on disk for the graph pass (no-deadlock) and --dot.
//
// One record per expanded state, in the order the explorer wrote them (state number order):
//   u32 number, u8 tag (the model's byte for the state), u8 count, then count edges of
//   u32 target, u8 emit (the edge's index among the state's successors), u8 flags.
// Records are written a block at a time; the block index (kept in memory, a few entries per
// million states) lets a pass read the file backwards, which is the order in which a least
// fixpoint over mostly forward edges settles fastest.
#pragma once

#include "engine/spool.hpp"

#include <cstdint>
#include <cstring>
#include <vector>

namespace ptmc {

// Edge flag bits 0..6 are the model's; bit 7 is the engine's: this edge has the same label
// (`who` and `index`, the peek aside) as the one before it, so a graph pass can treat the
// outcomes of one tracer action together.
inline constexpr uint8_t kEdgeSameAction = 0x80;

struct StoredEdge {
  uint32_t to;
  uint8_t emit;
  uint8_t flags;
};

class EdgeStore {
public:
  static constexpr size_t kRecordHead = 6;
  static constexpr size_t kEdgeBytes = 6;

  // Appends whole records; the records appended between begin_block and end_block are read
  // back together.
  void begin_block() { blocks_.push_back(Block{file_.size(), 0}); }
  void add(const std::vector<uint8_t>& records) {
    file_.append(records.data(), records.size());
    blocks_.back().size += records.size();
  }
  void end_block() {
    if (blocks_.back().size == 0) blocks_.pop_back();
  }
  uint64_t bytes_on_disk() const { return file_.size(); }
  size_t index_bytes() const { return blocks_.capacity() * sizeof(Block); }

  static void put_head(std::vector<uint8_t>& out, uint32_t number, uint8_t tag, uint8_t count) {
    const size_t at = out.size();
    out.resize(at + kRecordHead);
    std::memcpy(out.data() + at, &number, 4);
    out[at + 4] = tag;
    out[at + 5] = count;
  }
  static void put_edge(std::vector<uint8_t>& out, const StoredEdge& e) {
    const size_t at = out.size();
    out.resize(at + kEdgeBytes);
    std::memcpy(out.data() + at, &e.to, 4);
    out[at + 4] = e.emit;
    out[at + 5] = e.flags;
  }

  // fn(number, tag, edges, count) for every record, last record first.
  template <class Fn> void for_each_reverse(Fn&& fn) const {
    std::vector<uint8_t> data;
    std::vector<size_t> starts;
    std::vector<StoredEdge> edges;
    for (size_t b = blocks_.size(); b-- > 0;) {
      read_block(b, data, starts);
      for (size_t i = starts.size(); i-- > 0;) visit(data, starts[i], edges, fn);
    }
  }
  // The same, first record first.
  template <class Fn> void for_each(Fn&& fn) const {
    std::vector<uint8_t> data;
    std::vector<size_t> starts;
    std::vector<StoredEdge> edges;
    for (size_t b = 0; b < blocks_.size(); ++b) {
      read_block(b, data, starts);
      for (size_t s : starts) visit(data, s, edges, fn);
    }
  }

  void save(BinaryWriter& w) const {
    w.u64(blocks_.size());
    for (const Block& b : blocks_) {
      w.u64(b.offset);
      w.u64(b.size);
    }
    file_.save(w);
  }
  void load(BinaryReader& r) {
    blocks_.resize(r.u64());
    for (Block& b : blocks_) {
      b.offset = r.u64();
      b.size = r.u64();
    }
    file_.load(r);
  }

private:
  struct Block {
    uint64_t offset, size;
  };

  void read_block(size_t b, std::vector<uint8_t>& data, std::vector<size_t>& starts) const {
    data.resize(blocks_[b].size);
    file_.read(blocks_[b].offset, data.data(), data.size());
    starts.clear();
    for (size_t at = 0; at < data.size(); at += kRecordHead + kEdgeBytes * data[at + 5])
      starts.push_back(at);
  }

  template <class Fn>
  static void visit(const std::vector<uint8_t>& data, size_t at, std::vector<StoredEdge>& edges,
                    Fn& fn) {
    uint32_t number;
    std::memcpy(&number, data.data() + at, 4);
    const uint8_t tag = data[at + 4];
    const uint8_t count = data[at + 5];
    edges.resize(count);
    const uint8_t* p = data.data() + at + kRecordHead;
    for (uint8_t k = 0; k < count; ++k, p += kEdgeBytes) {
      std::memcpy(&edges[k].to, p, 4);
      edges[k].emit = p[4];
      edges[k].flags = p[5];
    }
    fn(number, tag, edges.data(), count);
  }

  SpoolFile file_;
  std::vector<Block> blocks_;
};

} // namespace ptmc
