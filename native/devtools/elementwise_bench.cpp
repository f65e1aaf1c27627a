// Throughput of the elementwise kernels at each SIMD level the CPU runs.
// Build and run: see native/devtools/README.md ("elementwise"). Linked with the stubs it measures
// one thread; linked with kernels/common/thread_pool.cpp it uses the pool (--threads N to set its size).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

#include "kernels/common/cpu_features.h"
#include "kernels/common/thread_pool.h"
#include "kernels/elementwise/elementwise.h"

using namespace tf::kernels;

namespace {

// Best-of-5 seconds per call, each sample repeating the call for at least ~40 ms.
double time_call(const std::function<void()>& fn) {
  using clk = std::chrono::steady_clock;
  fn();
  int reps = 1;
  for (;;) {
    auto t0 = clk::now();
    for (int i = 0; i < reps; ++i) fn();
    double s = std::chrono::duration<double>(clk::now() - t0).count();
    if (s > 0.04) break;
    reps *= 2;
  }
  double best = 1e30;
  for (int k = 0; k < 5; ++k) {
    auto t0 = clk::now();
    for (int i = 0; i < reps; ++i) fn();
    best = std::min(best, std::chrono::duration<double>(clk::now() - t0).count() / reps);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--threads") == 0) set_num_threads(std::atoi(argv[i + 1]));
  const int64_t n = 1 << 20;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-4.0f, 4.0f);
  std::vector<float> a(n), b(n), y(n);
  for (auto& v : a) v = u(rng);
  for (auto& v : b) v = u(rng);
  std::vector<float> s1(128 * 10), s1y(s1.size()), s2(256 * 1000), s2y(s2.size());
  for (auto& v : s1) v = u(rng);
  for (auto& v : s2) v = u(rng);
  const int64_t shape1[1] = {n}, unit[1] = {1}, zero[1] = {0};
  const int64_t shape2[2] = {1024, 1024}, rowa[2] = {1024, 1}, rowb[2] = {0, 1};
  std::printf("threads: %d   (1M elements; add/mul count 12 bytes per element moved)\n", num_threads());
  std::printf("%-28s", "");
  const SimdLevel hw = hardware_simd_level();
  for (int l = 0; l <= static_cast<int>(hw); ++l)
    std::printf("%16s", simd_level_name(static_cast<SimdLevel>(l)));
  std::printf("\n");

  struct Row {
    const char* name;
    const char* unit;
    double scale;  // units per call, divided by seconds
    std::function<void()> fn;
  };
  float one_a = 1.5f, one_b = 2.5f, one_y = 0;
  std::vector<Row> rows = {
      {"add 1M (contiguous)", "GB/s", 12.0 * n / 1e9,
       [&] { binary(BinaryOp::Add, 1, shape1, a.data(), unit, b.data(), unit, y.data()); }},
      {"mul 1M (contiguous)", "GB/s", 12.0 * n / 1e9,
       [&] { binary(BinaryOp::Mul, 1, shape1, a.data(), unit, b.data(), unit, y.data()); }},
      {"add 1M (scalar b)", "GB/s", 8.0 * n / 1e9,
       [&] { binary(BinaryOp::Add, 1, shape1, a.data(), unit, b.data(), zero, y.data()); }},
      {"add [1024,1024]+[1024]", "GB/s", 8.0 * n / 1e9,
       [&] { binary(BinaryOp::Add, 2, shape2, a.data(), rowa, b.data(), rowb, y.data()); }},
      {"relu 1M", "GB/s", 8.0 * n / 1e9,
       [&] { unary(UnaryOp::Relu, a.data(), y.data(), n, 0, 0); }},
      {"exp 1M", "Gelem/s", n / 1e9, [&] { unary(UnaryOp::Exp, a.data(), y.data(), n, 0, 0); }},
      {"log 1M", "Gelem/s", n / 1e9, [&] { unary(UnaryOp::Log, b.data(), y.data(), n, 0, 0); }},
      {"tanh 1M", "Gelem/s", n / 1e9, [&] { unary(UnaryOp::Tanh, a.data(), y.data(), n, 0, 0); }},
      {"sigmoid 1M", "Gelem/s", n / 1e9,
       [&] { unary(UnaryOp::Sigmoid, a.data(), y.data(), n, 0, 0); }},
      {"silu 1M", "Gelem/s", n / 1e9, [&] { unary(UnaryOp::Silu, a.data(), y.data(), n, 0, 0); }},
      {"gelu 1M", "Gelem/s", n / 1e9, [&] { unary(UnaryOp::Gelu, a.data(), y.data(), n, 0, 0); }},
      {"softplus 1M", "Gelem/s", n / 1e9,
       [&] { unary(UnaryOp::Softplus, a.data(), y.data(), n, 0, 0); }},
      {"sum 1M", "GB/s", 4.0 * n / 1e9, [&] { reduce(ReduceOp::Sum, a.data(), 1, n, 1, y.data()); }},
      {"sum [1024,1024] axis 0", "GB/s", 4.0 * n / 1e9,
       [&] { reduce(ReduceOp::Sum, a.data(), 1, 1024, 1024, y.data()); }},
      {"mean [3136,144] axis 0 (GAP)", "GB/s", 4.0 * 3136 * 144 / 1e9,
       [&] { reduce(ReduceOp::Mean, a.data(), 1, 3136, 144, y.data()); }},
      {"mean [196,672] axis 0 (GAP)", "GB/s", 4.0 * 196 * 672 / 1e9,
       [&] { reduce(ReduceOp::Mean, a.data(), 1, 196, 672, y.data()); }},
      {"max [1024,1024] axis 1", "GB/s", 4.0 * n / 1e9,
       [&] { reduce(ReduceOp::Max, a.data(), 1024, 1024, 1, y.data()); }},
      {"softmax [128,10]", "Gelem/s", 1280 / 1e9,
       [&] { softmax(s1.data(), s1y.data(), 128, 10, 1, false); }},
      {"softmax [256,1000]", "Gelem/s", 256000 / 1e9,
       [&] { softmax(s2.data(), s2y.data(), 256, 1000, 1, false); }},
      {"logSoftmax [256,1000]", "Gelem/s", 256000 / 1e9,
       [&] { softmax(s2.data(), s2y.data(), 256, 1000, 1, true); }},
      {"add 1 element", "ns/call", -1,
       [&] { binary(BinaryOp::Add, 0, shape1, &one_a, unit, &one_b, unit, &one_y); }},
      {"exp 1 element", "ns/call", -1, [&] { unary(UnaryOp::Exp, &one_a, &one_y, 1, 0, 0); }},
  };
  for (const Row& r : rows) {
    std::printf("%-28s", r.name);
    for (int l = 0; l <= static_cast<int>(hw); ++l) {
      set_simd_level(static_cast<SimdLevel>(l));
      const double s = time_call(r.fn);
      std::printf("%16.2f", r.scale < 0 ? s * 1e9 : r.scale / s);
    }
    std::printf("  %s\n", r.unit);
  }

  // Where threading starts to pay: per-element time of exp and add at sizes around the grains.
  std::printf("\nsize sweep at %s (ns per element):\n%-10s%12s%12s%12s\n",
              simd_level_name(hw), "n", "exp", "add", "relu");
  set_simd_level(hw);
  for (int64_t m : {4096, 8192, 16384, 32768, 65536, 131072, 262144}) {
    const int64_t sh[1] = {m};
    double te = time_call([&] { unary(UnaryOp::Exp, a.data(), y.data(), m, 0, 0); });
    double ta = time_call([&] { binary(BinaryOp::Add, 1, sh, a.data(), unit, b.data(), unit, y.data()); });
    double tr = time_call([&] { unary(UnaryOp::Relu, a.data(), y.data(), m, 0, 0); });
    std::printf("%-10lld%12.3f%12.3f%12.3f\n", static_cast<long long>(m), te * 1e9 / m, ta * 1e9 / m,
                tr * 1e9 / m);
  }
  return 0;
}
