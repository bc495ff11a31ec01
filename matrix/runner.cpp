#include "matrix/runner.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

namespace labctl::matrix {

void for_each_bounded(std::size_t count, int parallelism,
                      const std::function<void(std::size_t)>& work,
                      const std::function<void(std::size_t)>& on_done) {
  std::atomic<std::size_t> next{0};
  std::mutex done_mutex;
  const auto worker = [&] {
    for (std::size_t i = next++; i < count; i = next++) {
      work(i);
      std::lock_guard lock(done_mutex);
      on_done(i);
    }
  };
  const std::size_t threads =
      std::min(count, static_cast<std::size_t>(std::max(parallelism, 1)));
  std::vector<std::jthread> pool;
  pool.reserve(threads);
  for (std::size_t t = 0; t < threads; ++t) pool.emplace_back(worker);
}

}  // namespace labctl::matrix
