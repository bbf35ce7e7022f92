// thread_pool.hpp: a fixed pool of worker threads and parallel_for over an index range.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

namespace gb {

class ThreadPool {
 public:
  explicit ThreadPool(std::size_t threads = std::thread::hardware_concurrency());
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  std::size_t size() const { return workers_.size(); }
  // Runs body(begin, end) on contiguous chunks of [0, n) and waits; an exception from any chunk is
  // rethrown in the caller (the first one).
  void parallel_for(std::int64_t n, const std::function<void(std::int64_t, std::int64_t)>& body);

 private:
  void worker_loop();
  std::vector<std::thread> workers_;
  std::queue<std::function<void()>> tasks_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace gb
