// Accuracy and correctness check for native/kernels/elementwise/ at every SIMD level the CPU
// runs. References are computed in double with <cmath> and compared with the float results.
// Build and run: see native/devtools/README.md ("elementwise"). Exit status 0 means all passed.
//
// Tolerances: unary results must be within 2e-6 relative of the double reference whenever the
// reference is a normal float (strict: no absolute slack), and within FLT_MIN absolutely below
// that (subnormal results cannot carry relative accuracy). Softmax/log-softmax use the library's
// stated budget, 2e-6 relative + 1e-7 absolute. Sums allow 1e-6 of sum|x|. Everything else exact.
#include <cfloat>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/common/cpu_features.h"
#include "kernels/common/thread_pool.h"
#include "kernels/elementwise/elementwise.h"

using namespace tf::kernels;

namespace {

int g_failures = 0;
bool g_quick = false;

void fail(const std::string& what) {
  if (++g_failures <= 40) std::printf("FAIL %s\n", what.c_str());
}

std::mt19937_64 rng(12345);
float urand(float lo, float hi) {
  return lo + (hi - lo) * static_cast<float>(std::uniform_real_distribution<double>(0, 1)(rng));
}
float bits_to_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
float any_finite() {  // uniform over bit patterns: every binade equally likely, subnormals too
  for (;;) {
    float f = bits_to_float(static_cast<uint32_t>(rng()));
    if (std::isfinite(f)) return f;
  }
}

const float kInf = INFINITY;
const float kNaN = NAN;

std::vector<float> edge_values() {
  std::vector<float> v = {0.0f, -0.0f, FLT_MIN, FLT_TRUE_MIN, 1e-38f, 1e-30f, 1e-20f, 1e-10f,
                          1e-7f, 3e-6f, 1e-5f, 1e-4f, 1e-3f, 0.01f, 0.1f, 0.25f, 0.3465f, 0.3467f,
                          0.5f, 0.6249999f, 0.625f, 0.6250001f, 0.75f, 0.8999999f, 0.9f, 0.9000001f,
                          1.0f, 1.2727f, 1.5f, 2.0f, 3.0f, 4.0f, 5.0f, 5.5f, 7.0f, 9.0f, 9.1f,
                          10.0f, 12.0f, 14.14f, 15.0f, 16.6f, 20.0f, 30.0f, 44.0f, 45.0f, 80.0f,
                          87.3f, 88.0f, 88.72f, 88.7228f, 88.73f, 89.0f, 100.0f, 103.9f, 104.0f,
                          105.0f, 150.0f, 1e10f, 1e30f, FLT_MAX, kInf};
  const size_t n = v.size();
  for (size_t i = 0; i < n; ++i) v.push_back(-v[i]);
  v.push_back(kNaN);
  v.push_back(-kNaN);
  v.push_back(bits_to_float(0x7fc12345u));  // NaN with a payload
  v.push_back(std::nextafter(1.0f, 0.0f));
  v.push_back(std::nextafter(1.0f, 2.0f));
  return v;
}

// Unary inputs: edges first, then a mix of ranges that exercise each op's regions.
std::vector<float> unary_inputs(size_t n) {
  static const std::vector<float> edges = edge_values();
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) {
    if (i < edges.size() && n > 100) { x[i] = edges[i]; continue; }
    switch (rng() % 6) {
      case 0: x[i] = urand(-1, 1); break;
      case 1: x[i] = urand(-6, 6); break;
      case 2: x[i] = urand(-20, 20); break;
      case 3: x[i] = urand(-120, 120); break;
      case 4: x[i] = any_finite(); break;
      default: x[i] = edges[rng() % edges.size()]; break;
    }
  }
  return x;
}

// ------------------------------------------------------------------------------------------------
// References.

// The references and names come from the op table lines (kernels/elementwise/op_tables.h).
double ref_unary(UnaryOp op, double x, double p0, double p1) {
  switch (op) {
#define TF_REF(e, name, heavy, params, ...) case UnaryOp::e: return __VA_ARGS__;
    TF_UNARY_OPS(TF_REF)
#undef TF_REF
    default: return 0;
  }
}

