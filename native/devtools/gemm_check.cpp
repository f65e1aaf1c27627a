// Correctness check for tf::kernels::sgemm / sgemm_batched at every SIMD level the CPU runs,
// against a double-accumulating reference. Build and run: see README.md in this directory.
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "kernels/common/cpu_features.h"
#include "kernels/common/thread_pool.h"
#include "kernels/gemm/gemm.h"

using namespace tf::kernels;

namespace {

struct Case {
  bool ta = false, tb = false;
  int64_t m = 0, n = 0, k = 0;
  int64_t lda = 0, ldb = 0, ldc = 0;  // extra padding added to the minimal leading dimension
  float alpha = 1.0f, beta = 0.0f;
  bool bias = false, relu = false;
};

const float kSentinel = 12345.0f;

std::string describe(const Case& c) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "ta=%d tb=%d m=%lld n=%lld k=%lld pad(%lld,%lld,%lld) alpha=%g beta=%g bias=%d relu=%d",
                c.ta, c.tb, (long long)c.m, (long long)c.n, (long long)c.k, (long long)c.lda,
                (long long)c.ldb, (long long)c.ldc, c.alpha, c.beta, c.bias, c.relu);
  return buf;
}

struct Data {
  int64_t lda, ldb, ldc;
  std::vector<float> a, b, c0, bias;
};

Data make_data(const Case& cs, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  Data d;
  const int64_t a_rows = cs.ta ? cs.k : cs.m, a_cols = cs.ta ? cs.m : cs.k;
  const int64_t b_rows = cs.tb ? cs.n : cs.k, b_cols = cs.tb ? cs.k : cs.n;
  d.lda = a_cols + cs.lda;
  d.ldb = b_cols + cs.ldb;
  d.ldc = cs.n + cs.ldc;
  d.a.resize(static_cast<size_t>(std::max<int64_t>(a_rows * d.lda, 1)));
  d.b.resize(static_cast<size_t>(std::max<int64_t>(b_rows * d.ldb, 1)));
  for (auto& v : d.a) v = u(rng);
  for (auto& v : d.b) v = u(rng);
  d.c0.assign(static_cast<size_t>(std::max<int64_t>(cs.m * d.ldc, 1)), kSentinel);
  for (int64_t i = 0; i < cs.m; ++i)
    for (int64_t j = 0; j < cs.n; ++j)
      d.c0[i * d.ldc + j] = cs.beta == 0.0f ? std::nanf("") : u(rng);
  if (cs.bias) {
    d.bias.resize(static_cast<size_t>(std::max<int64_t>(cs.n, 1)));
    for (auto& v : d.bias) v = u(rng);
  }
  return d;
}

// Returns the number of mismatches (printing the first few) between c and the reference for
// matrix data at the given offsets.
int64_t verify(const Case& cs, const float* a, int64_t lda, const float* b, int64_t ldb,
               const float* c_old, const float* c, int64_t ldc, const float* bias,
               const char* what) {
  int64_t bad = 0;
  for (int64_t i = 0; i < cs.m; ++i) {
    for (int64_t j = 0; j < cs.n; ++j) {
      double acc = 0.0, mag = 0.0;
      for (int64_t p = 0; p < cs.k; ++p) {
        const double av = cs.ta ? a[p * lda + i] : a[i * lda + p];
        const double bv = cs.tb ? b[j * ldb + p] : b[p * ldb + j];
        acc += av * bv;
        mag += std::fabs(av * bv);
      }
      double ref = cs.alpha * acc;
      double scale = std::fabs(cs.alpha) * mag;
      if (cs.beta != 0.0f) {
        ref += cs.beta * static_cast<double>(c_old[i * ldc + j]);
        scale += std::fabs(cs.beta * c_old[i * ldc + j]);
      }
      if (bias != nullptr) {
        ref += bias[j];
        scale += std::fabs(bias[j]);
      }
      if (cs.relu && ref < 0.0) ref = 0.0;
      const double got = c[i * ldc + j];
      const double tol = 1e-5 * scale + 1e-6;
      if (!(std::fabs(got - ref) <= tol)) {
        if (bad < 5)
          std::printf("  MISMATCH %s [%s] at (%lld,%lld): got %.9g want %.9g tol %.3g\n", what,
                      describe(cs).c_str(), (long long)i, (long long)j, got, ref, tol);
        ++bad;
      }
    }
    // Padding between rows of C must be left alone.
    for (int64_t j = cs.n; j < ldc && i + 1 < cs.m; ++j) {
      if (c[i * ldc + j] != kSentinel) {
        if (bad < 5)
          std::printf("  PADDING WRITTEN %s [%s] at (%lld,%lld)\n", what, describe(cs).c_str(),
                      (long long)i, (long long)j);
        ++bad;
      }
    }
  }
  return bad;
}

