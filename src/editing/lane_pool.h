#pragma once
// The threads that run an engine's candidate lanes on the CPU, made once per engine
// rather than once per step. Each worker sets LibTorch's intra-op team size for its own
// thread only when a run asks for a different one; the calling thread's setting (the
// application's, see bd::configure_process) is never touched.
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace bd::editing {

class LanePool {
 public:
  LanePool() = default;
  ~LanePool();
  LanePool(const LanePool&) = delete;
  LanePool& operator=(const LanePool&) = delete;

  // Runs work(0) … work(n − 1), each on its own worker with `intra_op_threads` LibTorch
  // threads, and returns when all have finished; rethrows the first exception any threw.
  // Grows the pool to n workers when it has fewer. One run at a time.
  void run(int n, int intra_op_threads, const std::function<void(int)>& work);

  int size() const { return static_cast<int>(workers_.size()); }

 private:
  void worker_loop(int k, unsigned seen_generation);

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::vector<std::thread> workers_;
  const std::function<void(int)>* work_ = nullptr;
  int lanes_ = 0;          // workers 0 … lanes_ − 1 take part in the current run
  int team_size_ = 1;
  unsigned generation_ = 0;
  int pending_ = 0;
  bool stopping_ = false;
  std::exception_ptr failure_;
};

}  // namespace bd::editing
