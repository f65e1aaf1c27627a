// GEMM throughput and thread-pool latency benchmark. Best-of-N timings with warm-up, because
// this 2-vCPU VM is noisy. Build and run: see README.md in this directory.
//
//   gemm_bench [--levels avx512,avx2] [--threads 1,2] [--quick] [--shape MxKxN[:tt]]...
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "kernels/common/cpu_features.h"
#include "kernels/common/thread_pool.h"
#include "kernels/gemm/gemm.h"

using namespace tf::kernels;
using Clock = std::chrono::steady_clock;

namespace {

struct Shape {
  int64_t m, k, n;
  bool ta, tb;
  std::string label;
};

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Best GFLOP/s over `samples` timed runs, each repeating the GEMM enough to last ~2 ms.
double bench_shape(const Shape& s, int samples) {
  const int64_t a_size = s.m * s.k, b_size = s.k * s.n, c_size = s.m * s.n;
  std::vector<float> a(a_size), b(b_size), c(c_size), bias(s.n);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (auto& v : a) v = u(rng);
  for (auto& v : b) v = u(rng);
  for (auto& v : bias) v = u(rng);
  const int64_t lda = s.ta ? s.m : s.k, ldb = s.tb ? s.k : s.n;
  auto run = [&] {
    sgemm(s.ta, s.tb, s.m, s.n, s.k, 1.0f, a.data(), lda, b.data(), ldb, 0.0f, c.data(), s.n);
  };
  const double flops = 2.0 * s.m * s.n * s.k;
  // Warm-up: grows packing buffers, wakes the pool, settles the clock.
  auto t0 = Clock::now();
  int64_t reps = 0;
  while (seconds_since(t0) < 0.05 || reps < 3) {
    run();
    ++reps;
  }
  const double per_call = seconds_since(t0) / reps;
  const int64_t inner = std::max<int64_t>(1, static_cast<int64_t>(0.002 / per_call));
  double best = 1e30;
  for (int i = 0; i < samples; ++i) {
    t0 = Clock::now();
    for (int64_t r = 0; r < inner; ++r) run();
    best = std::min(best, seconds_since(t0) / inner);
  }
  return flops / best * 1e-9;
}

// Dispatch latency of parallel_for over 2 threads. "round trip" is an empty job (the caller
// usually runs both chunks itself). "worker start" is how long after the call the worker began a
// chunk of a 2 x 20 us job, for calls back to back (worker still in its short spin) and after a
// pause long enough for it to park; the caller steals the chunk if the worker is later than that.
void bench_pool() {
  set_num_threads(2);
  volatile int64_t sink = 0;
  std::vector<double> empty;
  for (int i = 0; i < 2000; ++i) {
    const auto t0 = Clock::now();
    parallel_for(2, 1, [&](int64_t b, int64_t e) { sink = sink + (e - b); });
    empty.push_back(seconds_since(t0) * 1e6);
  }
  auto worker_start = [&](int gap_us, std::vector<double>& starts, int& stolen) {
    for (int i = 0; i < 400; ++i) {
      if (gap_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(gap_us));
      const auto caller = std::this_thread::get_id();
      double start = -1;
      const auto t0 = Clock::now();
      parallel_for(2, 1, [&](int64_t, int64_t) {
        if (std::this_thread::get_id() != caller) start = seconds_since(t0) * 1e6;
        const auto t1 = Clock::now();
        while (seconds_since(t1) < 20e-6) {
        }
      });
      if (start >= 0) {
        starts.push_back(start);
      } else {
        ++stolen;
      }
    }
  };
  auto report = [](const char* name, std::vector<double>& v, int stolen) {
    std::sort(v.begin(), v.end());
    if (v.empty()) {
      std::printf("pool %-26s: worker never started\n", name);
      return;
    }
    std::printf("pool %-26s: min %.2f us, median %.2f us, p90 %.2f us", name, v[0],
                v[v.size() / 2], v[v.size() * 9 / 10]);
    if (stolen >= 0) std::printf(" (caller ran both chunks: %d/400)", stolen);
    std::printf("\n");
  };
  std::vector<double> hot, cold;
  int hot_stolen = 0, cold_stolen = 0;
  worker_start(0, hot, hot_stolen);
  worker_start(500, cold, cold_stolen);
  report("empty job round trip", empty, -1);
  report("worker start, back to back", hot, hot_stolen);
  report("worker start, after 500 us", cold, cold_stolen);
}

bool parse_shape(const char* text, Shape& s) {
  long long m, k, n;
  char tt[3] = "nn";
  const int got = std::sscanf(text, "%lldx%lldx%lld:%2s", &m, &k, &n, tt);
  if (got < 3) return false;
  s = Shape{m, k, n, tt[0] == 't', tt[1] == 't', text};
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<SimdLevel> levels;
  std::vector<int> thread_counts = {1, 2};
  std::vector<Shape> shapes;
  int samples = 15;
  bool pool = true;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--levels") && i + 1 < argc) {
      std::string v = argv[++i];
      if (v.find("avx512") != std::string::npos) levels.push_back(SimdLevel::Avx512);
      if (v.find("avx2") != std::string::npos) levels.push_back(SimdLevel::Avx2);
      if (v.find("scalar") != std::string::npos) levels.push_back(SimdLevel::Scalar);
    } else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) {
      thread_counts.clear();
      for (char* t = std::strtok(argv[++i], ","); t; t = std::strtok(nullptr, ","))
        thread_counts.push_back(std::atoi(t));
    } else if (!std::strcmp(argv[i], "--shape") && i + 1 < argc) {
      Shape s;
      if (parse_shape(argv[++i], s)) shapes.push_back(s);
    } else if (!std::strcmp(argv[i], "--quick")) {
      samples = 5;
    } else if (!std::strcmp(argv[i], "--no-pool")) {
      pool = false;
    }
  }
  if (levels.empty()) {
    levels.push_back(hardware_simd_level());
    if (hardware_simd_level() == SimdLevel::Avx512) levels.push_back(SimdLevel::Avx2);
  }
  if (shapes.empty()) {
    const char* defaults[] = {"256x256x256",  "512x512x512",  "1024x1024x1024", "128x784x512",
                              "784x128x512",  "512x512x512:tn", "512x512x512:nt", "512x512x512:tt",
                              "128x512x10",   "64x64x64",     "1x1024x1024",    "1x1024x1024:nt",
                              "3136x27x64",   "512x128x10"};
    for (const char* d : defaults) {
      Shape s;
      parse_shape(d, s);
      shapes.push_back(s);
    }
  }
  std::printf("%-18s", "shape (MxKxN:t)");
  for (SimdLevel l : levels)
    for (int t : thread_counts) std::printf(" %8s/t%d", simd_level_name(l), t);
  std::printf("   GFLOP/s, best of %d\n", samples);
  for (const Shape& s : shapes) {
    std::printf("%-18s", s.label.c_str());
    for (SimdLevel l : levels) {
      set_simd_level(l);
      for (int t : thread_counts) {
        set_num_threads(t);
        std::printf(" %11.1f", bench_shape(s, samples));
        std::fflush(stdout);
      }
    }
    std::printf("\n");
  }
  if (pool) bench_pool();
  return 0;
}
