#include "kernels/common/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define TF_CPU_RELAX() _mm_pause()
#else
#define TF_CPU_RELAX() std::this_thread::yield()
#endif

namespace tf::kernels {
namespace {

using Clock = std::chrono::steady_clock;
using Fn = std::function<void(int64_t, int64_t)>;

// How long an idle worker keeps polling after a job (or a kick) before parking. Waking a parked
// worker costs 25-70 us on this 2-vCPU VM (its vCPU halts), more than most kernels take, so the
// spin covers the gap between the layers of one forward pass and between back-to-back requests
// (an MLP predictOnBatch at batch 64, 2 threads: 270-316 -> 205-220 us with pool_warm).
constexpr auto kWorkerSpin = std::chrono::microseconds(50);
// After kWorkerSpin the worker polls on, yielding its vCPU between short polls, until
// kWorkerYieldSpin has passed since its last job. A 50 us spin alone left the worker parked for
// most of an imported network's batch-1 pass: a run of steps that do not split (a
// squeeze-and-excitation block's pool, two 1x1x1 convolutions, HardSigmoid and Mul, each with its
// JS around it) lasts longer than that, and every split after it found the worker parked, paid the
// wake-up and mostly ran on the caller alone (mobilenet_v3_small at batch 1, 2 threads: 75% of
// jobs started with the worker parked). onnxruntime's workers spin for milliseconds after each
// op. The yields leave the vCPU to any other runnable thread, so a busy machine loses little.
constexpr auto kWorkerYieldSpin = std::chrono::microseconds(1000);
// Polls between yields in the second phase: about 5 us of pause loops.
constexpr int kPollsPerYield = 256;
// How long the caller polls for the workers' chunks before sleeping. The caller has nothing else to
// do, and a sleeping caller adds a second wake-up to the kernel's latency.
constexpr auto kCallerSpin = std::chrono::microseconds(50);
// After kCallerSpin the caller polls on, yielding its vCPU between short polls, until this much
// time has passed. A worker's last chunk of a batch-1 convolution (an eighth of a 0.6-1.2 ms
// layer) often ends 50-150 us after the caller's: a caller asleep by then paid a futex wake-up
// (25-70 us on this 2-vCPU VM) on top, on most layers of a network. Past this bound the worker is
// probably descheduled; the yields leave the vCPU to whoever runs instead meanwhile.
constexpr auto kCallerYieldSpin = std::chrono::microseconds(1000);

// Set on pool workers and on a caller while it runs chunks: a parallel_for from inside a chunk
// runs inline instead of deadlocking on the busy pool.
thread_local bool t_in_parallel = false;

// pool_stats: off unless asked for (then a clock read per chunk and per call).
std::atomic<bool> g_stats_on{false};
struct AtomicStats {
  std::atomic<int64_t> serial_calls{0}, serial_ns{0}, split_calls{0}, split_ns{0}, caller_ns{0}, worker_ns{0},
      caller_chunks{0}, worker_chunks{0}, cold_starts{0};
};
AtomicStats g_stats;
inline bool stats_on() { return g_stats_on.load(std::memory_order_relaxed); }
inline int64_t ns_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t).count();
}
inline void stat_add(std::atomic<int64_t>& a, int64_t v) { a.fetch_add(v, std::memory_order_relaxed); }

// The claim word packs [generation:32][back:16][front:16]: chunks [front, back) are unclaimed. The
// caller claims from the front and workers from the back, so on two threads the caller works
// through a prefix of the range and the worker a suffix, meeting wherever the work balances. Two
// layers in a row that split their output rows the same way then find most of their input in
// their own core's cache: claimed in one order by whoever was free, the chunks alternated between
// cores and a depthwise layer after a pointwise one read half its input from the other core's L2.
// Carrying the generation in the same atomic means a worker that wakes late can never claim a
// chunk of a newer job against the previous job's function or chunk count.
constexpr int kCountShift = 16;
constexpr int kGenShift = 32;
constexpr uint64_t kField = 0xFFFF;
constexpr int64_t kMaxChunks = 0xFFFF;

