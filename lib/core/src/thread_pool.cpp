// thread_pool.cpp: a fixed set of workers taking tasks from one queue, and parallel_for on top.
//
// parallel_for(n, body) cuts [0, n) into at most size() contiguous chunks, queues one task per chunk
// and waits for all of them. While it waits, the calling thread runs queued tasks itself: so a
// parallel_for called from inside a worker (nested parallelism) still makes progress instead of
// deadlocking, and a pool of one thread behaves like two. The first exception of any chunk is kept
// and rethrown in the caller once every chunk has finished.
#include "gb/core/thread_pool.hpp"

#include <algorithm>
#include <exception>
#include <memory>

#include "gb/core/error.hpp"

namespace gb {

ThreadPool::ThreadPool(std::size_t threads) {
  if (threads == 0) threads = 1;  // hardware_concurrency() may answer 0 ("unknown")
  workers_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& worker : workers_) worker.join();  // workers finish the queue before leaving
}

void ThreadPool::worker_loop() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stopping, and nothing left to do
      task = std::move(tasks_.front());
      tasks_.pop();
    }
    task();
  }
}

void ThreadPool::parallel_for(std::int64_t n, const std::function<void(std::int64_t, std::int64_t)>& body) {
  if (n < 0) throw Error("parallel_for", "n >= 0", std::to_string(n));
  if (n == 0) return;
  if (!body) throw Error("parallel_for", "a callable body", "an empty std::function");

  // What the chunks share with the caller: how many are still running, and the first error.
  struct Join {
    std::mutex mutex;
    std::condition_variable done;
    std::int64_t remaining = 0;
    std::exception_ptr error;
  };
  auto join = std::make_shared<Join>();
  const auto chunks = static_cast<std::int64_t>(std::min<std::size_t>(workers_.size(), static_cast<std::size_t>(n)));
  join->remaining = chunks;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (std::int64_t c = 0; c < chunks; ++c) {
      // Chunk c gets n / chunks indices, and the first n % chunks chunks one more.
      const std::int64_t begin = c * (n / chunks) + std::min(c, n % chunks);
      const std::int64_t end = begin + n / chunks + (c < n % chunks ? 1 : 0);
      tasks_.push([join, &body, begin, end] {
        std::exception_ptr error;
        try {
          body(begin, end);
        } catch (...) {
          error = std::current_exception();
        }
        std::lock_guard<std::mutex> lock(join->mutex);
        if (error && !join->error) join->error = error;
        if (--join->remaining == 0) join->done.notify_all();
      });
    }
  }
  cv_.notify_all();

  // Help until every chunk is done, then wait for the ones other threads are still running.
  while (true) {
    std::function<void()> task;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (tasks_.empty()) break;
      task = std::move(tasks_.front());
      tasks_.pop();
    }
    task();
  }
  std::unique_lock<std::mutex> lock(join->mutex);
  join->done.wait(lock, [&] { return join->remaining == 0; });
  if (join->error) std::rethrow_exception(join->error);
}

}  // namespace gb
