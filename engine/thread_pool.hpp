// A fixed set of worker threads for the explorer's parallel phases. The calling thread works
// too, so a pool of one thread runs everything inline.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ptmc {

class ThreadPool {
public:
  explicit ThreadPool(unsigned threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  unsigned size() const { return static_cast<unsigned>(workers_.size()) + 1; }

  // Calls fn(item) for every item in [0, n), items handed out in order to whichever thread is
  // free; returns when all are done. The first exception a call throws is rethrown here.
  void for_each(size_t n, const std::function<void(size_t)>& fn);

  // The number of hardware threads, at least 1.
  static unsigned hardware_threads();

private:
  void work(uint64_t generation);
  void drain();

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  uint64_t generation_ = 0;
  bool quit_ = false;
  const std::function<void(size_t)>* job_ = nullptr;
  std::atomic<size_t> items_{0};
  std::atomic<size_t> next_{0};
  unsigned busy_ = 0;
  std::exception_ptr error_;
};

} // namespace ptmc