int64_t run_case(const Case& cs, std::mt19937& rng, const char* what) {
  Data d = make_data(cs, rng);
  std::vector<float> c = d.c0;
  GemmEpilogue ep;
  ep.bias = cs.bias ? d.bias.data() : nullptr;
  ep.activation = cs.relu ? GemmActivation::Relu : GemmActivation::None;
  sgemm(cs.ta, cs.tb, cs.m, cs.n, cs.k, cs.alpha, d.a.data(), d.lda, d.b.data(), d.ldb, cs.beta,
        c.data(), d.ldc, ep);
  return verify(cs, d.a.data(), d.lda, d.b.data(), d.ldb, d.c0.data(), c.data(), d.ldc, ep.bias,
                what);
}

// Batched: A and B offsets repeat (broadcast), C offsets are distinct and not in order.
int64_t run_batched(const Case& cs, int64_t batch, std::mt19937& rng, const char* what) {
  const int64_t a_rows = cs.ta ? cs.k : cs.m, a_cols = cs.ta ? cs.m : cs.k;
  const int64_t b_rows = cs.tb ? cs.n : cs.k, b_cols = cs.tb ? cs.k : cs.n;
  const int64_t lda = a_cols + cs.lda, ldb = b_cols + cs.ldb, ldc = cs.n + cs.ldc;
  const int64_t a_size = a_rows * lda + 3, b_size = b_rows * ldb + 5, c_size = cs.m * ldc;
  const int64_t na = 2, nb = 3;
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> a(static_cast<size_t>(na * a_size + 1)), b(static_cast<size_t>(nb * b_size + 1));
  for (auto& v : a) v = u(rng);
  for (auto& v : b) v = u(rng);
  std::vector<float> c0(static_cast<size_t>(batch * c_size + 1), kSentinel);
  std::vector<int64_t> ao(batch), bo(batch), co(batch);
  for (int64_t i = 0; i < batch; ++i) {
    ao[i] = (i % na) * a_size;
    bo[i] = ((i / 2) % nb) * b_size;
    co[i] = (batch - 1 - i) * c_size;
    for (int64_t r = 0; r < cs.m; ++r)
      for (int64_t j = 0; j < cs.n; ++j)
        c0[co[i] + r * ldc + j] = cs.beta == 0.0f ? std::nanf("") : u(rng);
  }
  std::vector<float> bias(static_cast<size_t>(std::max<int64_t>(cs.n, 1)));
  for (auto& v : bias) v = u(rng);
  GemmEpilogue ep;
  ep.bias = cs.bias ? bias.data() : nullptr;
  ep.activation = cs.relu ? GemmActivation::Relu : GemmActivation::None;
  std::vector<float> c = c0;
  sgemm_batched(cs.ta, cs.tb, cs.m, cs.n, cs.k, cs.alpha, a.data(), lda, ao.data(), b.data(), ldb,
                bo.data(), cs.beta, c.data(), ldc, co.data(), batch, ep);
  int64_t bad = 0;
  for (int64_t i = 0; i < batch; ++i)
    bad += verify(cs, a.data() + ao[i], lda, b.data() + bo[i], ldb, c0.data() + co[i],
                  c.data() + co[i], ldc, ep.bias, what);
  return bad;
}

const int64_t kAwkward[] = {1, 2, 3, 5, 7, 8, 13, 14, 15, 16, 17, 28, 31, 32, 33, 47, 63, 64, 65, 100, 129, 257};

Case random_case(std::mt19937& rng, int64_t max_dim) {
  auto pick = [&](std::mt19937& r) -> int64_t {
    const int mode = static_cast<int>(r() % 4);
    if (mode == 0) return kAwkward[r() % (sizeof kAwkward / sizeof kAwkward[0])];
    return 1 + static_cast<int64_t>(r() % static_cast<uint32_t>(max_dim));
  };
  Case c;
  c.ta = rng() & 1;
  c.tb = rng() & 1;
  c.m = pick(rng);
  c.n = pick(rng);
  c.k = pick(rng);
  if (rng() % 16 == 0) c.k = 0;
  if (rng() % 32 == 0) c.m = 0;
  if (rng() % 32 == 0) c.n = 0;
  c.lda = rng() % 3 == 0 ? static_cast<int64_t>(rng() % 9) : 0;
  c.ldb = rng() % 3 == 0 ? static_cast<int64_t>(rng() % 9) : 0;
  c.ldc = rng() % 3 == 0 ? static_cast<int64_t>(rng() % 9) : 0;
  const float alphas[] = {1.0f, 1.0f, 0.5f, -1.25f, 0.0f};
  const float betas[] = {0.0f, 0.0f, 1.0f, 0.75f, -2.0f};
  c.alpha = alphas[rng() % 5];
  c.beta = betas[rng() % 5];
  c.bias = rng() % 3 == 0;
  c.relu = rng() % 3 == 0;
  return c;
}