class Pool {
 public:
  explicit Pool(int threads) {
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
  }

  ~Pool() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
      stop_flag_.store(true, std::memory_order_release);
    }
    work_cv_.notify_all();
    for (auto& t : workers_) t.join();
  }

  // True while no worker is parked: a job now starts on every thread within a microsecond or so.
  bool workers_awake() const { return sleepers_.load(std::memory_order_acquire) == 0; }

  // Wakes parked workers without giving them work, so they poll for the next job. Lock-free: a
  // worker that is just about to park misses it, which only costs that prewarm.
  void kick() {
    if (sleepers_.load(std::memory_order_acquire) == 0) return;
    if (kick_pending_.exchange(true, std::memory_order_acq_rel)) return;
    kick_.fetch_add(1, std::memory_order_acq_rel);
    work_cv_.notify_all();
  }

  // Returns false without running anything when another thread owns the pool.
  bool try_run(int64_t n, int64_t chunks, const Fn& fn) {
    if (busy_.exchange(true, std::memory_order_acquire)) return false;
    fn_ = &fn;
    n_ = n;
    remaining_.store(chunks, std::memory_order_relaxed);
    uint64_t gen;
    {
      std::lock_guard<std::mutex> lk(mu_);
      gen = (generation_.load(std::memory_order_relaxed) + 1) & 0xFFFFFFFFu;
      // Chunk 0 is the caller's and not up for claiming: the same thread then always works on
      // the same part (rows of C stay in its own L2 from one call to the next), while workers
      // take chunks from the back and the caller goes on from the front, stealing any a late
      // worker has not started.
      chunks_ = chunks;
      claim_.store((gen << kGenShift) | (static_cast<uint64_t>(chunks) << kCountShift) | 1u,
                   std::memory_order_release);
      generation_.store(gen, std::memory_order_release);
    }
    const bool stats = stats_on();
    const Clock::time_point t0 = stats ? Clock::now() : Clock::time_point{};
    if (sleepers_.load(std::memory_order_acquire) > 0) {
      if (stats) stat_add(g_stats.cold_starts, 1);
      work_cv_.notify_all();
    }

    t_in_parallel = true;
    fn(0, n / chunks);
    if (stats) {
      stat_add(g_stats.caller_ns, ns_since(t0));
      stat_add(g_stats.caller_chunks, 1);
    }
    remaining_.fetch_sub(1, std::memory_order_acq_rel);
    run_chunks(gen, false);
    t_in_parallel = false;
    wait_done();
    if (stats) {
      stat_add(g_stats.split_calls, 1);
      stat_add(g_stats.split_ns, ns_since(t0));
    }
    fn_ = nullptr;
    busy_.store(false, std::memory_order_release);
    return true;
  }

 private:
  void run_chunks(uint64_t gen, bool worker) {
    for (;;) {
      uint64_t v = claim_.load(std::memory_order_acquire);
      int64_t index;
      for (;;) {
        if ((v >> kGenShift) != gen) return;
        const int64_t front = static_cast<int64_t>(v & kField);
        const int64_t back = static_cast<int64_t>((v >> kCountShift) & kField);
        if (front >= back) return;
        // Workers take the back chunk (back - 1), the caller the front one.
        index = worker ? back - 1 : front;
        const uint64_t next = worker ? v - (uint64_t{1} << kCountShift) : v + 1;
        if (claim_.compare_exchange_weak(v, next, std::memory_order_acq_rel, std::memory_order_acquire)) break;
      }
      // Safe to read the job now: it cannot finish (and be replaced) before this claimed chunk.
      const int64_t count = chunks_;
      const int64_t begin = n_ * index / count;
      const int64_t end = n_ * (index + 1) / count;
      if (stats_on()) {
        const Clock::time_point t0 = Clock::now();
        (*fn_)(begin, end);
        stat_add(worker ? g_stats.worker_ns : g_stats.caller_ns, ns_since(t0));
        stat_add(worker ? g_stats.worker_chunks : g_stats.caller_chunks, 1);
      } else {
        (*fn_)(begin, end);
      }
      if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        // Taking the mutex orders this notify after the caller's predicate check, so a caller
        // that is about to sleep cannot miss it.
        std::lock_guard<std::mutex> lk(mu_);
        done_cv_.notify_one();
      }
    }
  }

  void wait_done() {
    if (remaining_.load(std::memory_order_acquire) == 0) return;
    const auto start = Clock::now();
    const auto deadline = start + kCallerSpin;
    for (int i = 0;; ++i) {
      if (remaining_.load(std::memory_order_acquire) == 0) return;
      TF_CPU_RELAX();
      if ((i & 63) == 63 && Clock::now() > deadline) break;
    }
    const auto yield_deadline = start + kCallerYieldSpin;
    for (int i = 0;; ++i) {
      if (remaining_.load(std::memory_order_acquire) == 0) return;
      TF_CPU_RELAX();
      if ((i % kPollsPerYield) == kPollsPerYield - 1) {
        if (Clock::now() > yield_deadline) break;
        std::this_thread::yield();
      }
    }
    std::unique_lock<std::mutex> lk(mu_);
    done_cv_.wait(lk, [this] { return remaining_.load(std::memory_order_acquire) == 0; });
  }

  void worker_loop() {
    t_in_parallel = true;
    uint64_t seen = generation_.load(std::memory_order_acquire);
    for (;;) {
      uint64_t gen = generation_.load(std::memory_order_acquire);
      if (gen == seen && !stop_flag_.load(std::memory_order_acquire)) {
        const auto start = Clock::now();
        const auto deadline = start + kWorkerSpin;
        for (int i = 0; gen == seen; ++i) {
          TF_CPU_RELAX();
          gen = generation_.load(std::memory_order_acquire);
          if ((i & 15) == 15 && Clock::now() > deadline) break;
        }
        const auto yield_deadline = start + kWorkerYieldSpin;
        for (int i = 0; gen == seen && !stop_flag_.load(std::memory_order_acquire); ++i) {
          TF_CPU_RELAX();
          gen = generation_.load(std::memory_order_acquire);
          if ((i % kPollsPerYield) == kPollsPerYield - 1) {
            if (Clock::now() > yield_deadline) break;
            std::this_thread::yield();
          }
        }
      }
      if (gen == seen) {
        std::unique_lock<std::mutex> lk(mu_);
        sleepers_.fetch_add(1, std::memory_order_acq_rel);
        const uint64_t kicked = kick_.load(std::memory_order_acquire);
        work_cv_.wait(lk, [&] {
          return stop_ || generation_.load(std::memory_order_acquire) != seen ||
                 kick_.load(std::memory_order_acquire) != kicked;
        });
        sleepers_.fetch_sub(1, std::memory_order_acq_rel);
        kick_pending_.store(false, std::memory_order_release);
        gen = generation_.load(std::memory_order_acquire);
      }
      if (stop_flag_.load(std::memory_order_acquire)) return;
      if (gen == seen) continue;  // kicked awake without a job: poll again
      seen = gen;
      run_chunks(gen, true);
    }
  }

  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<uint64_t> claim_{0};
  int64_t chunks_ = 0;  // of the current job (written before its generation is published)
  std::atomic<int64_t> remaining_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<uint64_t> kick_{0};
  std::atomic<bool> kick_pending_{false};
  std::atomic<bool> busy_{false};
  bool stop_ = false;  // guarded by mu_; the cv predicate reads it
  std::atomic<bool> stop_flag_{false};  // the same, for the lock-free paths
  const Fn* fn_ = nullptr;
  int64_t n_ = 0;
  std::vector<std::thread> workers_;
};