// The op's two check parameter pairs.
std::vector<std::pair<float, float>> unary_params(UnaryOp op) {
#define TF_LIST(...) __VA_ARGS__
#define TF_PARAMS(e, name, heavy, params, ...) {TF_LIST params},
  static const double table[][4] = {TF_UNARY_OPS(TF_PARAMS)};
#undef TF_PARAMS
#undef TF_LIST
  const double* p = table[static_cast<int>(op)];
  std::vector<std::pair<float, float>> out = {{static_cast<float>(p[0]), static_cast<float>(p[1])}};
  if (p[2] != p[0] || p[3] != p[1]) out.push_back({static_cast<float>(p[2]), static_cast<float>(p[3])});
  return out;
}

#define TF_NAME(e, name, ...) name,
const char* unary_name(UnaryOp op) {
  static const char* names[] = {TF_UNARY_OPS(TF_NAME)};
  return names[static_cast<int>(op)];
}
const char* binary_name(BinaryOp op) {
  static const char* names[] = {TF_BINARY_OPS(TF_NAME)};
  return names[static_cast<int>(op)];
}
#undef TF_NAME

double ref_binary(BinaryOp op, double a, double b) {
  switch (op) {
#define TF_REF(e, name, ...) case BinaryOp::e: return __VA_ARGS__;
    TF_BINARY_OPS(TF_REF)
#undef TF_REF
    default: return 0;
  }
}

// Relative error of got against ref, or -1 when the pair is acceptable without a relative
// measure (matching NaN/inf, tiny reference) and -2 when it is plainly wrong.
double rel_error(float got, double ref, double abs_tol) {
  if (std::isnan(ref)) return std::isnan(got) ? -1 : -2;
  if (std::isnan(got)) return -2;
  const float rf = static_cast<float>(ref);
  if (std::isinf(rf) || std::isinf(got)) {
    if (rf == got) return -1;
    // Overflow threshold: a result within tolerance of FLT_MAX may land on either side.
    const double fin = std::isinf(got) ? std::fabs(ref) : std::fabs(static_cast<double>(got));
    const bool same_sign = std::signbit(rf) == std::signbit(got);
    return (same_sign && fin >= FLT_MAX * (1 - 4e-6)) ? -1 : -2;
  }
  const double err = std::fabs(static_cast<double>(got) - ref);
  if (std::fabs(ref) < FLT_MIN) return err <= std::max(abs_tol, static_cast<double>(FLT_MIN)) ? -1 : -2;
  if (err <= abs_tol) return -1;
  return err / std::fabs(ref);
}

struct Stat {
  double max_rel = 0;
  float worst_x = 0;
};

// ------------------------------------------------------------------------------------------------

const size_t kLengths[] = {0, 1, 7, 15, 16, 17, 33, 1000, 100003};

