#include "engine/thread_pool.hpp"

#include <utility>

namespace ptmc {

ThreadPool::ThreadPool(unsigned threads) {
  for (unsigned i = 1; i < threads; ++i)
    workers_.emplace_back([this] {
      uint64_t seen = 0;
      while (true) {
        {
          std::unique_lock lock(mutex_);
          wake_.wait(lock, [&] { return quit_ || generation_ != seen; });
          if (quit_) return;
          seen = generation_;
          ++busy_;
        }
        drain();
        std::lock_guard lock(mutex_);
        if (--busy_ == 0) done_.notify_all();
      }
    });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    quit_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

unsigned ThreadPool::hardware_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n ? n : 1;
}

void ThreadPool::drain() {
  while (true) {
    const size_t i = next_.fetch_add(1, std::memory_order_relaxed);
    if (i >= items_.load(std::memory_order_relaxed)) return;
    try {
      (*job_)(i);
    } catch (...) {
      std::lock_guard lock(mutex_);
      if (!error_) error_ = std::current_exception();
      next_.store(items_.load(), std::memory_order_relaxed); // the others stop taking items
    }
  }
}

void ThreadPool::for_each(size_t n, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  if (workers_.empty() || n == 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    job_ = &fn;
    items_.store(n);
    next_.store(0, std::memory_order_relaxed);
    error_ = nullptr;
    ++busy_; // this thread
    ++generation_;
  }
  wake_.notify_all();
  drain();
  std::unique_lock lock(mutex_);
  --busy_;
  done_.wait(lock, [&] { return busy_ == 0; });
  job_ = nullptr;
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
}

} // namespace ptmc