int default_threads() {
  if (const char* v = std::getenv("TENSORFORGE_NUM_THREADS")) {
    const int n = std::atoi(v);
    if (n > 0) return n;
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw > 0 ? static_cast<int>(hw) : 1;
}

std::mutex g_config_mu;
std::atomic<int> g_threads{0};
// The current pool, shared: every parallel_for and pool_warm holds a reference for as long as it
// uses the pool, so set_num_threads can swap in a new pool at any time and the old one is freed
// (its idle workers joined) by whoever drops the last reference, never under a running job. The
// holder itself is heap-allocated and never freed: a static destructor joining workers at exit
// could hang when the process tears threads down in another order.
std::shared_ptr<Pool>& current_pool() {
  static auto* holder = new std::shared_ptr<Pool>();
  return *holder;
}

int threads_configured() {
  int t = g_threads.load(std::memory_order_acquire);
  if (t > 0) return t;
  std::lock_guard<std::mutex> lk(g_config_mu);
  t = g_threads.load(std::memory_order_relaxed);
  if (t == 0) {
    t = default_threads();
    g_threads.store(t, std::memory_order_release);
  }
  return t;
}

// A reference to the pool, created on first use.
std::shared_ptr<Pool> acquire_pool(int threads) {
  std::lock_guard<std::mutex> lk(g_config_mu);
  auto& p = current_pool();
  if (!p) p = std::make_shared<Pool>(threads);
  return p;
}

}  // namespace

