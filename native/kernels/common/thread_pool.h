#pragma once
#include <cstdint>
#include <functional>

// One persistent pool for every kernel. An idle worker polls for about a millisecond after its last
// job (yielding its vCPU between short polls), then parks on a condition variable.
namespace tf::kernels {

// Number of threads kernels may use, counting the calling thread. Defaults to
// TENSORFORGE_NUM_THREADS, else std::thread::hardware_concurrency().
int num_threads();
// Resizes the pool. Safe while kernels run on other threads: they finish on the pool they started
// with, which is freed (its idle workers joined) when the last of them returns.
void set_num_threads(int n);

// True when more than one thread is configured and no worker is parked (each is still polling
// after a recent job), so a parallel_for now pays no wake-up: kernels split smaller work then.
// A hint only; a worker may park right after the check. When false, parked workers are woken to
// poll for a while, so a caller that asks again soon (the next layer, the next request) finds
// them warm: the wake-up latency overlaps the serial run instead of adding to a split one.
bool pool_warm();

// Calls fn(begin, end) over disjoint chunks covering [0, n). Splits only when n / grain >= 2 and
// more than one thread is configured; the calling thread always runs one chunk itself. If the pool
// is already busy (a kernel running on another thread, or a nested call), runs fn(0, n) inline.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

// parallel_for for independent work items (output tiles, rows of an elementwise pass) whose split
// points do not change any result: cuts up to kBalancedChunksPerThread chunks per thread (each
// still >= grain), claimed in order by whichever thread is free. A worker that starts late (woken
// from park, or its vCPU busy with another process) then costs the caller part of one small chunk
// instead of a whole half: with one chunk per thread the caller finished its half and slept until
// the late worker had done the other. Kernels whose threads keep per-thread state across calls
// (GEMM's packed panels) or whose sums depend on the split keep parallel_for.
void parallel_for_balanced(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);
constexpr int kBalancedChunksPerThread = 4;

// Where parallel_for time went since the last pool_stats_take(), counted only while enabled (a
// clock read per chunk): the answer to "why do 2 threads gain so little here" that does not
// depend on timing a noisy machine. Times in nanoseconds of steady clock.
struct PoolStats {
  int64_t serial_calls = 0;   // parallel_for calls too small to split: run inline
  int64_t serial_ns = 0;      // their time
  int64_t split_calls = 0;    // kernels split over the pool
  int64_t split_ns = 0;       // caller's wall time inside them, from first chunk to last
  int64_t caller_ns = 0;      // of which the caller ran chunks
  int64_t worker_ns = 0;      // chunk time of all workers together
  int64_t caller_chunks = 0, worker_chunks = 0;
  int64_t cold_starts = 0;    // splits that found a worker parked (paid a wake-up)
};
void pool_stats_enable(bool on);
PoolStats pool_stats_take();

}  // namespace tf::kernels
