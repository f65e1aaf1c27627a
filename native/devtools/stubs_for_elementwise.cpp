// Throwaway stand-ins for kernels/common/cpu_features.cpp and kernels/common/thread_pool.cpp, so the elementwise
// devtools build without the pool. The level is freely settable (clamped to the hardware), and
// parallel_for runs serially but still cuts the range into several uneven chunks, so the kernels'
// chunk-boundary code is exercised exactly as with threads.
#include <functional>

#include "kernels/common/cpu_features.h"
#include "kernels/common/thread_pool.h"

namespace tf::kernels {
namespace {
SimdLevel detect() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
    return SimdLevel::Avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return SimdLevel::Avx2;
  return SimdLevel::Scalar;
}
SimdLevel g_level = detect();
int g_threads = 3;
}  // namespace

SimdLevel hardware_simd_level() { return detect(); }
SimdLevel simd_level() { return g_level; }
SimdLevel set_simd_level(SimdLevel level) {
  const SimdLevel hw = detect();
  g_level = static_cast<int>(level) > static_cast<int>(hw) ? hw : level;
  return g_level;
}
const char* simd_level_name(SimdLevel level) {
  switch (level) {
    case SimdLevel::Avx512: return "avx512";
    case SimdLevel::Avx2: return "avx2";
    default: return "scalar";
  }
}

int num_threads() { return g_threads; }
void set_num_threads(int n) { g_threads = n < 1 ? 1 : n; }
// Always warm, so the kernels' smaller warm-pool chunks are checked too.
bool pool_warm() { return g_threads > 1; }

namespace {
void split(int64_t n, int64_t grain, int per_thread, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  const int64_t pieces = n / grain;
  if (g_threads <= 1 || pieces < 2) {
    fn(0, n);
    return;
  }
  const int64_t most = static_cast<int64_t>(g_threads) * per_thread;
  const int64_t chunks = pieces < most ? pieces : most;
  // Uneven cut points (not multiples of any vector width) to shake out boundary bugs.
  int64_t begin = 0;
  for (int64_t c = 0; c < chunks; ++c) {
    int64_t end = c + 1 == chunks ? n : n * (c + 1) / chunks + (c % 2 ? 3 : -5);
    if (end < begin) end = begin;
    if (end > n) end = n;
    if (end > begin) fn(begin, end);
    begin = end;
  }
}
}  // namespace

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) { split(n, grain, 1, fn); }

void parallel_for_balanced(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  split(n, grain, kBalancedChunksPerThread, fn);
}

}  // namespace tf::kernels
