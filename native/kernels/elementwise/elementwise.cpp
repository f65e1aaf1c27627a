// Dispatch, threading and shape handling for the elementwise kernels, plus the data-movement and
// index kernels whose speed is set by memory access patterns rather than by arithmetic.
// The arithmetic itself lives in elementwise_body.cpp, compiled once per instruction set.
//
// Callers guarantee ndim <= 8 (kMaxDims): every shape walk below uses fixed-size stack arrays so
// that no call allocates.
#include "kernels/elementwise/elementwise.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/common/cpu_features.h"
#include "kernels/common/thread_pool.h"
#include "kernels/elementwise/elementwise_internal.h"

namespace tf::kernels {
namespace {

constexpr int kMaxDims = 8;

// Elements per thread below which splitting costs more than it saves. Waking a parked worker
// costs on the order of 10 us; memory-bound ops move ~1-4 elements/ns per core, transcendental
// ones ~0.5-1 (AVX-512) to ~0.1 (baseline). parallel_for splits only at n >= 2 * grain.
constexpr int64_t kGrainCheap = 32 * 1024;
// Column sums over at least 2 * kSumPartRows rows with fewer than kSumSplitMaxTiles column tiles
// (outer * tiles) split their rows into fixed parts (see reduce).
constexpr int64_t kSumPartRows = 256;
constexpr int64_t kSumSplitMaxTiles = 4;
constexpr int64_t kGrainHeavy = 16 * 1024;
constexpr int64_t kGrainPow = 2 * 1024;  // scalar powf, ~10 ns per element

const ew::Kernels& kern() { return ew::active_table(); }

// Runs f(begin, end) over [0, n), split across threads only when there is enough work. The
// std::function wraps a lambda holding one reference, which fits its small-object buffer: no
// allocation even on the parallel path.
template <class F>
void run(int64_t n, int64_t grain, const F& f) {
  // Workers still polling after the previous kernel take a chunk within about a microsecond, so
  // a quarter of the grain pays then (a channel Concat's parts, the passes of a composite op).
  // pool_warm is asked only when the smaller grain could split: it wakes parked workers.
  const int64_t warm_grain = std::max<int64_t>(1, grain / 4);
  if (n < 2 * grain && (n < 2 * warm_grain || !pool_warm())) {
    f(int64_t{0}, n);
    return;
  }
  const int64_t g = n < 2 * grain ? warm_grain : grain;
  // Every element is independent: balanced chunks, so a late worker costs a small chunk.
  parallel_for_balanced(n, g, [&f](int64_t b, int64_t e) { f(b, e); });
}

int64_t grain_for_rows(int64_t grain_elems, int64_t row_elems) {
  return std::max<int64_t>(1, grain_elems / std::max<int64_t>(1, row_elems));
}

constexpr bool kUnaryHeavy[] = {
#define TF_HEAVY(e, name, heavy, ...) heavy,
    TF_UNARY_OPS(TF_HEAVY)
#undef TF_HEAVY
};
bool is_heavy(UnaryOp op) { return kUnaryHeavy[static_cast<int>(op)]; }

// ---------------------------------------------------------------------------------------------
// N-d shape walking. A Layout is the shape with size-1 dims dropped and adjacent dims merged
// wherever every operand is contiguous across them; [N, C] + [C] stays 2-d, same-shape
// contiguous operands collapse to 1-d, a scalar operand to stride 0.

template <int NOPS>
struct Layout {
  int nd = 0;
  int64_t total = 1;
  int64_t shape[kMaxDims];
  int64_t st[NOPS][kMaxDims];
};

// Returns false when the shape has no elements. An implicit contiguous output (binary, where)
// needs no stride check: row-major contiguity survives any merge of adjacent dims.
template <int NOPS>
bool make_layout(int ndim, const int64_t* shape, const int64_t* const (&strides)[NOPS],
                 Layout<NOPS>& L) {
  for (int d = 0; d < ndim; ++d)
    if (shape[d] <= 0) return false;
  for (int d = 0; d < ndim; ++d) {
    if (shape[d] == 1) continue;
    bool merge = L.nd > 0;
    for (int k = 0; k < NOPS && merge; ++k)
      merge = L.st[k][L.nd - 1] == strides[k][d] * shape[d];
    if (merge) {
      L.shape[L.nd - 1] *= shape[d];
      for (int k = 0; k < NOPS; ++k) L.st[k][L.nd - 1] = strides[k][d];
    } else {
      L.shape[L.nd] = shape[d];
      for (int k = 0; k < NOPS; ++k) L.st[k][L.nd] = strides[k][d];
      ++L.nd;
    }
    L.total *= shape[d];
  }
  return true;
}

// Calls f(off, flat, count) for every run of the innermost dim inside the flat element range
// [begin, end): off[k] is operand k's element offset of the run's first element, flat its
// row-major index. Requires nd >= 1.
template <int NOPS, class F>
void walk(const Layout<NOPS>& L, int64_t begin, int64_t end, const F& f) {
  const int nd = L.nd;
  const int64_t inner = L.shape[nd - 1];
  int64_t idx[kMaxDims];
  int64_t off[NOPS];
  for (int k = 0; k < NOPS; ++k) off[k] = 0;
  int64_t row = begin / inner;
  int64_t col = begin - row * inner;
  for (int d = nd - 2; d >= 0; --d) {
    idx[d] = row % L.shape[d];
    row /= L.shape[d];
    for (int k = 0; k < NOPS; ++k) off[k] += idx[d] * L.st[k][d];
  }
  int64_t flat = begin;
  while (flat < end) {
    const int64_t cnt = std::min(inner - col, end - flat);
    int64_t o[NOPS];
    for (int k = 0; k < NOPS; ++k) o[k] = off[k] + col * L.st[k][nd - 1];
    f(o, flat, cnt);
    flat += cnt;
    col = 0;
    for (int d = nd - 2; d >= 0; --d) {
      for (int k = 0; k < NOPS; ++k) off[k] += L.st[k][d];
      if (++idx[d] < L.shape[d]) break;
      for (int k = 0; k < NOPS; ++k) off[k] -= L.st[k][d] * L.shape[d];
      idx[d] = 0;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Scalar forms of the binary ops, for rows whose strides are neither 0 nor 1 (transposed or
// sliced views). Same semantics as the vector kernels, NaN handling included.

template <BinaryOp OP>
inline float bin_scalar(float a, float b) {
  if constexpr (OP == BinaryOp::Add) return a + b;
  else if constexpr (OP == BinaryOp::Sub) return a - b;
  else if constexpr (OP == BinaryOp::Mul) return a * b;
  else if constexpr (OP == BinaryOp::Div) return a / b;
  else if constexpr (OP == BinaryOp::Pow) return std::pow(a, b);
  else if constexpr (OP == BinaryOp::Maximum) return (a != a || b != b) ? a + b : (a > b ? a : b);
  else if constexpr (OP == BinaryOp::Minimum) return (a != a || b != b) ? a + b : (a < b ? a : b);
  else if constexpr (OP == BinaryOp::Equal) return a == b ? 1.0f : 0.0f;
  else if constexpr (OP == BinaryOp::NotEqual) return a != b ? 1.0f : 0.0f;
  else if constexpr (OP == BinaryOp::Greater) return a > b ? 1.0f : 0.0f;
  else if constexpr (OP == BinaryOp::GreaterEqual) return a >= b ? 1.0f : 0.0f;
  else if constexpr (OP == BinaryOp::Less) return a < b ? 1.0f : 0.0f;
  else return a <= b ? 1.0f : 0.0f;
}

using StridedFn = void (*)(const float* a, int64_t sa, const float* b, int64_t sb, float* out,
                           int64_t n);

template <BinaryOp OP>
void strided_k(const float* a, int64_t sa, const float* b, int64_t sb, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = bin_scalar<OP>(a[i * sa], b[i * sb]);
}

constexpr StridedFn kStrided[] = {
    &strided_k<BinaryOp::Add>,     &strided_k<BinaryOp::Sub>,          &strided_k<BinaryOp::Mul>,
    &strided_k<BinaryOp::Div>,     &strided_k<BinaryOp::Pow>,          &strided_k<BinaryOp::Maximum>,
    &strided_k<BinaryOp::Minimum>, &strided_k<BinaryOp::Equal>,        &strided_k<BinaryOp::NotEqual>,
    &strided_k<BinaryOp::Greater>, &strided_k<BinaryOp::GreaterEqual>, &strided_k<BinaryOp::Less>,
    &strided_k<BinaryOp::LessEqual>};
static_assert(sizeof(kStrided) / sizeof(kStrided[0]) == static_cast<size_t>(BinaryOp::Count),
              "kStrided must follow the BinaryOp order");

float reduce_identity(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum: return 0.0f;
    case ReduceOp::Mean: return std::numeric_limits<float>::quiet_NaN();
    case ReduceOp::Max: return -std::numeric_limits<float>::infinity();
    default: return std::numeric_limits<float>::infinity();
  }
}

// Combines per-part results of one long row. Parts are fixed by length, not by thread count,
// so a sum comes out bit-identical whatever the pool size.
constexpr int64_t kMaxParts = 64;

}  // namespace

// -----------------------------------------------------------------------------------------------

void unary(UnaryOp op, const float* x, float* y, int64_t n, float p0, float p1) {
  if (n <= 0) return;
  const ew::UnaryFn fn = kern().unary[static_cast<int>(op)];
  if (n < 2 * kGrainHeavy) {  // the common small case: no lambda, no pool
    fn(x, y, n, p0, p1);
    return;
  }
  run(n, is_heavy(op) ? kGrainHeavy : kGrainCheap,
      [=](int64_t b, int64_t e) { fn(x + b, y + b, e - b, p0, p1); });
}

// Longest run of broadcast-row copies binary() builds on the stack.
constexpr int64_t kRepeatMax = 1024;

void binary(BinaryOp op, int ndim, const int64_t* shape, const float* a, const int64_t* a_strides,
            const float* b, const int64_t* b_strides, float* out) {
  const int o = static_cast<int>(op);
  const ew::Kernels& k = kern();
  Layout<2> L;
  if (!make_layout<2>(ndim, shape, {a_strides, b_strides}, L)) return;
  if (L.nd == 0) {  // one element
    k.vv[o](a, b, out, 1);
    return;
  }
  const int64_t sa = L.st[0][L.nd - 1], sb = L.st[1][L.nd - 1];
  const int64_t grain = op == BinaryOp::Pow ? kGrainPow : kGrainCheap;
  if (L.nd == 1 && sa == 1 && sb == 1) {
    const ew::BinVVFn fn = k.vv[o];
    run(L.total, grain, [=](int64_t lo, int64_t hi) { fn(a + lo, b + lo, out + lo, hi - lo); });
    return;
  }
  const ew::BinVVFn vv = k.vv[o];
  if (L.nd == 2 && sa == 1 && sb == 1 && L.shape[1] <= kRepeatMax / 2 &&
      ((L.st[0][0] == L.shape[1] && L.st[1][0] == 0) || (L.st[0][0] == 0 && L.st[1][0] == L.shape[1]))) {
    // Rows times one broadcast row (a squeeze-and-excitation scale, a bias on channels-last
    // pixels): short rows made one call per row. The broadcast row repeated to fill a block of
    // rows makes each call a dense run over that many rows instead.
    const int64_t rows = L.shape[0], c = L.shape[1];
    const bool a_rep = L.st[0][0] == 0;
    const int64_t per = std::min(rows, kRepeatMax / c);
    run(rows, grain_for_rows(grain, c), [=](int64_t r0, int64_t r1) {
      alignas(64) float rep[kRepeatMax];
      const float* v = a_rep ? a : b;
      for (int64_t i = 0; i < per; ++i) std::memcpy(rep + i * c, v, sizeof(float) * static_cast<size_t>(c));
      for (int64_t r = r0; r < r1; r += per) {
        const int64_t n = std::min(per, r1 - r) * c;
        if (a_rep) vv(rep, b + r * c, out + r * c, n);
        else vv(a + r * c, rep, out + r * c, n);
      }
    });
    return;
  }
  const ew::BinVSFn vs = k.vs[o];
  const ew::BinSVFn sv = k.sv[o];
  const StridedFn strided = kStrided[o];
  auto row = [&](const int64_t* off, int64_t flat, int64_t cnt) {
    const float* pa = a + off[0];
    const float* pb = b + off[1];
    float* po = out + flat;
    if (sa == 1 && sb == 1) vv(pa, pb, po, cnt);
    else if (sa == 1 && sb == 0) vs(pa, *pb, po, cnt);
    else if (sa == 0 && sb == 1) sv(*pa, pb, po, cnt);
    else strided(pa, sa, pb, sb, po, cnt);
  };
  run(L.total, grain, [&](int64_t lo, int64_t hi) { walk(L, lo, hi, row); });
}

void where(int ndim, const int64_t* shape, const float* cond, const int64_t* cond_strides,
           const float* a, const int64_t* a_strides, const float* b, const int64_t* b_strides,
           float* out) {
  Layout<3> L;
  if (!make_layout<3>(ndim, shape, {cond_strides, a_strides, b_strides}, L)) return;
  if (L.nd == 0) {
    out[0] = cond[0] != 0.0f ? a[0] : b[0];
    return;
  }
  const int64_t sc = L.st[0][L.nd - 1], sa = L.st[1][L.nd - 1], sb = L.st[2][L.nd - 1];
  auto row = [&](const int64_t* off, int64_t flat, int64_t cnt) {
    const float* pc = cond + off[0];
    const float* pa = a + off[1];
    const float* pb = b + off[2];
    float* po = out + flat;
    if (sc == 1 && sa == 1 && sb == 1) {  // unit strides: a loop the compiler vectorizes
      for (int64_t i = 0; i < cnt; ++i) po[i] = pc[i] != 0.0f ? pa[i] : pb[i];
    } else if (sc == 0) {  // one condition for the whole run: a copy
      const float* src = *pc != 0.0f ? pa : pb;
      const int64_t s = *pc != 0.0f ? sa : sb;
      if (s == 1) std::memcpy(po, src, sizeof(float) * static_cast<size_t>(cnt));
      else for (int64_t i = 0; i < cnt; ++i) po[i] = src[i * s];
    } else {
      for (int64_t i = 0; i < cnt; ++i) po[i] = pc[i * sc] != 0.0f ? pa[i * sa] : pb[i * sb];
    }
  };
  run(L.total, kGrainCheap, [&](int64_t lo, int64_t hi) { walk(L, lo, hi, row); });
}

namespace {

// dst[w * C + c] = src[c * plane + w] for w < n (C a compile-time channel count when it is 3 or 4).
template <int CC>
void interleave_block(const uint32_t* src, int64_t plane, int64_t n, int64_t c_rt, uint32_t* dst) {
  const int64_t C = CC > 0 ? CC : c_rt;
  for (int64_t w = 0; w < n; ++w)
    for (int64_t c = 0; c < C; ++c) dst[w * C + c] = src[c * plane + w];
}

// strided_copy for a layout whose last two dims are [n0 pixels, n1 <= 8 channels] read from planes
// (source strides [1, plane]) into dense pixels (destination strides [n1, 1]); the dims before
// them are walked per block of pixels.
void interleave_planes(const Layout<2>& L, const uint32_t* s, uint32_t* d) {
  const int a = L.nd - 2;
  const int64_t n0 = L.shape[a], n1 = L.shape[a + 1], plane = L.st[0][a + 1];
  constexpr int64_t kBlock = 1024;
  const int64_t blocks = (n0 + kBlock - 1) / kBlock;
  const int64_t outer = L.total / (n0 * n1);
  run(outer * blocks, std::max<int64_t>(1, kGrainCheap / (kBlock * n1)), [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      int64_t o = t / blocks, so = 0, dof = 0;
      for (int dd = a - 1; dd >= 0; --dd) {
        const int64_t i = o % L.shape[dd];
        o /= L.shape[dd];
        so += i * L.st[0][dd];
        dof += i * L.st[1][dd];
      }
      const int64_t w0 = t % blocks * kBlock, n = std::min(kBlock, n0 - w0);
      const uint32_t* ps = s + so + w0;
      uint32_t* pd = d + dof + w0 * n1;
      if (n1 == 3) kern().interleave3(ps, plane, n, pd);
      else if (n1 == 4) interleave_block<4>(ps, plane, n, n1, pd);
      else interleave_block<0>(ps, plane, n, n1, pd);
    }
  });
}

}  // namespace

void strided_copy(int ndim, const int64_t* shape, const void* src, const int64_t* src_strides,
                  void* dst, const int64_t* dst_strides) {
  Layout<2> L;
  if (!make_layout<2>(ndim, shape, {src_strides, dst_strides}, L)) return;
  // Elements are copied as raw 4-byte words: float32 and int32 alike, NaN payloads untouched.
  const uint32_t* s = static_cast<const uint32_t*>(src);
  uint32_t* d = static_cast<uint32_t*>(dst);
  if (L.nd == 0) {
    d[0] = s[0];
    return;
  }
  if (L.nd >= 2) {
    // A few channel planes interleaved into pixels (NCHW -> NHWC of an image batch: [224 * 224, 3]
    // whose source rows are 3 channels 50176 apart). Walked row by row that is one call per
    // pixel for 3 elements (~0.1 ms per 224x224 RGB image); here each pixel block reads the
    // planes in order and writes whole pixels.
    const int a = L.nd - 2, b = L.nd - 1;
    const int64_t n1 = L.shape[b];
    if (n1 <= 8 && L.st[0][a] == 1 && L.st[1][a] == n1 && L.st[1][b] == 1) {
      interleave_planes(L, s, d);
      return;
    }
    // The same copy walked channels-outer ([n, C, HW]: the plan's ToNhwc of an RGB batch): its
    // last two dims swapped into [HW, C]. It went to the tiled transpose below, 3-long inner loops
    // at ~5 GB/s (1 ms of a batch-8 224x224 pass).
    const int64_t c0 = L.shape[a];
    if (c0 <= 8 && L.st[0][b] == 1 && L.st[1][b] == c0 && L.st[1][a] == 1) {
      Layout<2> T = L;
      std::swap(T.shape[a], T.shape[b]);
      std::swap(T.st[0][a], T.st[0][b]);
      std::swap(T.st[1][a], T.st[1][b]);
      interleave_planes(T, s, d);
      return;
    }
  }
  const int64_t ss = L.st[0][L.nd - 1], ds = L.st[1][L.nd - 1];
  // A transpose of the last two dims (a layout conversion: NCHW <-> NHWC as [n, C, HW] or
  // [n, HW, C]; a few planes into dense pixels went to interleave_planes above): one of them (f) is
  // the destination's unit-stride dim, the other (g) the source's. Walked row by row, that is a
  // short run per row and threads writing into the same lines. In tiles instead: g outer in tiles of kTile,
  // f inner, so the destination is written in order, the source read in short runs that stay in
  // L1 for the next f, and threads split g into separate parts of the destination.
  const int nd = L.nd;
  const bool f_inner = ds == 1 && ss != 1 && nd >= 2 && L.st[0][nd - 2] == 1;
  const bool f_outer = ss == 1 && ds != 1 && nd >= 2 && L.st[1][nd - 2] == 1;
  if (nd <= 3 && (f_inner || f_outer)) {
    const int fd = f_inner ? nd - 1 : nd - 2, gd = f_inner ? nd - 2 : nd - 1;
    const int64_t F = L.shape[fd], G = L.shape[gd];
    const int64_t sf = L.st[0][fd], sg = L.st[0][gd], dg = L.st[1][gd];
    const int64_t outer = nd == 3 ? L.shape[0] : 1;
    const int64_t so = nd == 3 ? L.st[0][0] : 0, dso = nd == 3 ? L.st[1][0] : 0;
    constexpr int64_t kTile = 32;
    const int64_t g_tiles = (G + kTile - 1) / kTile;
    run(outer * g_tiles, std::max<int64_t>(1, kGrainCheap / (kTile * F)), [&](int64_t lo, int64_t hi) {
      for (int64_t t = lo; t < hi; ++t) {
        const int64_t o = t / g_tiles, g0 = t % g_tiles * kTile, g1 = std::min(G, g0 + kTile);
        const uint32_t* ps = s + o * so;
        uint32_t* pd = d + o * dso;
        for (int64_t f0 = 0; f0 < F; f0 += kTile) {
          const int64_t f1 = std::min(F, f0 + kTile);
          for (int64_t g = g0; g < g1; ++g) {
            const uint32_t* src = ps + g * sg + f0 * sf;
            uint32_t* dst = pd + g * dg;
            for (int64_t f = f0; f < f1; ++f, src += sf) dst[f] = *src;
          }
        }
      }
    });
    return;
  }
  auto row = [&](const int64_t* off, int64_t, int64_t cnt) {
    const uint32_t* ps = s + off[0];
    uint32_t* pd = d + off[1];
    if (ss == 1 && ds == 1) std::memcpy(pd, ps, sizeof(uint32_t) * static_cast<size_t>(cnt));
    else if (ds == 1) for (int64_t i = 0; i < cnt; ++i) pd[i] = ps[i * ss];
    else for (int64_t i = 0; i < cnt; ++i) pd[i * ds] = ps[i * ss];
  };
  run(L.total, kGrainCheap, [&](int64_t lo, int64_t hi) { walk(L, lo, hi, row); });
}

void fill(float* y, int64_t n, float value) {
  if (n <= 0) return;
  run(n, kGrainCheap, [=](int64_t b, int64_t e) { std::fill(y + b, y + e, value); });
}

void reduce(ReduceOp op, const float* x, int64_t outer, int64_t len, int64_t inner, float* out) {
  if (outer <= 0 || inner <= 0) return;
  if (len <= 0) {
    fill(out, outer * inner, reduce_identity(op));
    return;
  }
  const ew::Kernels& k = kern();
  const bool is_sum = op == ReduceOp::Sum || op == ReduceOp::Mean;
  auto finish_sum = [&](double s) {
    return static_cast<float>(op == ReduceOp::Mean ? s / static_cast<double>(len) : s);
  };

  if (inner == 1) {
    auto reduce_row = [&](const float* r, int64_t n) -> float {
      if (is_sum) return finish_sum(k.sum(r, n));
      return op == ReduceOp::Max ? k.max(r, n) : k.min(r, n);
    };
    if (outer == 1 && len >= 2 * kGrainCheap) {
      // One long row (a full reduction): split it into fixed parts, combine in order.
      const int64_t parts = std::min<int64_t>(kMaxParts, len / kGrainCheap);
      double psum[kMaxParts];
      float pext[kMaxParts];
      run(parts, 1, [&](int64_t pb, int64_t pe) {
        for (int64_t p = pb; p < pe; ++p) {
          const int64_t lo = len * p / parts, hi = len * (p + 1) / parts;
          if (is_sum) psum[p] = k.sum(x + lo, hi - lo);
          else pext[p] = op == ReduceOp::Max ? k.max(x + lo, hi - lo) : k.min(x + lo, hi - lo);
        }
      });
      if (is_sum) {
        double s = 0.0;
        for (int64_t p = 0; p < parts; ++p) s += psum[p];
        out[0] = finish_sum(s);
      } else {
        float m = pext[0];
        for (int64_t p = 1; p < parts && m == m; ++p) {
          const float v = pext[p];
          if (v != v || (op == ReduceOp::Max ? v > m : v < m)) m = v;
        }
        out[0] = m;
      }
      return;
    }
    run(outer, grain_for_rows(kGrainCheap, len), [&](int64_t ob, int64_t oe) {
      for (int64_t o = ob; o < oe; ++o) out[o] = reduce_row(x + o * len, len);
    });
    return;
  }

  // inner > 1: walk the len rows once, accumulating a tile of columns that stays in L1.
  const int64_t tiles = (inner + ew::kTile - 1) / ew::kTile;
  if (is_sum && outer * tiles < kSumSplitMaxTiles && len >= 2 * kSumPartRows && len * inner >= 4 * kGrainCheap) {
    // Many rows into a few columns (the bias gradient of a conv or a projection: 43,264 rows of
    // 32 channels in the tutorial CNN, 1,792 x 256 in an LSTM's input projection) ran on one
    // thread: there were only outer * tiles tasks. Parts of kSumPartRows rows, fixed by the
    // shape alone, are summed apart and then combined in part order, so every thread count
    // gives the same bits.
    const int64_t parts = std::min<int64_t>(kMaxParts, len / kSumPartRows);
    std::vector<double> partial(static_cast<size_t>(outer * parts * inner));
    run(outer * parts, 1, [&](int64_t tb, int64_t te) {
      for (int64_t t = tb; t < te; ++t) {
        const int64_t o = t / parts, p = t % parts, r0 = len * p / parts, r1 = len * (p + 1) / parts;
        double* acc = partial.data() + t * inner;
        std::fill(acc, acc + inner, 0.0);
        for (int64_t c0 = 0; c0 < inner; c0 += ew::kTile) {
          const int64_t cols = std::min(ew::kTile, inner - c0);
          const float* xs = x + o * len * inner + c0;
          k.sum_rows_into(acc + c0, xs + r0 * inner, inner, r1 - r0, cols);
        }
      }
    });
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t c = 0; c < inner; ++c) {
        double total = 0.0;
        for (int64_t p = 0; p < parts; ++p) total += partial[static_cast<size_t>((o * parts + p) * inner + c)];
        out[o * inner + c] = finish_sum(total);
      }
    }
    return;
  }
  const ew::BinVVFn ext = k.vv[static_cast<int>(op == ReduceOp::Max ? BinaryOp::Maximum
                                                                      : BinaryOp::Minimum)];
  run(outer * tiles, grain_for_rows(kGrainCheap, len * std::min(inner, ew::kTile)),
      [&](int64_t tb, int64_t te) {
        alignas(64) double acc[ew::kTile];
        for (int64_t t = tb; t < te; ++t) {
          const int64_t o = t / tiles, c0 = (t % tiles) * ew::kTile;
          const int64_t cols = std::min(ew::kTile, inner - c0);
          const float* xs = x + o * len * inner + c0;
          float* po = out + o * inner + c0;
          if (is_sum && cols == inner && 2 * inner <= ew::kTile && len > 1) {
            // Short rows (a global average pool over a few channels): `per` consecutive rows
            // are one dense run, summed into per * inner partial sums (rows j = r mod per), then
            // folded; one call per row cost more than its adds.
            const int64_t per = std::min(len, ew::kTile / inner);
            std::fill(acc, acc + per * inner, 0.0);
            int64_t j = 0;
            for (; j + per <= len; j += per) k.sum_into(acc, xs + j * inner, per * inner);
            if (j < len) k.sum_into(acc, xs + j * inner, (len - j) * inner);
            for (int64_t r = 1; r < per; ++r)
              for (int64_t c = 0; c < cols; ++c) acc[c] += acc[r * inner + c];
            for (int64_t c = 0; c < cols; ++c) po[c] = finish_sum(acc[c]);
          } else if (is_sum) {
            std::fill(acc, acc + cols, 0.0);
            k.sum_rows_into(acc, xs, inner, len, cols);
            for (int64_t c = 0; c < cols; ++c) po[c] = finish_sum(acc[c]);
          } else {
            std::memcpy(po, xs, sizeof(float) * static_cast<size_t>(cols));
            for (int64_t j = 1; j < len; ++j) ext(po, xs + j * inner, po, cols);
          }
        }
      });
}

void arg_reduce(ArgReduceOp op, const float* x, int64_t outer, int64_t len, int64_t inner,
                int32_t* out) {
  if (outer <= 0 || inner <= 0 || len <= 0) return;
  const bool is_max = op == ArgReduceOp::ArgMax;
  // Strict comparison keeps the first of equal extremes; a NaN wins once and then sticks
  // (best != best stops further updates), which is NumPy's rule.
  if (inner == 1) {
    run(outer, grain_for_rows(kGrainCheap, len), [&](int64_t ob, int64_t oe) {
      for (int64_t o = ob; o < oe; ++o) {
        const float* r = x + o * len;
        float best = r[0];
        int64_t bi = 0;
        for (int64_t j = 1; j < len && best == best; ++j) {
          const float v = r[j];
          if (v != v || (is_max ? v > best : v < best)) {
            best = v;
            bi = j;
          }
        }
        out[o] = static_cast<int32_t>(bi);
      }
    });
    return;
  }
  const int64_t tiles = (inner + ew::kTile - 1) / ew::kTile;
  run(outer * tiles, grain_for_rows(kGrainCheap, len * std::min(inner, ew::kTile)),
      [&](int64_t tb, int64_t te) {
        alignas(64) float best[ew::kTile];
        for (int64_t t = tb; t < te; ++t) {
          const int64_t o = t / tiles, c0 = (t % tiles) * ew::kTile;
          const int64_t cols = std::min(ew::kTile, inner - c0);
          const float* xs = x + o * len * inner + c0;
          int32_t* po = out + o * inner + c0;
          for (int64_t c = 0; c < cols; ++c) {
            best[c] = xs[c];
            po[c] = 0;
          }
          for (int64_t j = 1; j < len; ++j) {
            const float* r = xs + j * inner;
            const int32_t jj = static_cast<int32_t>(j);
            for (int64_t c = 0; c < cols; ++c) {
              const float v = r[c], b = best[c];
              const bool take = b == b && (v != v || (is_max ? v > b : v < b));
              best[c] = take ? v : b;
              po[c] = take ? jj : po[c];
            }
          }
        }
      });
}

void softmax(const float* x, float* y, int64_t outer, int64_t len, int64_t inner, bool log) {
  if (outer <= 0 || len <= 0 || inner <= 0) return;
  const ew::Kernels& k = kern();
  if (inner == 1) {
    const auto fn = k.softmax_row;
    if (outer * len < 2 * kGrainHeavy) {
      for (int64_t o = 0; o < outer; ++o) fn(x + o * len, y + o * len, len, log);
      return;
    }
    run(outer, grain_for_rows(kGrainHeavy, len), [&](int64_t ob, int64_t oe) {
      for (int64_t o = ob; o < oe; ++o) fn(x + o * len, y + o * len, len, log);
    });
    return;
  }
  const int64_t tiles = (inner + ew::kTile - 1) / ew::kTile;
  run(outer * tiles, grain_for_rows(kGrainHeavy, len * std::min(inner, ew::kTile)),
      [&](int64_t tb, int64_t te) {
        for (int64_t t = tb; t < te; ++t) {
          const int64_t o = t / tiles, c0 = (t % tiles) * ew::kTile;
          const int64_t off = o * len * inner + c0;
          k.softmax_cols(x + off, y + off, len, inner, std::min(ew::kTile, inner - c0), log);
        }
      });
}

void gather(const void* x, int64_t outer, int64_t axis_len, int64_t inner, const int32_t* idx,
            int64_t nidx, void* out) {
  if (outer <= 0 || inner <= 0 || nidx <= 0) return;
  const uint32_t* s = static_cast<const uint32_t*>(x);
  uint32_t* d = static_cast<uint32_t*>(out);
  // One task per output row [o, j]: rows are independent and each is one contiguous copy.
  run(outer * nidx, grain_for_rows(kGrainCheap, inner), [&](int64_t rb, int64_t re) {
    if (inner == 1) {
      for (int64_t r = rb; r < re; ++r) {
        const int64_t o = r / nidx, j = r - o * nidx;
        d[r] = s[o * axis_len + idx[j]];
      }
      return;
    }
    for (int64_t r = rb; r < re; ++r) {
      const int64_t o = r / nidx, j = r - o * nidx;
      std::memcpy(d + r * inner, s + (o * axis_len + idx[j]) * inner,
                  sizeof(uint32_t) * static_cast<size_t>(inner));
    }
  });
}

void scatter_add(const float* g, int64_t outer, int64_t axis_len, int64_t inner,
                 const int32_t* idx, int64_t nidx, float* out) {
  if (outer <= 0 || inner <= 0 || nidx <= 0) return;
  const ew::BinVVFn add = kern().vv[static_cast<int>(BinaryOp::Add)];
  // Repeated indices make rows of one [o] collide, so tasks split over o and over column
  // blocks, never over j: every output element has exactly one writer.
  constexpr int64_t kColBlock = 4096;
  const int64_t blocks = (inner + kColBlock - 1) / kColBlock;
  run(outer * blocks, grain_for_rows(kGrainCheap, nidx * std::min(inner, kColBlock)),
      [&](int64_t tb, int64_t te) {
        for (int64_t t = tb; t < te; ++t) {
          const int64_t o = t / blocks, c0 = (t % blocks) * kColBlock;
          const int64_t cols = std::min(kColBlock, inner - c0);
          const float* gs = g + o * nidx * inner + c0;
          float* os = out + o * axis_len * inner + c0;
          if (inner == 1) {
            for (int64_t j = 0; j < nidx; ++j) os[idx[j]] += gs[j];
          } else {
            for (int64_t j = 0; j < nidx; ++j) {
              float* dst = os + static_cast<int64_t>(idx[j]) * inner;
              add(dst, gs + j * inner, dst, cols);
            }
          }
        }
      });
}

void one_hot(const int32_t* idx, int64_t n, int64_t depth, float on, float off, float* out) {
  if (n <= 0 || depth <= 0) return;
  run(n, grain_for_rows(kGrainCheap, depth), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      float* row = out + i * depth;
      std::fill(row, row + depth, off);
      const int64_t v = idx[i];
      if (v >= 0 && v < depth) row[v] = on;
    }
  });
}

}  // namespace tf::kernels