int64_t check_nan_propagation() {
  // NaN in A must reach C through the product and survive the ReLU.
  const int64_t m = 20, n = 40, k = 9;
  std::vector<float> a(m * k, 0.5f), b(k * n, -0.25f), c(m * n, 0.0f);
  a[3 * k + 4] = std::nanf("");
  GemmEpilogue ep;
  ep.activation = GemmActivation::Relu;
  sgemm(false, false, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, c.data(), n, ep);
  int64_t bad = 0;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      const bool nan = std::isnan(c[i * n + j]);
      if (nan != (i == 3) || (!nan && c[i * n + j] != 0.0f)) ++bad;
    }
  if (bad) std::printf("  NaN propagation check failed (%lld)\n", (long long)bad);
  return bad;
}

// A GEMV (m == 1) split over the pool gives every output the same bits as one thread: the split
// points fall anywhere in the columns, so a column must not take a different kernel path (with a
// different summation) in a chunk that starts mid-block. Several calls in a row at 2 threads: the
// first may find the worker parked and run unsplit, the later ones split at the warm threshold.
int64_t check_gemv_split(std::mt19937& rng) {
  int64_t bad = 0;
  for (const auto& [n, k] : {std::pair<int64_t, int64_t>{144, 576}, {200, 300}, {1000, 1024}, {2100, 1024}, {75, 1000}}) {
    std::vector<float> x(static_cast<size_t>(k)), w(static_cast<size_t>(k * n)), one(static_cast<size_t>(n));
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (auto& v : x) v = u(rng);
    for (auto& v : w) v = u(rng);
    set_num_threads(1);
    sgemm(false, false, 1, n, k, 1.0f, x.data(), k, w.data(), n, 0.0f, one.data(), n);
    set_num_threads(2);
    for (int call = 0; call < 6; ++call) {
      std::vector<float> two(static_cast<size_t>(n), -1.0f);
      sgemm(false, false, 1, n, k, 1.0f, x.data(), k, w.data(), n, 0.0f, two.data(), n);
      if (std::memcmp(one.data(), two.data(), sizeof(float) * static_cast<size_t>(n)) != 0) {
        std::printf("GEMV 1x%lldx%lld: 2 threads (call %d) differ from 1 thread\n", (long long)n, (long long)k, call);
        ++bad;
        break;
      }
    }
  }
  return bad;
}

int64_t check_concurrent(std::mt19937& seed_rng) {
  // Two threads calling sgemm at once (the JS thread and a libuv worker): whichever finds the
  // pool busy must run inline and still be correct.
  std::atomic<int64_t> bad{0};
  const uint32_t s0 = seed_rng(), s1 = seed_rng();
  auto worker = [&](uint32_t seed) {
    std::mt19937 rng(seed);
    for (int it = 0; it < 60; ++it) {
      Case cs = random_case(rng, 300);
      if (it % 3 == 0) {
        cs.m = 200;
        cs.n = 150;
        cs.k = 120;
      }
      bad += run_case(cs, rng, "concurrent");
    }
  };
  std::thread t0(worker, s0), t1(worker, s1);
  t0.join();
  t1.join();
  return bad.load();
}

}  // namespace

