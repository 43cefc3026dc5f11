#include "editing/lane_pool.h"

#include <ATen/Parallel.h>

namespace bd::editing {

LanePool::~LanePool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void LanePool::run(int n, int intra_op_threads, const std::function<void(int)>& work) {
  std::unique_lock<std::mutex> lock(mutex_);
  while (size() < n) {
    const int k = size();
    // The new worker has not seen this run's generation yet: it starts from the current one.
    workers_.emplace_back([this, k, g = generation_] { worker_loop(k, g); });
  }
  work_ = &work;
  lanes_ = n;
  team_size_ = intra_op_threads;
  pending_ = n;
  failure_ = nullptr;
  ++generation_;
  wake_.notify_all();
  done_.wait(lock, [this] { return pending_ == 0; });
  work_ = nullptr;
  if (failure_) std::rethrow_exception(failure_);
}

void LanePool::worker_loop(int k, unsigned seen) {
  int team = 0;  // this thread's intra-op team size as last set here
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
    if (stopping_) return;
    seen = generation_;
    if (k >= lanes_) continue;
    const std::function<void(int)>& work = *work_;
    const int wanted = team_size_;
    lock.unlock();
    std::exception_ptr failure;
    try {
      // OpenMP's team size is per thread: this sets the worker's own.
      if (team != wanted) at::set_num_threads(team = wanted);
      work(k);
    } catch (...) {
      failure = std::current_exception();
    }
    lock.lock();
    if (failure && !failure_) failure_ = failure;
    if (--pending_ == 0) done_.notify_all();
  }
}

}  // namespace bd::editing