void check_unary(SimdLevel level, Stat (&stats)[3][32]) {
  const int L = static_cast<int>(level);
  for (int o = 0; o < static_cast<int>(UnaryOp::Count); ++o) {
    const UnaryOp op = static_cast<UnaryOp>(o);
    const std::vector<std::pair<float, float>> params = unary_params(op);
    for (auto [p0, p1] : params) {
      std::vector<std::vector<float>> inputs;
      for (size_t n : kLengths) inputs.push_back(unary_inputs(n));
      // A sweep through bit patterns covers every binade of the float range systematically.
      {
        std::vector<float> sweep;
        const uint32_t step = g_quick ? 65521u : 4099u;
        for (uint64_t u = 0; u < (1ull << 32); u += step) sweep.push_back(bits_to_float(static_cast<uint32_t>(u)));
        inputs.push_back(sweep);
      }
      for (auto& x : inputs) {
        const size_t n = x.size();
        std::vector<float> y(n + 16, 12345.0f);
        unary(op, x.data(), y.data(), static_cast<int64_t>(n), p0, p1);
        for (size_t k = n; k < n + 16; ++k)
          if (y[k] != 12345.0f) { fail(std::string(unary_name(op)) + " wrote past the end"); break; }
        // In place must give the same bits.
        std::vector<float> z = x;
        unary(op, z.data(), z.data(), static_cast<int64_t>(n), p0, p1);
        if (n && std::memcmp(z.data(), y.data(), n * 4) != 0)
          fail(std::string(unary_name(op)) + " in-place differs");
        for (size_t i = 0; i < n; ++i) {
          const double ref = ref_unary(op, x[i], p0, p1);
          const double e = rel_error(y[i], ref, 0.0);
          if (e == -2 || e > 2e-6) {
            char buf[512];
            std::snprintf(buf, sizeof buf, "%s[%s] x=%.9g (p=%g,%g): got %.9g want %.9g", unary_name(op),
                          simd_level_name(level), x[i], p0, p1, y[i], ref);
            fail(buf);
          }
          if (e > stats[L][o].max_rel) stats[L][o] = {e, x[i]};
        }
      }
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Binary / where with broadcasting, through element strides like the binding passes them.

struct View {
  std::vector<float> data;
  std::vector<int64_t> strides;
  int64_t offset = 0;  // element offset of index 0 (negative strides start at the end)
};

float binary_input() {
  static const float special[] = {0.0f, -0.0f, 1.0f, -1.0f, 2.0f, 0.5f, -2.5f, 3.0f, kInf, -kInf, kNaN, 1e-40f, 1e30f, -1e30f};
  switch (rng() % 5) {
    case 0: return special[rng() % (sizeof special / sizeof special[0])];
    case 1: return static_cast<float>(static_cast<int>(rng() % 7) - 3);  // ties for comparisons
    case 2: return urand(-4, 4);
    case 3: return urand(0, 3);
    default: return urand(-100, 100);
  }
}

// A view of `shape` broadcast from `src_shape` (dims of size 1 get stride 0). When transpose is
// set the underlying buffer is laid out with the last two dims swapped.
View make_view(const std::vector<int64_t>& shape, const std::vector<int64_t>& src_shape, bool transpose) {
  View v;
  const size_t nd = shape.size();
  int64_t total = 1;
  for (auto s : src_shape) total *= s;
  v.data.resize(static_cast<size_t>(std::max<int64_t>(total, 1)));
  for (auto& f : v.data) f = binary_input();
  std::vector<int64_t> st(nd);
  int64_t acc = 1;
  for (size_t d = nd; d-- > 0;) { st[d] = acc; acc *= src_shape[d]; }
  if (transpose && nd >= 2) {
    // Column-major in the last two dims.
    const int64_t r = src_shape[nd - 2], c = src_shape[nd - 1];
    st[nd - 2] = 1;
    st[nd - 1] = r;
    (void)c;
  }
  v.strides.resize(nd);
  for (size_t d = 0; d < nd; ++d) v.strides[d] = src_shape[d] == 1 ? 0 : st[d];
  return v;
}

float at(const View& v, const std::vector<int64_t>& idx) {
  int64_t off = v.offset;
  for (size_t d = 0; d < idx.size(); ++d) off += idx[d] * v.strides[d];
  return v.data[static_cast<size_t>(off)];
}

bool next_index(std::vector<int64_t>& idx, const std::vector<int64_t>& shape) {
  for (size_t d = shape.size(); d-- > 0;) {
    if (++idx[d] < shape[d]) return true;
    idx[d] = 0;
  }
  return false;
}

struct BCase {
  std::vector<int64_t> shape, ashape, bshape;
  bool ta = false, tb = false;
};

std::vector<BCase> binary_cases() {
  std::vector<BCase> c;
  for (size_t n : kLengths) {
    const int64_t N = static_cast<int64_t>(n);
    c.push_back({{N}, {N}, {N}});
    c.push_back({{N}, {N}, {1}});
    c.push_back({{N}, {1}, {N}});
  }
  c.push_back({{}, {}, {}});                        // 0-d
  c.push_back({{3, 0, 4}, {3, 0, 4}, {1, 1, 4}});   // empty
  c.push_back({{37, 19}, {37, 19}, {19}});          // row broadcast (b shape padded below)
  c.push_back({{37, 19}, {37, 19}, {37, 1}});       // column broadcast
  c.push_back({{37, 19}, {37, 1}, {1, 19}});        // outer product
  c.push_back({{400, 300}, {400, 300}, {300}});     // big row broadcast (threaded)
  c.push_back({{300, 400}, {300, 400}, {300, 1}});  // big column broadcast (threaded)
  c.push_back({{128, 10}, {128, 10}, {10}});
  c.push_back({{5, 6, 7}, {5, 6, 7}, {5, 6, 7}, true, false});  // transposed a: strided rows
  c.push_back({{5, 6, 7}, {5, 1, 7}, {6, 7}, false, true});
  c.push_back({{3, 65, 33}, {3, 65, 33}, {1, 65, 1}});
  c.push_back({{2, 1, 3, 1, 2, 3, 1, 2}, {2, 1, 3, 1, 2, 3, 1, 2}, {1, 1, 3, 1, 1, 3, 1, 2}});  // 8-d
  c.push_back({{1, 1, 1}, {1, 1, 1}, {1}});
  c.push_back({{70, 2000}, {70, 2000}, {70, 2000}, false, true});  // big, strided b (threaded)
  return c;
}

std::vector<int64_t> pad_shape(std::vector<int64_t> s, size_t nd) {
  while (s.size() < nd) s.insert(s.begin(), 1);
  return s;
}

void check_binary(SimdLevel level, double (&maxrel)[3][32]) {
  const int L = static_cast<int>(level);
  for (const BCase& bc : binary_cases()) {
    const size_t nd = bc.shape.size();
    const auto as = pad_shape(bc.ashape, nd), bs = pad_shape(bc.bshape, nd);
    View a = make_view(bc.shape, as, bc.ta), b = make_view(bc.shape, bs, bc.tb);
    int64_t total = 1;
    for (auto s : bc.shape) total *= s;
    for (int o = 0; o < static_cast<int>(BinaryOp::Count); ++o) {
      const BinaryOp op = static_cast<BinaryOp>(o);
      std::vector<float> out(static_cast<size_t>(total) + 8, 777.0f);
      binary(op, static_cast<int>(nd), bc.shape.data(), a.data.data(), a.strides.data(), b.data.data(),
             b.strides.data(), out.data());
      for (size_t k = static_cast<size_t>(total); k < out.size(); ++k)
        if (out[k] != 777.0f) { fail(std::string(binary_name(op)) + " wrote past the end"); break; }
      if (total == 0) continue;
      std::vector<int64_t> idx(nd, 0);
      int64_t flat = 0;
      do {
        const float av = at(a, idx), bv = at(b, idx);
        const double ref = ref_binary(op, av, bv);
        const float got = out[static_cast<size_t>(flat)];
        const double e = rel_error(got, ref, 0.0);
        if (e == -2 || e > 2e-6) {
          char buf[512];
          std::snprintf(buf, sizeof buf, "%s[%s] nd=%zu flat=%" PRId64 " a=%.9g b=%.9g: got %.9g want %.9g",
                        binary_name(op), simd_level_name(level), nd, flat, av, bv, got, ref);
          fail(buf);
        }
        if (e > maxrel[L][o]) maxrel[L][o] = e;
        ++flat;
      } while (next_index(idx, bc.shape));
    }
    // where(cond, a, b) with cond broadcast along the same patterns as b.
    View cond = make_view(bc.shape, bs, bc.tb);
    for (auto& f : cond.data) f = (rng() % 3 == 0) ? 0.0f : ((rng() % 5 == 0) ? kNaN : 1.0f);
    std::vector<float> out(static_cast<size_t>(total) + 8, 777.0f);
    where(static_cast<int>(nd), bc.shape.data(), cond.data.data(), cond.strides.data(), a.data.data(),
          a.strides.data(), b.data.data(), b.strides.data(), out.data());
    for (size_t k = static_cast<size_t>(total); k < out.size(); ++k)
      if (out[k] != 777.0f) { fail("where wrote past the end"); break; }
    if (total == 0) continue;
    std::vector<int64_t> idx(nd, 0);
    int64_t flat = 0;
    do {
      const float want = at(cond, idx) != 0.0f ? at(a, idx) : at(b, idx);
      const float got = out[static_cast<size_t>(flat)];
      if (std::memcmp(&want, &got, 4) != 0) { fail("where mismatch"); break; }
      ++flat;
    } while (next_index(idx, bc.shape));
  }
}

// ------------------------------------------------------------------------------------------------

struct RCase {
  int64_t outer, len, inner;
};
const RCase kReduceCases[] = {{1, 0, 1},  {3, 0, 4},   {1, 1, 1},     {1, 7, 1},     {1, 100003, 1},
                              {7, 33, 1}, {5, 17, 3},  {2, 1000, 300}, {1, 5, 17},   {4, 7, 1000},
                              {3, 1, 5},  {128, 10, 1}, {1, 300000, 1}, {2, 40000, 2}, {1, 3, 257}};

float reduce_input(bool allow_nan) {
  const uint64_t r = rng() % 1000;
  if (allow_nan && r == 0) return kNaN;
  if (r == 1) return kInf;
  if (r == 2) return -kInf;
  if (r < 60) return static_cast<float>(static_cast<int>(rng() % 5));  // ties
  return urand(-10, 10);
}

void check_reduce(SimdLevel level) {
  for (const RCase& rc : kReduceCases) {
    for (int pass = 0; pass < 2; ++pass) {
      const bool with_nan = pass == 1;
      const int64_t n = rc.outer * rc.len * rc.inner;
      std::vector<float> x(static_cast<size_t>(n));
      for (auto& v : x) v = reduce_input(with_nan);
      if (!with_nan)  // keep infinities out of the sums too, so they test rounding
        for (auto& v : x) if (std::isinf(v)) v = 1.5f;
      const int64_t m = rc.outer * rc.inner;
      for (int o = 0; o < static_cast<int>(ReduceOp::Count); ++o) {
        const ReduceOp op = static_cast<ReduceOp>(o);
        std::vector<float> out(static_cast<size_t>(m) + 4, 555.0f);
        reduce(op, x.data(), rc.outer, rc.len, rc.inner, out.data());
        for (int64_t k = m; k < m + 4; ++k)
          if (out[static_cast<size_t>(k)] != 555.0f) fail("reduce wrote past the end");
        for (int64_t oo = 0; oo < rc.outer; ++oo)
          for (int64_t i = 0; i < rc.inner; ++i) {
            double s = 0, sa = 0, mx = -INFINITY, mn = INFINITY;
            bool nan = false;
            for (int64_t j = 0; j < rc.len; ++j) {
              const double v = x[static_cast<size_t>((oo * rc.len + j) * rc.inner + i)];
              s += v;
              sa += std::fabs(v);
              if (std::isnan(v)) nan = true;
              mx = std::fmax(mx, v);
              mn = std::fmin(mn, v);
            }
            double ref;
            double tol = 0;
            switch (op) {
              case ReduceOp::Sum: ref = s; tol = 1e-6 * sa; break;
              case ReduceOp::Mean: ref = rc.len ? s / rc.len : NAN; tol = rc.len ? 1e-6 * sa / rc.len : 0; break;
              case ReduceOp::Max: ref = nan ? NAN : mx; break;
              default: ref = nan ? NAN : mn; break;
            }
            const float got = out[static_cast<size_t>(oo * rc.inner + i)];
            const double e = rel_error(got, ref, tol);
            if (e == -2 || e > 2e-6) {
              char buf[512];
              std::snprintf(buf, sizeof buf, "reduce op=%d [%s] (%" PRId64 ",%" PRId64 ",%" PRId64 ") at %" PRId64 ",%" PRId64 ": got %.9g want %.9g",
                            o, simd_level_name(level), rc.outer, rc.len, rc.inner, oo, i, got, ref);
              fail(buf);
            }
          }
      }
      if (rc.len == 0) continue;
      for (int o = 0; o < static_cast<int>(ArgReduceOp::Count); ++o) {
        const bool is_max = o == 0;
        std::vector<int32_t> out(static_cast<size_t>(m) + 4, -7);
        arg_reduce(static_cast<ArgReduceOp>(o), x.data(), rc.outer, rc.len, rc.inner, out.data());
        for (int64_t k = m; k < m + 4; ++k)
          if (out[static_cast<size_t>(k)] != -7) fail("arg_reduce wrote past the end");
        for (int64_t oo = 0; oo < rc.outer; ++oo)
          for (int64_t i = 0; i < rc.inner; ++i) {
            int64_t bi = 0;
            float best = x[static_cast<size_t>(oo * rc.len * rc.inner + i)];
            for (int64_t j = 1; j < rc.len && !std::isnan(best); ++j) {
              const float v = x[static_cast<size_t>((oo * rc.len + j) * rc.inner + i)];
              if (std::isnan(v) || (is_max ? v > best : v < best)) { best = v; bi = j; }
            }
            if (out[static_cast<size_t>(oo * rc.inner + i)] != bi) {
              fail("arg_reduce mismatch (" + std::to_string(rc.outer) + "," + std::to_string(rc.len) + "," +
                   std::to_string(rc.inner) + ") [" + simd_level_name(level) + "]");
              break;
            }
          }
      }
    }
  }
}

// ------------------------------------------------------------------------------------------------

void check_softmax(SimdLevel level, double (&maxrel)[3][2]) {
  const int L = static_cast<int>(level);
  const RCase cases[] = {{128, 10, 1}, {256, 1000, 1}, {3, 1, 1}, {5, 17, 1}, {2, 100003, 1}, {1, 33, 1},
                         {4, 33, 300}, {2, 5, 17}, {3, 7, 2}, {1, 1000, 3}, {2, 3, 513}};
  for (const RCase& rc : cases) {
    const int64_t n = rc.outer * rc.len * rc.inner;
    std::vector<float> x(static_cast<size_t>(n));
    const int64_t cols = rc.outer * rc.inner;
    for (int64_t oo = 0; oo < rc.outer; ++oo)
      for (int64_t i = 0; i < rc.inner; ++i) {
        // Each column gets a character: plain, wide, huge, with -inf, all -inf, with NaN, +inf.
        const int kind = static_cast<int>((oo * rc.inner + i) % 9);
        for (int64_t j = 0; j < rc.len; ++j) {
          float v;
          switch (kind) {
            case 1: v = urand(-100, 100); break;
            case 2: v = urand(-1, 1) + 1e30f * (j == 0); break;
            case 3: v = (rng() % 3 == 0) ? -kInf : urand(-5, 5); break;
            case 4: v = cols > 4 ? -kInf : urand(-3, 3); break;
            case 5: v = (cols > 4 && j == rc.len / 2) ? kNaN : urand(-3, 3); break;
            case 6: v = (cols > 4 && j == 0) ? kInf : urand(-3, 3); break;
            case 7: v = urand(80, 88.7f); break;
            default: v = urand(-8, 8); break;
          }
          x[static_cast<size_t>((oo * rc.len + j) * rc.inner + i)] = v;
        }
      }
    for (int lg = 0; lg < 2; ++lg) {
      std::vector<float> y(static_cast<size_t>(n) + 8, 999.0f);
      softmax(x.data(), y.data(), rc.outer, rc.len, rc.inner, lg == 1);
      for (int64_t k = n; k < n + 8; ++k)
        if (y[static_cast<size_t>(k)] != 999.0f) fail("softmax wrote past the end");
      for (int64_t oo = 0; oo < rc.outer; ++oo)
        for (int64_t i = 0; i < rc.inner; ++i) {
          auto X = [&](int64_t j) { return static_cast<double>(x[static_cast<size_t>((oo * rc.len + j) * rc.inner + i)]); };
          double m = -INFINITY;
          bool nan = false;
          for (int64_t j = 0; j < rc.len; ++j) { if (std::isnan(X(j))) nan = true; m = std::fmax(m, X(j)); }
          if (nan) m = NAN;
          double s = 0;
          for (int64_t j = 0; j < rc.len; ++j) s += std::exp(X(j) - m);
          for (int64_t j = 0; j < rc.len; ++j) {
            const double ref = lg ? (X(j) - m) - std::log(s) : std::exp(X(j) - m) / s;
            const float got = y[static_cast<size_t>((oo * rc.len + j) * rc.inner + i)];
            const double e = rel_error(got, ref, 1e-7);
            if (e == -2 || e > 2e-6) {
              char buf[512];
              std::snprintf(buf, sizeof buf, "%s[%s] (%" PRId64 ",%" PRId64 ",%" PRId64 ") o=%" PRId64 " j=%" PRId64 " i=%" PRId64 " x=%.9g: got %.9g want %.9g",
                            lg ? "logSoftmax" : "softmax", simd_level_name(level), rc.outer, rc.len, rc.inner, oo, j, i,
                            X(j), got, ref);
              fail(buf);
            }
            // Report relative error where it means something (the 1e-7 absolute slack aside).
            if (std::isfinite(ref) && std::fabs(ref) > 1e-4) {
              const double r = std::fabs(got - ref) / std::fabs(ref);
              if (r > maxrel[L][lg]) maxrel[L][lg] = r;
            }
          }
        }
    }
  }
}

// ------------------------------------------------------------------------------------------------

void check_movement() {
  // gather / scatter_add
  const int64_t shapes[][3] = {{1, 5, 1}, {3, 7, 1}, {2, 9, 5}, {4, 11, 33}, {1, 50, 5000}, {3, 1000, 64}, {2, 3, 8193}};
  for (auto& s : shapes) {
    const int64_t outer = s[0], axis = s[1], inner = s[2];
    std::vector<float> x(static_cast<size_t>(outer * axis * inner));
    for (auto& v : x) v = urand(-5, 5);
    for (int64_t nidx : {int64_t{0}, int64_t{1}, axis, 2 * axis + 3}) {
      std::vector<int32_t> idx(static_cast<size_t>(nidx));
      for (auto& v : idx) v = static_cast<int32_t>(rng() % static_cast<uint64_t>(axis));
      const size_t on = static_cast<size_t>(outer * nidx * inner);
      std::vector<float> out(on + 4, 3.0f);
      gather(x.data(), outer, axis, inner, idx.data(), nidx, out.data());
      bool ok = true;
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t j = 0; j < nidx; ++j)
          for (int64_t i = 0; i < inner; ++i)
            ok &= out[static_cast<size_t>((o * nidx + j) * inner + i)] == x[static_cast<size_t>((o * axis + idx[static_cast<size_t>(j)]) * inner + i)];
      for (size_t k = on; k < on + 4; ++k) ok &= out[k] == 3.0f;
      if (!ok) fail("gather " + std::to_string(outer) + "x" + std::to_string(axis) + "x" + std::to_string(inner));

      std::vector<float> g(on);
      for (auto& v : g) v = urand(-2, 2);
      std::vector<float> acc(static_cast<size_t>(outer * axis * inner) + 4, 0.0f);
      for (size_t k = acc.size() - 4; k < acc.size(); ++k) acc[k] = 9.0f;
      std::vector<double> ref(acc.size(), 0.0);
      scatter_add(g.data(), outer, axis, inner, idx.data(), nidx, acc.data());
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t j = 0; j < nidx; ++j)
          for (int64_t i = 0; i < inner; ++i)
            ref[static_cast<size_t>((o * axis + idx[static_cast<size_t>(j)]) * inner + i)] += g[static_cast<size_t>((o * nidx + j) * inner + i)];
      ok = true;
      for (size_t k = 0; k + 4 < acc.size(); ++k) ok &= std::fabs(acc[k] - ref[k]) <= 1e-5 * (1 + std::fabs(ref[k]));
      for (size_t k = acc.size() - 4; k < acc.size(); ++k) ok &= acc[k] == 9.0f;
      if (!ok) fail("scatter_add " + std::to_string(outer) + "x" + std::to_string(axis) + "x" + std::to_string(inner));
    }
  }
  // gather moves int32 as raw words too
  {
    std::vector<int32_t> xi = {10, -20, 30, 0x7fc00001};
    std::vector<int32_t> idx = {3, 0, 3, 1}, out(4);
    gather(xi.data(), 1, 4, 1, idx.data(), 4, out.data());
    if (out != std::vector<int32_t>{0x7fc00001, 10, 0x7fc00001, -20}) fail("gather int32");
  }
  // one_hot
  for (int64_t depth : {int64_t{1}, int64_t{3}, int64_t{10}, int64_t{1000}}) {
    const int64_t n = 300;
    std::vector<int32_t> idx(static_cast<size_t>(n));
    for (auto& v : idx) v = static_cast<int32_t>(static_cast<int64_t>(rng() % static_cast<uint64_t>(depth + 4)) - 2);
    std::vector<float> out(static_cast<size_t>(n * depth) + 4, 42.0f);
    one_hot(idx.data(), n, depth, 0.9f, -0.1f, out.data());
    bool ok = true;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t d = 0; d < depth; ++d)
        ok &= out[static_cast<size_t>(i * depth + d)] == (idx[static_cast<size_t>(i)] == d ? 0.9f : -0.1f);
    for (size_t k = static_cast<size_t>(n * depth); k < out.size(); ++k) ok &= out[k] == 42.0f;
    if (!ok) fail("one_hot depth " + std::to_string(depth));
  }
  one_hot(nullptr, 0, 5, 1, 0, nullptr);
  // fill
  for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{17}, int64_t{200001}}) {
    std::vector<float> y(static_cast<size_t>(n) + 2, 1.0f);
    fill(y.data(), n, -3.5f);
    bool ok = true;
    for (int64_t i = 0; i < n; ++i) ok &= y[static_cast<size_t>(i)] == -3.5f;
    ok &= y[static_cast<size_t>(n)] == 1.0f && y[static_cast<size_t>(n) + 1] == 1.0f;
    if (!ok) fail("fill");
  }
  // strided_copy: transposes, odd strides, negative strides (flips), padding-like dst offsets.
  struct CCase {
    std::vector<int64_t> shape, src_st, dst_st;
    int64_t src_off, dst_off, src_size, dst_size;
  };
  std::vector<CCase> cc = {
      {{}, {}, {}, 0, 0, 1, 1},
      {{0, 4}, {4, 1}, {4, 1}, 0, 0, 1, 1},
      {{5}, {1}, {1}, 0, 0, 5, 5},
      {{7, 9}, {1, 7}, {9, 1}, 0, 0, 63, 63},                  // transpose into contiguous
      {{4, 5, 6}, {30, 6, 1}, {1, 4, 20}, 0, 0, 120, 120},     // contiguous into transposed
      {{6, 7}, {21, 3}, {9, 1}, 0, 2, 126, 60},                // odd src stride, padded dst rows
      {{5, 8}, {-8, -1}, {8, 1}, 39, 0, 40, 40},               // full flip
      {{3, 4, 5}, {0, 5, 1}, {20, 5, 1}, 0, 0, 20, 60},        // broadcast source (stride 0)
      {{300, 500}, {1, 300}, {500, 1}, 0, 0, 150000, 150000},  // big transpose (threaded)
      {{2, 3, 2, 3, 2, 3, 2, 3}, {648, 216, 108, 36, 18, 6, 3, 1}, {1, 2, 6, 12, 36, 72, 216, 432}, 0, 0, 1296, 1296},
  };
  for (const CCase& c : cc) {
    std::vector<int32_t> src(static_cast<size_t>(c.src_size)), dst(static_cast<size_t>(c.dst_size) + 3, -1);
    for (size_t k = 0; k < src.size(); ++k) src[k] = static_cast<int32_t>(k * 7 + 1);
    std::vector<int32_t> want = dst;
    const int nd = static_cast<int>(c.shape.size());
    strided_copy(nd, c.shape.data(), src.data() + c.src_off, c.src_st.data(), dst.data() + c.dst_off, c.dst_st.data());
    int64_t total = 1;
    for (auto s : c.shape) total *= s;
    if (total > 0) {
      std::vector<int64_t> idx(c.shape.size(), 0);
      do {
        int64_t so = c.src_off, dof = c.dst_off;
        for (int d = 0; d < nd; ++d) { so += idx[static_cast<size_t>(d)] * c.src_st[static_cast<size_t>(d)]; dof += idx[static_cast<size_t>(d)] * c.dst_st[static_cast<size_t>(d)]; }
        want[static_cast<size_t>(dof)] = src[static_cast<size_t>(so)];
      } while (next_index(idx, c.shape));
    }
    if (dst != want) fail("strided_copy nd=" + std::to_string(nd));
  }
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--quick") == 0) g_quick = true;
  const SimdLevel hw = hardware_simd_level();
  Stat ustats[3][32] = {};
  double bmax[3][32] = {}, smax[3][2] = {};
  for (int l = 0; l <= static_cast<int>(hw); ++l) {
    const SimdLevel level = static_cast<SimdLevel>(l);
    if (set_simd_level(level) != level) { std::printf("cannot set level %d\n", l); return 2; }
    std::printf("checking %s (threads %d)\n", simd_level_name(level), num_threads());
    std::fflush(stdout);
    check_unary(level, ustats);
    check_binary(level, bmax);
    check_reduce(level);
    check_softmax(level, smax);
    check_movement();
  }
  std::printf("\nmax relative error (normal-range results):\n%-14s", "op");
  for (int l = 0; l <= static_cast<int>(hw); ++l) std::printf("%26s", simd_level_name(static_cast<SimdLevel>(l)));
  std::printf("\n");
  for (int o = 0; o < static_cast<int>(UnaryOp::Count); ++o) {
    std::printf("%-14s", unary_name(static_cast<UnaryOp>(o)));
    for (int l = 0; l <= static_cast<int>(hw); ++l)
      std::printf("   %9.2e (x=%11.4g)", ustats[l][o].max_rel, ustats[l][o].worst_x);
    std::printf("\n");
  }
  for (int o = 0; o < static_cast<int>(BinaryOp::Count); ++o) {
    std::printf("%-14s", binary_name(static_cast<BinaryOp>(o)));
    for (int l = 0; l <= static_cast<int>(hw); ++l) std::printf("   %9.2e %14s", bmax[l][o], "");
    std::printf("\n");
  }
  for (int lg = 0; lg < 2; ++lg) {
    std::printf("%-14s", lg ? "logSoftmax" : "softmax");
    for (int l = 0; l <= static_cast<int>(hw); ++l) std::printf("   %9.2e %14s", smax[l][lg], "");
    std::printf("\n");
  }
  if (g_failures) {
    std::printf("\n%d FAILURES\n", g_failures);
    return 1;
  }
  std::printf("\nall elementwise checks passed\n");
  return 0;
}