int main(int argc, char** argv) {
  // `--quick` (what npm run check:native runs): few random cases and the large shapes cut to 120
  // rows, which still cross the KC and NC blocks; the double-precision reference of the full
  // 1000-row shapes is most of the default run's time.
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const int iterations = quick ? 20 : argc > 1 ? std::atoi(argv[1]) : 400;
  std::mt19937 rng(12345);
  const SimdLevel hw = hardware_simd_level();
  std::printf("hardware level: %s, threads: %d\n", simd_level_name(hw), num_threads());
  int64_t total_bad = 0;
  int64_t total_cases = 0;
  for (int lvl = 0; lvl <= static_cast<int>(hw); ++lvl) {
    const SimdLevel level = set_simd_level(static_cast<SimdLevel>(lvl));
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      int64_t bad = 0, cases = 0;
      char what[64];
      std::snprintf(what, sizeof what, "%s/t%d", simd_level_name(level), threads);
      // Fixed awkward shapes across every transpose combination.
      for (int64_t m : {1, 7, 33, 257})
        for (int64_t n : {1, 10, 33, 257})
          for (int64_t k : {1, 7, 257})
            for (int t = 0; t < 4; ++t) {
              Case cs;
              cs.ta = t & 1;
              cs.tb = t & 2;
              cs.m = m;
              cs.n = n;
              cs.k = k;
              cs.beta = (m + n + k) % 2 ? 0.0f : 0.5f;
              cs.bias = (m + k) % 3 == 0;
              cs.relu = (n + k) % 2 == 0;
              bad += run_case(cs, rng, what) != 0;
              ++cases;
            }
      // Large shapes exercise several KC/MC/NC blocks.
      for (int t = 0; t < 4; ++t) {
        Case cs;
        cs.ta = t & 1;
        cs.tb = t & 2;
        cs.m = quick ? 120 : 1000;
        cs.n = t < 2 ? 1000 : 2100;
        cs.k = t % 2 ? 1000 : 600;
        cs.alpha = 0.5f;
        cs.beta = t == 1 ? 0.0f : 1.0f;
        cs.bias = true;
        cs.relu = t == 3;
        cs.ldc = 3;
        bad += run_case(cs, rng, what) != 0;
        ++cases;
      }
      // Narrow C (the MLP's 10-class layer): the dot-product path (n <= 12, A not transposed,
      // k >= 128, several 512-deep slices), the C^T path with B read in place (A transposed),
      // and tiny k with a wide C, each around its thresholds.
      {
        const float alphas[] = {1.0f, 0.5f, -1.25f};
        const float betas[] = {0.0f, 1.0f, 0.75f};
        int variant = 0;
        auto narrow = [&](bool ta, bool tb, int64_t m, int64_t n, int64_t k) {
          Case cs;
          cs.ta = ta;
          cs.tb = tb;
          cs.m = m;
          cs.n = n;
          cs.k = k;
          cs.alpha = alphas[variant % 3];
          cs.beta = betas[(variant / 3) % 3];
          cs.bias = variant % 2 == 0;
          cs.relu = variant % 4 < 2;
          cs.ldc = variant % 5 == 0 ? 3 : 0;
          cs.lda = variant % 7 == 0 ? 5 : 0;
          ++variant;
          bad += run_case(cs, rng, what) != 0;
          ++cases;
        };
        for (int t = 0; t < 4; ++t) {
          narrow(t & 1, t & 2, 128, 10, 512);
          narrow(t & 1, t & 2, 128, 512, 10);
          narrow(t & 1, t & 2, 512, 10, 128);
        }
        for (int64_t n = 1; n <= 17; ++n) {
          for (int64_t k : {127, 128, 129, 200, 512, 513, 1100}) {
            narrow(false, n % 2 == 0, 37, n, k);
            narrow(true, n % 3 == 0, 45, n, k);
          }
          narrow(false, false, 2, n, 300);
          narrow(false, true, 128, n, 512);
          narrow(true, false, 512, n, 128);
        }
        for (int64_t k = 1; k <= 33; ++k) {
          narrow(false, true, 20, 77, k);
          narrow(k % 2, true, 15, 10, k);
          narrow(true, k % 3 == 0, 40, 10, k);
        }
      }
      for (int it = 0; it < iterations; ++it) {
        bad += run_case(random_case(rng, 300), rng, what) != 0;
        ++cases;
      }
      for (int it = 0; it < iterations / 8; ++it) {
        const int64_t batch = 1 + static_cast<int64_t>(rng() % 7);
        bad += run_batched(random_case(rng, 80), batch, rng, what) != 0;
        ++cases;
      }
      bad += check_nan_propagation() != 0;
      ++cases;
      std::printf("%-12s %lld cases, %lld failing\n", what, (long long)cases, (long long)bad);
      total_bad += bad;
      total_cases += cases;
    }
    const int64_t split_bad = check_gemv_split(rng);
    std::printf("%-12s GEMV split == unsplit: %lld mismatches\n", simd_level_name(level), (long long)split_bad);
    total_bad += split_bad != 0;
    set_num_threads(2);
    const int64_t bad = check_concurrent(rng);
    std::printf("%-12s concurrent callers: %lld mismatches\n", simd_level_name(level), (long long)bad);
    total_bad += bad != 0;
  }
  std::printf("%s: %lld cases, %lld failing\n", total_bad ? "FAIL" : "PASS", (long long)total_cases,
              (long long)total_bad);
  return total_bad ? 1 : 0;
}
