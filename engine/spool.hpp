// Files the engine keeps on disk instead of in memory: an append-only anonymous temporary file
// (the parent links, the edge list of the graph pass), and the binary reader and writer of
// checkpoints. Data on disk is not part of the process's resident set; the kernel's page cache
// holds what fits and reads it back at sequential speed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace ptmc {

// An I/O failure (disk full, a truncated checkpoint), with what was being done.
struct SpoolError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class BinaryWriter;
class BinaryReader;

// An append-only file in $TMPDIR (or /tmp), unlinked at once so that nothing is left behind,
// with a write buffer. Reads flush the buffer first.
class SpoolFile {
public:
  SpoolFile();
  ~SpoolFile();
  SpoolFile(const SpoolFile&) = delete;
  SpoolFile& operator=(const SpoolFile&) = delete;
  SpoolFile(SpoolFile&& o) noexcept;
  SpoolFile& operator=(SpoolFile&& o) noexcept;

  void append(const void* data, size_t n);
  uint64_t size() const { return size_; }
  void read(uint64_t offset, void* out, size_t n) const;
  void clear();

  // Checkpoints carry the file's contents.
  void save(BinaryWriter& w) const;
  void load(BinaryReader& r);

private:
  void flush() const;
  int fd_ = -1;
  uint64_t size_ = 0;
  mutable uint64_t flushed_ = 0;
  mutable std::vector<uint8_t> buffer_;
};

// Little-endian binary output to a file, buffered.
class BinaryWriter {
public:
  explicit BinaryWriter(int fd) : fd_(fd) { buffer_.reserve(kBuffer); }
  ~BinaryWriter() noexcept(false);
  void bytes(const void* data, size_t n);
  void u8(uint8_t v) { bytes(&v, 1); }
  void u32(uint32_t v) { bytes(&v, 4); }
  void u64(uint64_t v) { bytes(&v, 8); }
  void f64(double v) { bytes(&v, 8); }
  void str(const std::string& s) {
    u64(s.size());
    bytes(s.data(), s.size());
  }
  void flush();

private:
  static constexpr size_t kBuffer = size_t{1} << 20;
  int fd_;
  std::vector<uint8_t> buffer_;
};

class BinaryReader {
public:
  BinaryReader(int fd, std::string what) : fd_(fd), what_(std::move(what)) {}
  void bytes(void* out, size_t n);
  uint8_t u8() {
    uint8_t v;
    bytes(&v, 1);
    return v;
  }
  uint32_t u32() {
    uint32_t v;
    bytes(&v, 4);
    return v;
  }
  uint64_t u64() {
    uint64_t v;
    bytes(&v, 8);
    return v;
  }
  double f64() {
    double v;
    bytes(&v, 8);
    return v;
  }
  std::string str();
  const std::string& what() const { return what_; }

private:
  int fd_;
  std::string what_;
  std::vector<uint8_t> buffer_;
  size_t pos_ = 0;
};

// Writes `path` through a temporary file in the same directory and a rename, so that a reader
// (or a crash) sees the old file or the new one, never half of one.
template <class Fill> void write_binary_atomically(const std::string& path, Fill&& fill);

int open_for_atomic_write(const std::string& path, std::string& temp_path);
void commit_atomic_write(int fd, const std::string& temp_path, const std::string& path);
void abandon_atomic_write(int fd, const std::string& temp_path);

template <class Fill> void write_binary_atomically(const std::string& path, Fill&& fill) {
  std::string temp;
  const int fd = open_for_atomic_write(path, temp);
  try {
    {
      BinaryWriter w(fd);
      fill(w);
      w.flush();
    }
    commit_atomic_write(fd, temp, path);
  } catch (...) {
    abandon_atomic_write(fd, temp);
    throw;
  }
}

} // namespace ptmc