int num_threads() { return threads_configured(); }

void set_num_threads(int n) {
  if (n < 1) n = 1;
  std::shared_ptr<Pool> old;
  {
    std::lock_guard<std::mutex> lk(g_config_mu);
    old = std::move(current_pool());
    current_pool().reset();
    g_threads.store(n, std::memory_order_release);
  }
  // `old` is released here, outside the lock: if no job holds it, its idle workers are joined now;
  // otherwise the last job to finish on it frees it.
}

bool pool_warm() {
  const int threads = threads_configured();
  if (threads <= 1 || t_in_parallel) return false;
  std::shared_ptr<Pool> p = acquire_pool(threads);
  if (p->workers_awake()) return true;
  p->kick();
  return false;
}

namespace {
void split(int64_t n, int64_t grain, int per_thread, const Fn& fn) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  const int threads = threads_configured();
  const int64_t pieces = n / grain;
  if (threads <= 1 || pieces < 2 || t_in_parallel) {
    // Nested calls run inside a chunk already counted.
    if (t_in_parallel || !stats_on()) {
      fn(0, n);
      return;
    }
    const Clock::time_point t0 = Clock::now();
    fn(0, n);
    stat_add(g_stats.serial_ns, ns_since(t0));
    stat_add(g_stats.serial_calls, 1);
    return;
  }
  const int64_t chunks = std::min<int64_t>({pieces, static_cast<int64_t>(threads) * per_thread, kMaxChunks});
  std::shared_ptr<Pool> p = acquire_pool(threads);
  if (!p->try_run(n, chunks, fn)) fn(0, n);
}
}  // namespace

void parallel_for(int64_t n, int64_t grain, const Fn& fn) { split(n, grain, 1, fn); }

void pool_stats_enable(bool on) { g_stats_on.store(on, std::memory_order_relaxed); }

PoolStats pool_stats_take() {
  const auto take = [](std::atomic<int64_t>& a) { return a.exchange(0, std::memory_order_relaxed); };
  PoolStats s;
  s.serial_calls = take(g_stats.serial_calls);
  s.serial_ns = take(g_stats.serial_ns);
  s.split_calls = take(g_stats.split_calls);
  s.split_ns = take(g_stats.split_ns);
  s.caller_ns = take(g_stats.caller_ns);
  s.worker_ns = take(g_stats.worker_ns);
  s.caller_chunks = take(g_stats.caller_chunks);
  s.worker_chunks = take(g_stats.worker_chunks);
  s.cold_starts = take(g_stats.cold_starts);
  return s;
}

void parallel_for_balanced(int64_t n, int64_t grain, const Fn& fn) {
  split(n, grain, kBalancedChunksPerThread, fn);
}

}  // namespace tf::kernels
