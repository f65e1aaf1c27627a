// GEMM driver: picks the ISA's micro-kernel at run time, blocks the problem BLIS-style (NC columns
// of B -> KC deep slices packed into NR-wide panels -> MC rows of A packed into MR-high panels ->
// MR x NR micro-tiles), splits work across the thread pool when that pays, and routes vector shapes
// to GEMV. Narrow C has two special routes: dot products along k when n <= IsaKernels::dots_max_n
// and A is not transposed, and C^T = B^T A^T (reading the big operand in place) when A is.
// Baseline x86-64 code only: every SIMD instruction lives behind gemm_internal.h.
#include "kernels/gemm/gemm.h"

#include <algorithm>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <vector>

#include "kernels/common/cpu_features.h"
#include "kernels/common/thread_pool.h"
#include "kernels/gemm/gemm_internal.h"

namespace tf::kernels {
namespace {

using gemm_detail::IsaKernels;
using gemm_detail::TileStore;

// Below this many flops (~7 us on one AVX-512 core) a GEMM stays on the calling thread: waking a
// parked worker costs several microseconds. Measured: 80^3 already gains 1.3x on 2 threads,
// 64^3 loses 1.6x. A worker that wakes late only costs the caller the futex call, since the caller
// claims unstarted chunks itself.
constexpr double kParallelFlops = 1.0e6;
// The same while the workers are still polling after a recent job (pool_warm): a split then costs
// about a microsecond of hand-off.
constexpr double kParallelFlopsWarm = 2.0e5;
// Bytes of a B panel that sgemm_segmented keeps whole; deeper ones run in chunks of about
// kSegChunkBytes (seg_chunk_k).
constexpr int64_t kSegPanelBytes = int64_t{512} << 10;
constexpr int64_t kSegChunkBytes = int64_t{256} << 10;
// The largest B (in floats) that a split packs once into panels shared by its threads.
constexpr double kSharedPackMaxFloats = 4.0 * 1024 * 1024;
// GEMV is bandwidth-bound; split it only when it streams enough matrix to hide the wake-up, which
// on this 2-vCPU VM costs 25-70 us (a parked vCPU is halted). The 784x512 GEMV of a batch-1 dense
// layer (~15 us on one thread) lost 13-25 us when split cold and gains ~8 us split warm.
constexpr int64_t kParallelGemvElems = 1 << 21;
constexpr int64_t kParallelGemvElemsWarm = 1 << 15;

double parallel_flops() { return pool_warm() ? kParallelFlopsWarm : kParallelFlops; }
// Depth slice of the dot-product path: n rows of B^T this long (20 KB at n = 10) stay in L1 while
// A streams past.
constexpr int64_t kDotsKc = 512;
// Below this depth the dot-product path's final horizontal sums cost more than the idle lanes of
// the tile kernel.
constexpr int64_t kDotsMinK = 128;
// Up to this many rows of A per thread, B is packed by the first A strip's kernel as it goes
// (IsaKernels::kernel_copy_b) rather than in a pass of its own: 64x784x512 with bias + relu,
// 1 thread: 384 -> 350 us; 28 rows: 203 -> 177 us.
constexpr int64_t kCopyBMaxRows = 128;
// B of at least this many floats is read from beyond L2 the first time through (a weight of a
// network layer): only then do the kernels prefetch it ahead (TileStore::stream_b). A small B
// (an LSTM's 64 x 256 recurrent kernel, used every step) is cached and the prefetches cost slots.
constexpr int64_t kStreamMinFloats = int64_t{1} << 17;
// gemv's rows form streams a matrix of at least this many elements in prefetched slices of about
// kGemvChunkBytes.
constexpr int64_t kGemvChunkMinElems = int64_t{1} << 18;
constexpr int64_t kGemvChunkBytes = int64_t{64} << 10;

int64_t round_up(int64_t x, int64_t to) { return (x + to - 1) / to * to; }
int64_t ceil_div(int64_t x, int64_t d) { return (x + d - 1) / d; }

// Grow-only 64-byte aligned scratch. One per thread and reused across calls: allocating per call
// would page-fault fresh memory (~3 us per fault here) on every GEMM.
class Scratch {
 public:
  Scratch() = default;
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() { std::free(ptr_); }

  float* get(int64_t count) {
    const size_t need = static_cast<size_t>(count);
    if (need > cap_) {
      std::free(ptr_);
      // Grow geometrically so a sequence of slightly larger shapes does not reallocate each time.
      size_t cap = std::max(need, cap_ + cap_ / 2);
      cap = (cap + 15) & ~size_t{15};
      ptr_ = static_cast<float*>(std::aligned_alloc(64, cap * sizeof(float)));
      if (ptr_ == nullptr) throw std::bad_alloc();
      cap_ = cap;
    }
    return ptr_;
  }

 private:
  float* ptr_ = nullptr;
  size_t cap_ = 0;
};

struct ThreadScratch {
  Scratch a;  // packed A block
  Scratch b;  // packed B block
  Scratch x;  // gathered GEMV vector
  Scratch y;  // GEMV result before the epilogue
  Scratch t;  // B^T for the dot-product path
  Scratch z;  // one row slice's partial GEMV result
  Scratch shared_b;  // B packed once for all threads of a split (compute)
};
thread_local ThreadScratch t_scratch;

// A GEMM in op() terms. When trans_c is set the driver has swapped operands: the kernels compute
// C^T = op(B)^T op(A)^T, write element (i, j) to c[j * ldc + i], and bias runs along i.
struct Problem {
  bool ta, tb;
  int64_t m, n, k;
  float alpha;
  const float* a;
  int64_t lda;
  const float* b;
  int64_t ldb;
  float beta;
  float* c;
  int64_t ldc;
  const float* bias;
  bool relu;
  bool trans_c;
  GemmBlockFn block;
  const void* block_ctx;
  // B packed once into full-depth NR-wide panels (sgemm_pack_b), or null: pack per block.
  const float* packed_b = nullptr;
  // Added to C with the last depth slice's store (GemmEpilogue::residual), in C's layout.
  const float* residual = nullptr;
  int64_t ld_residual = 0;
};

float apply_epilogue(float acc, float alpha, float beta, const float* old, float bias, bool relu) {
  float x = alpha * acc;
  if (beta != 0.0f) x += beta * *old;
  x += bias;
  if (relu) x = x < 0.0f ? 0.0f : x;  // keeps NaN, as the SIMD max(0, x) does
  return x;
}

// k == 0 or alpha == 0: op(A) op(B) contributes nothing (and, as in BLAS, A and B are not read).
void scale_only(int64_t m, int64_t n, float beta, float* c, int64_t ldc, const float* bias,
                bool relu) {
  for (int64_t i = 0; i < m; ++i) {
    float* ci = c + i * ldc;
    for (int64_t j = 0; j < n; ++j) {
      float x = beta == 0.0f ? 0.0f : beta * ci[j];
      if (bias != nullptr) x += bias[j];
      if (relu) x = x < 0.0f ? 0.0f : x;
      ci[j] = x;
    }
  }
}

// Rows of A a multiple of 4 KB apart map to one L1 set (1024, 2048 input channels).
bool rows_alias(int64_t lda) { return lda % 1024 == 0; }

// The kernels broadcast A one element at a time, so they can read A in place; packing it only
// pays when each A strip is reused across enough B panels to amortise the copy (and, for a
// transposed A, to replace MR short strided rows with one contiguous stream), and when A is big
// enough that reading it in place would miss L1/L2 and the TLB more than a packed block does.
bool should_pack_a(const IsaKernels& K, const Problem& g, int64_t m_rows, int64_t n_cols) {
  const int64_t panels = ceil_div(n_cols, K.nr);
  if (g.ta) return panels > 2;
  const int64_t min_panels = K.pack_a_min_panels >= 0 ? K.pack_a_min_panels : rows_alias(g.lda) ? 4 : -1;
  return min_panels >= 0 && panels > min_panels && m_rows * g.k >= (int64_t{1} << 17);
}

// Rows [m0, m1) x columns [n0, n1) of the problem on the calling thread.
void compute_block(const IsaKernels& K, const Problem& g, int64_t m0, int64_t m1, int64_t n0,
                   int64_t n1) {
  const int64_t mr = K.mr, nr = K.nr;
  // Equal depth slices: a short last one (784 = 3 * 256 + 16) pays a full pass of loads and
  // stores of C for a few multiply-adds.
  const int64_t kc_max = std::min<int64_t>(round_up(ceil_div(g.k, ceil_div(g.k, K.kc)), 4), g.k);
  const int64_t mc_max = std::min<int64_t>(K.mc, round_up(m1 - m0, mr));
  const int64_t nc_max = std::min<int64_t>(K.nc, round_up(n1 - n0, nr));
  const bool pack_a = should_pack_a(K, g, m1 - m0, std::min<int64_t>(K.nc, n1 - n0));
  float* abuf = pack_a ? t_scratch.a.get(mc_max * kc_max) : nullptr;
  // With a single A strip every B element is used once, so a packed copy would only add a pass
  // over B (for C^T of a narrow C that pass is over the big operand).
  const bool prepacked = g.packed_b != nullptr;
  const bool direct_b = !prepacked && !g.tb && m1 - m0 <= mr;
  float* bbuf = direct_b || prepacked ? nullptr : t_scratch.b.get(nc_max * kc_max);
  // B row-major and few A strips: the first strip packs each B panel while it multiplies with it
  // (a full MR rows, since the block has more than one strip). With many strips the separate
  // packing pass is amortised and measured ~2% faster (1024^3).
  const bool copy_b = !direct_b && !prepacked && !g.tb && K.kernel_copy_b != nullptr && m1 - m0 <= kCopyBMaxRows;
  const bool stream = g.k * (n1 - n0) >= kStreamMinFloats;
  for (int64_t jc = n0; jc < n1; jc += K.nc) {
    const int64_t nc = std::min<int64_t>(K.nc, n1 - jc);
    for (int64_t pc = 0; pc < g.k; pc += kc_max) {
      const int64_t kc = std::min<int64_t>(kc_max, g.k - pc);
      const bool last = pc + kc >= g.k;
      if (!direct_b && !copy_b && !prepacked) {
        for (int64_t jr = 0; jr < nc; jr += nr) {
          const int64_t j = jc + jr;
          const float* src = g.tb ? g.b + j * g.ldb + pc : g.b + pc * g.ldb + j;
          K.pack_b(src, g.ldb, !g.tb, std::min(nr, nc - jr), kc, bbuf + jr * kc);
        }
      }
      // Later depth slices accumulate onto what the first one stored; only the last applies
      // the epilogue.
      TileStore st{g.alpha, pc == 0 ? g.beta : 1.0f, nullptr, last && g.relu, g.trans_c};
      st.prefetch_a = !pack_a && !g.ta && !rows_alias(g.lda);
      const float* bias = last ? g.bias : nullptr;
      for (int64_t ic = m0; ic < m1; ic += K.mc) {
        const int64_t mc = std::min<int64_t>(K.mc, m1 - ic);
        if (pack_a) {
          for (int64_t ir = 0; ir < mc; ir += mr) {
            const int64_t i = ic + ir;
            const float* src = g.ta ? g.a + pc * g.lda + i : g.a + i * g.lda + pc;
            K.pack_a(src, g.lda, g.ta, std::min(mr, mc - ir), kc, abuf + ir * kc);
          }
        }
        auto tile = [&](int64_t ir, int64_t jr) {
          const int64_t i = ic + ir, j = jc + jr;
          const float* pa;
          int64_t a_rs, a_ks;
          if (pack_a) {
            pa = abuf + ir * kc;
            a_rs = 1;
            a_ks = mr;
          } else {
            pa = g.ta ? g.a + pc * g.lda + i : g.a + i * g.lda + pc;
            a_rs = g.ta ? 1 : g.lda;
            a_ks = g.ta ? g.lda : 1;
          }
          float* ct = g.trans_c ? g.c + j * g.ldc + i : g.c + i * g.ldc + j;
          st.bias = bias != nullptr ? bias + (g.trans_c ? i : j) : nullptr;
          st.residual = last && g.residual != nullptr ? g.residual + (g.trans_c ? j * g.ld_residual + i : i * g.ld_residual + j) : nullptr;
          st.ld_residual = g.ld_residual;
          if (copy_b && ic == m0 && ir == 0) {
            K.kernel_copy_b(kc, pa, a_rs, a_ks, g.b + pc * g.ldb + j, g.ldb, bbuf + jr * kc, ct, g.ldc,
                            static_cast<int>(std::min(nr, nc - jr)), st);
            return;
          }
          const float* pb = prepacked ? g.packed_b + (j / nr) * g.k * nr + pc * nr : direct_b ? g.b + pc * g.ldb + j : bbuf + jr * kc;
          // A weight packed once is read from memory by the block's first strip only; B read in
          // place by a lone strip (direct_b) is streamed from wherever it is. The strips of a
          // packed panel also share the fetch of the next panel's depth slice (see TileStore).
          st.stream_b = stream && ((prepacked && ir == 0) || direct_b);
          st.next_b = nullptr;
          if (stream && prepacked && j + nr < n1) {
            const int64_t strips = ceil_div(mc, mr), idx = ir / mr;
            st.next_b = g.packed_b + (j / nr + 1) * g.k * nr + pc * nr + (kc * nr) * idx / strips;
            st.next_step = std::max<int64_t>(1, ceil_div(nr, strips));
          }
          K.kernel(kc, pa, a_rs, a_ks, pb, direct_b ? g.ldb : nr, ct, g.ldc,
                   static_cast<int>(std::min(mr, mc - ir)), static_cast<int>(std::min(nr, nc - jr)),
                   st);
        };
        // jr outside ir: one NR-wide B panel (kc x NR) stays in L1 while the A strips of the
        // block stream past it from L2.
        for (int64_t jr = 0; jr < nc; jr += nr)
          for (int64_t ir = 0; ir < mc; ir += mr) tile(ir, jr);
        if (last && g.block != nullptr) {
          if (g.trans_c) {
            g.block(g.block_ctx, g.c + jc * g.ldc + ic, g.ldc, jc, ic, nc, mc);
          } else {
            g.block(g.block_ctx, g.c + ic * g.ldc + jc, g.ldc, ic, jc, mc, nc);
          }
        }
      }
    }
  }
}

// Splits the problem over threads along M or N, whichever duplicates less packing for a
// balanced split (each thread packs its own copy of the operand it does not split).
void compute(const IsaKernels& K, const Problem& g, bool allow_threads) {
  const int threads = allow_threads ? num_threads() : 1;
  const double flops = 2.0 * static_cast<double>(g.m) * static_cast<double>(g.n) *
                       static_cast<double>(g.k);
  if (threads <= 1 || flops < parallel_flops()) {
    compute_block(K, g, 0, g.m, 0, g.n);
    return;
  }
  const int64_t tiles_m = ceil_div(g.m, K.mr);
  const int64_t tiles_n = ceil_div(g.n, K.nr);
  // Estimated slowest-thread cost in flop units; a packed element costs roughly what 16 flops
  // do at peak (a transposing pack a bit more).
  auto cost = [&](bool split_m) -> double {
    const int64_t tiles = split_m ? tiles_m : tiles_n;
    const int64_t parts = std::min<int64_t>(threads, tiles);
    if (parts < 2) return 1e300;
    const double share = static_cast<double>(ceil_div(tiles, parts));
    double rows = split_m ? std::min<double>(share * K.mr, g.m) : g.m;
    double cols = split_m ? g.n : std::min<double>(share * K.nr, g.n);
    double dup;
    if (split_m) {
      dup = g.packed_b != nullptr ? 0.0 : static_cast<double>(g.k) * g.n * (g.tb ? 24 : 16);
    } else {
      const bool packs_a = should_pack_a(K, g, g.m, static_cast<int64_t>(cols));
      dup = packs_a ? static_cast<double>(g.k) * g.m * (g.ta ? 16 : 24) : 0.0;
    }
    return 2.0 * rows * cols * g.k + dup;
  };
  const double cost_m = cost(true), cost_n = cost(false);
  if (cost_m >= 1e300 && cost_n >= 1e300) {
    compute_block(K, g, 0, g.m, 0, g.n);
    return;
  }
  const bool split_m = cost_m <= cost_n;
  // Split along M, each thread packed all of B for itself, one part per thread: the packing was
  // done twice, and a thread that started late (its vCPU taken for a moment) held the other up for
  // its whole half. B packed once by both threads into shared panels makes the split a prepacked
  // one, cut in balanced parts: bench gemm 1024^3 at 2 threads 155-163 GFLOP/s against 120-122
  // (Zen 3, 1 thread ~83). Capped: a B of tens of MB (a weight gradient's im2col) would not stay in
  // cache between the packing pass and the products.
  if (split_m && g.packed_b == nullptr && tiles_m >= 2 * threads &&
      static_cast<double>(g.k) * static_cast<double>(g.n) <= kSharedPackMaxFloats) {
    const int64_t panels = ceil_div(g.n, K.nr);
    float* shared = t_scratch.shared_b.get(panels * K.nr * g.k);
    parallel_for_balanced(panels, std::max<int64_t>(1, (int64_t{1} << 15) / std::max<int64_t>(1, g.k * K.nr)),
                          [&](int64_t p0, int64_t p1) {
                            for (int64_t p = p0; p < p1; p++) {
                              const int64_t j = p * K.nr;
                              const float* src = g.tb ? g.b + j * g.ldb : g.b + j;
                              K.pack_b(src, g.ldb, !g.tb, std::min<int64_t>(K.nr, g.n - j), g.k, shared + j * g.k);
                            }
                          });
    Problem packed = g;
    packed.packed_b = shared;
    compute(K, packed, allow_threads);
    return;
  }
  const int64_t tiles = split_m ? tiles_m : tiles_n;
  auto run = [&](int64_t parts) {
    return [&, parts](int64_t begin, int64_t end) {
      for (int64_t t = begin; t < end; ++t) {
        const int64_t t0 = tiles * t / parts, t1 = tiles * (t + 1) / parts;
        if (split_m) {
          compute_block(K, g, t0 * K.mr, std::min(t1 * K.mr, g.m), 0, g.n);
        } else {
          compute_block(K, g, 0, g.m, t0 * K.nr, std::min(t1 * K.nr, g.n));
        }
      }
    };
  };
  // A split that packs nothing twice (B packed once by the inference plan, split along M; or A read
  // in place, split along N) cuts a few parts per thread, claimed by whichever thread is free: with
  // one part per thread a worker that starts late (woken from park at the first layer of a
  // batch-1 pass, or its vCPU briefly taken) left the caller waiting through its whole half. Each
  // element of C is the same sum however the parts fall.
  const bool no_dup = split_m ? g.packed_b != nullptr : !should_pack_a(K, g, g.m, std::min<int64_t>(K.nc, g.n));
  if (no_dup) {
    const int64_t min_tiles = std::max<int64_t>(
        1, static_cast<int64_t>(parallel_flops() / (2.0 * g.k * (split_m ? K.mr * static_cast<double>(g.n) : K.nr * static_cast<double>(g.m)))));
    // Parts of equal size, as many as divide the tiles evenly (up to a few per thread): 14 strips
    // as 8 parts of 1 or 2 would split 8:6 when the worker is on time.
    int64_t parts = std::min<int64_t>(threads, tiles);
    for (int64_t p = threads * kBalancedChunksPerThread; p > threads; p -= threads) {
      if (p <= tiles / min_tiles && tiles % p == 0) {
        parts = p;
        break;
      }
    }
    if (split_m && tiles_m < threads * kBalancedChunksPerThread && (tiles_m % threads != 0 || g.m % K.mr != 0)) {
      // Few row strips (a 7x7 map's 49 rows: strips of 14, 14, 14 and 7, at best 28:21 on two
      // threads): parts of equal height instead, as many as the strips rounded up to a multiple of
      // the thread count (49 rows as 12+12+12+13). Rows are independent sums, so C is unchanged.
      const int64_t even = (tiles_m + threads - 1) / threads * threads;
      parallel_for_balanced(even, 1, [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t) compute_block(K, g, g.m * t / even, g.m * (t + 1) / even, 0, g.n);
      });
      return;
    }
    parallel_for_balanced(parts, 1, run(parts));
    return;
  }
  const int64_t parts = std::min<int64_t>(threads, tiles);
  parallel_for(parts, 1, run(parts));
}

// m == 1 or n == 1: a matrix-vector product. Packing would touch every matrix element once more
// than the product itself does, so the matrix is streamed directly.
void gemv(const IsaKernels& K, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
          float alpha, const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
          float* c, int64_t ldc, const float* bias, bool relu, bool allow_threads, const GemmEpilogue& ep) {
  // Output vector: row 0 of C (m == 1) or column 0 of C (n == 1).
  const bool row_out = m == 1;
  const int64_t len = row_out ? n : m;
  const int64_t out_stride = row_out ? 1 : ldc;
  // The vector operand and the matrix operand, and whether the output index walks the matrix's
  // contiguous dimension ("rows" form) or its rows ("dots" form).
  const float* xsrc;
  int64_t incx;
  const float* mat;
  int64_t ld;
  bool rows_form;
  if (row_out) {
    xsrc = a;
    incx = trans_a ? lda : 1;
    mat = b;
    ld = ldb;
    rows_form = !trans_b;
  } else {
    xsrc = b;
    incx = trans_b ? 1 : ldb;
    mat = a;
    ld = lda;
    rows_form = trans_a;
  }
  const float* x = xsrc;
  if (incx != 1) {
    float* gathered = t_scratch.x.get(k);
    for (int64_t p = 0; p < k; ++p) gathered[p] = xsrc[p * incx];
    x = gathered;
  }
  float* y = t_scratch.y.get(len);
  auto run = [&](int64_t j0, int64_t j1) {
    const int64_t cols = j1 - j0;
    if (rows_form && len * k >= kGemvChunkMinElems) {
      // A matrix beyond L2 (a classifier's 1280 x 1000 weights, 5 MB, in L3 or memory during a
      // network's pass) in slices of rows: each slice's rows are fetched as sequential lines while
      // the slice before is multiplied. Walked column block by column block down all k rows, it
      // was read a few lines per row at a stride of a row, which the prefetchers follow poorly
      // (1280 x 1000 from L3: 0.16-0.21 -> 0.11-0.13 ms on AVX2 Zen 3). Each output sums its
      // slices in order, and the slices depend on the shape only, not on the thread split.
      const int64_t rows = std::max<int64_t>(8, kGemvChunkBytes / (4 * len));
      float* part = t_scratch.z.get(cols);
      const auto fetch = [&](int64_t p0) {
        for (int64_t p = p0; p < std::min(k, p0 + rows); ++p) {
          const char* line = reinterpret_cast<const char*>(mat + p * ld + j0);
          for (int64_t b = 0; b < cols * 4; b += 64) __builtin_prefetch(line + b, 0, 2);
        }
      };
      fetch(0);
      for (int64_t p0 = 0; p0 < k; p0 += rows) {
        fetch(p0 + rows);
        const int64_t kc = std::min(rows, k - p0);
        K.gemv_rows(cols, kc, x + p0, mat + p0 * ld + j0, ld, p0 == 0 ? y + j0 : part);
        if (p0 != 0)
          for (int64_t j = 0; j < cols; ++j) y[j0 + j] += part[j];
      }
    } else if (rows_form) {
      K.gemv_rows(j1 - j0, k, x, mat + j0, ld, y + j0);
    } else {
      K.gemv_dots(j1 - j0, k, x, mat + j0 * ld, ld, y + j0);
    }
    for (int64_t j = j0; j < j1; ++j) {
      float* out = c + j * out_stride;
      const float bj = bias == nullptr ? 0.0f : bias[row_out ? j : 0];
      *out = apply_epilogue(y[j], alpha, beta, out, bj, relu);
    }
    if (ep.block != nullptr) {
      if (row_out) {
        ep.block(ep.block_ctx, c + j0, ldc, 0, j0, 1, j1 - j0);
      } else {
        ep.block(ep.block_ctx, c + j0 * ldc, ldc, j0, 0, j1 - j0, 1);
      }
    }
  };
  const int threads = allow_threads ? num_threads() : 1;
  if (threads > 1 && (len * k >= kParallelGemvElems || (len * k >= kParallelGemvElemsWarm && pool_warm()))) {
    // Grain: chunks narrower than this would leave the rows form in its slow tail loop. Every
    // output is its own dot product (or lane of the rows form) whatever chunk holds it, so
    // balanced chunks change no bits: a batch-1 network's classifier GEMV (1000 x 512-1280) no
    // longer waits through a late worker's whole half.
    //
    // The rows form takes two chunks per thread, not kBalancedChunksPerThread: each chunk reads
    // every row of the matrix, and narrower slices of a row (2 KB of a 9216 x 4096 layer's 16 KB
    // rows in eight chunks) streamed from memory no faster on two threads than on one
    // (gemm_bench 1x9216x4096 at 2 threads 8.4 -> 12.4-13.3 GFLOP/s, 1x4096x4096 11 -> 13).
    const int64_t grain = rows_form ? std::max<int64_t>(64, len / (2 * threads)) : 16;
    parallel_for_balanced(len, grain, run);
  } else {
    run(0, len);
  }
}

// C = A B with n <= K.dots_max_n and A's rows contiguous along k. A tile of the micro-kernel would
// leave most lanes idle (n = 10 fills 10 of 16), and computing C^T instead would need a
// transposing pack of the big A. Here every output is a dot product along k: the SIMD lanes run
// over k, so all are busy, and only the small B needs transposing (or nothing, if stored as B^T).
void dots(const IsaKernels& K, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
          int64_t ldc, const float* bias, bool relu, bool allow_threads, const GemmEpilogue& ep) {
  const int64_t kc_max = std::min(k, kDotsKc);
  float* bt = trans_b ? nullptr : t_scratch.t.get(n * round_up(kc_max, 16));
  const int threads = allow_threads ? num_threads() : 1;
  const bool split = threads > 1 && m >= 16 && 2.0 * m * n * k >= parallel_flops();
  for (int64_t pc = 0; pc < k; pc += kDotsKc) {
    const int64_t kc = std::min(kDotsKc, k - pc);
    const bool last = pc + kc >= k;
    const float* bsrc;
    int64_t bt_js, bt_cs;
    if (trans_b) {
      bsrc = b + pc;
      bt_js = ldb;
      bt_cs = 16;
    } else {
      K.dots_pack(b + pc * ldb, ldb, n, kc, bt);
      bsrc = bt;
      bt_js = 16;
      bt_cs = 16 * n;
    }
    const TileStore st{alpha, pc == 0 ? beta : 1.0f, last ? bias : nullptr, last && relu, false};
    auto run = [&](int64_t i0, int64_t i1) {
      K.dots(i1 - i0, n, kc, a + i0 * lda + pc, lda, bsrc, bt_js, bt_cs, c + i0 * ldc, ldc, st);
      if (last && ep.block != nullptr) ep.block(ep.block_ctx, c + i0 * ldc, ldc, i0, 0, i1 - i0, n);
    };
    if (split) {
      // Rows are independent and B^T is shared: balanced chunks cost nothing extra.
      parallel_for_balanced(m, 8, run);
    } else {
      run(0, m);
    }
  }
}

void gemm_one(const IsaKernels& K, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
              float alpha, const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
              float* c, int64_t ldc, const GemmEpilogue& ep, bool allow_threads, const float* packed_b = nullptr) {
  if (m <= 0 || n <= 0) return;
  const bool relu = ep.activation == GemmActivation::Relu;
  const bool tiled = !(k <= 0 || alpha == 0.0f) && m != 1 && n != 1 && !(!trans_a && n <= K.dots_max_n && k >= kDotsMinK);
  if (ep.residual != nullptr && !tiled) {
    // Only the tile kernels add a residual in their store; the other routes run without it (and
    // without relu, which comes after it), and C gets both in a pass of its own.
    GemmEpilogue plain;
    plain.bias = ep.bias;
    gemm_one(K, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, plain, allow_threads, packed_b);
    for (int64_t i = 0; i < m; ++i) {
      float* ci = c + i * ldc;
      const float* ri = ep.residual + i * ep.ld_residual;
      for (int64_t j = 0; j < n; ++j) {
        const float x = ci[j] + ri[j];
        ci[j] = relu && x < 0.0f ? 0.0f : x;  // keeps NaN
      }
    }
    if (ep.block != nullptr) ep.block(ep.block_ctx, c, ldc, 0, 0, m, n);
    return;
  }
  if (k <= 0 || alpha == 0.0f) {
    scale_only(m, n, beta, c, ldc, ep.bias, relu);
    if (ep.block != nullptr) ep.block(ep.block_ctx, c, ldc, 0, 0, m, n);
    return;
  }
  if (m == 1 || n == 1) {
    gemv(K, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ep.bias, relu,
         allow_threads, ep);
    return;
  }
  if (!trans_a && n <= K.dots_max_n && k >= kDotsMinK) {
    dots(K, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ep.bias, relu, allow_threads, ep);
    return;
  }
  Problem g{trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ep.bias, relu, false, ep.block, ep.block_ctx,
            trans_a || trans_b ? nullptr : packed_b, ep.residual, ep.ld_residual};
  // A narrow C wastes most of each vector of a tile (n = 10 fills 10 of 16 lanes). The kernels
  // size rows exactly, so computing C^T = op(B)^T op(A)^T puts the narrow side on the rows. That
  // makes op(A)^T the packed B operand, which is a cheap copy only when A is stored transposed;
  // otherwise the transposing pack of the big operand costs more than the idle lanes (measured).
  const int64_t lane = K.nr / 2;
  if (trans_a && n < K.nr && m > n) {
    const double eff_n = static_cast<double>(n) / round_up(n, lane);
    const double eff_m = static_cast<double>(m) / round_up(m, lane);
    if (eff_m > eff_n + 0.1) {
      g = Problem{!trans_b, !trans_a, n, m, k, alpha, b, ldb, a, lda, beta, c, ldc, ep.bias, relu,
                  true, ep.block, ep.block_ctx, nullptr, ep.residual, ep.ld_residual};
    }
  }
  compute(K, g, allow_threads);
}

}  // namespace

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
           const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
           int64_t ldc, const GemmEpilogue& epilogue) {
  const IsaKernels& K = gemm_detail::active_table();
  gemm_one(K, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, epilogue, true);
}

int64_t sgemm_pack_b_width() { return gemm_detail::active_table().nr; }

int64_t sgemm_strip_rows() { return gemm_detail::active_table().mr; }

int64_t sgemm_packed_b_size(int64_t k, int64_t n) {
  const int64_t nr = sgemm_pack_b_width();
  return ceil_div(n, nr) * nr * k;
}

void sgemm_pack_b(int64_t k, int64_t n, const float* b, int64_t ldb, float* packed) {
  const IsaKernels& K = gemm_detail::active_table();
  const int64_t panels = ceil_div(n, K.nr);
  parallel_for(panels, std::max<int64_t>(1, (int64_t{1} << 16) / std::max<int64_t>(1, k * K.nr)), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; p++) {
      K.pack_b(b + p * K.nr, ldb, true, std::min<int64_t>(K.nr, n - p * K.nr), k, packed + p * K.nr * k);
    }
  });
}

void sgemm_prepacked(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
                     const PackedB& packed, float* c, int64_t ldc, const GemmEpilogue& epilogue, float beta) {
  const IsaKernels& K = gemm_detail::active_table();
  const float* pb = packed.data != nullptr && packed.nr == K.nr ? packed.data : nullptr;
  gemm_one(K, false, false, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc, epilogue, true, pb);
}

namespace {
// Depth of the chunks sgemm_segmented runs a B panel in: all of it when the panel fits L2 (every
// panel of resnet50 does, and chunking those measured no faster), else chunks of kSegChunkBytes:
// whole segments per chunk, or equal parts (multiples of 4) of one segment deeper than that.
int64_t seg_chunk_k(const SegmentedA& A, int64_t nr) {
  const int64_t floats_per_k = nr * static_cast<int64_t>(sizeof(float));
  const int64_t k = A.segs * A.seg_k;
  if (k * floats_per_k <= kSegPanelBytes) return k;
  const int64_t limit = std::max<int64_t>(4, kSegChunkBytes / floats_per_k);
  if (A.seg_k <= limit) return (limit / A.seg_k) * A.seg_k;
  const int64_t parts = ceil_div(A.seg_k, limit);
  return std::min(A.seg_k, round_up(ceil_div(A.seg_k, parts), 4));
}
}  // namespace

void sgemm_segmented(const SegmentedA& A, int64_t n, const PackedB& packed, float* c, int64_t ldc, const float* bias,
                     bool relu, const float* residual, int64_t ld_residual) {
  const IsaKernels& K = gemm_detail::active_table();
  if (A.rows <= 0 || A.m <= 0 || n <= 0) return;
  const int64_t k = A.segs * A.seg_k;
  if (k <= 0) {
    for (int64_t q = 0; q < A.rows; ++q) scale_only(A.m, n, 0.0f, c + q * A.m * ldc, ldc, bias, relu);
    return;
  }
  if (packed.data == nullptr || packed.nr != K.nr) throw std::invalid_argument("sgemm_segmented: B must be packed at the active width");
  const int64_t nr = K.nr;
  // Strips of equal height: a row of 64 pixels as 13+13+13+13+12 rather than 14*4 + 8, and 16 as
  // 8+8 rather than 14+2, whose 2-row tile would load a B vector per two FMAs.
  const int64_t strips = ceil_div(A.m, K.mr);
  // A panel deeper than fits L2 next to the strips' rows (a 3x3 layer of 2048 channels: 18432 x 16
  // floats, 1.2 MB) was streamed from L3 by every strip of the band. Such panels run in depth
  // chunks, each reused by all the band's strips from L2 before the next; C accumulates across
  // chunks, and only the last applies bias, residual and relu.
  const int64_t chunk_k = seg_chunk_k(A, nr);
  if (K.seg_kernel != nullptr && chunk_k < k) {
    struct Chunk {
      int64_t s0, ns, off, len;
    };
    std::vector<Chunk> chunks;
    if (chunk_k >= A.seg_k) {
      const int64_t g = chunk_k / A.seg_k;
      for (int64_t s0 = 0; s0 < A.segs; s0 += g) chunks.push_back({s0, std::min(g, A.segs - s0), 0, A.seg_k});
    } else {
      for (int64_t s0 = 0; s0 < A.segs; ++s0)
        for (int64_t off = 0; off < A.seg_k; off += chunk_k) chunks.push_back({s0, 1, off, std::min(chunk_k, A.seg_k - off)});
    }
    for (int64_t j = 0; j < n; j += nr) {
      const float* pb = packed.data + (j / nr) * k * nr;
      const int cols = static_cast<int>(std::min(nr, n - j));
      for (size_t ci = 0; ci < chunks.size(); ++ci) {
        const Chunk& ch = chunks[ci];
        const bool last = ci + 1 == chunks.size();
        const int64_t k0 = ch.s0 * A.seg_k + ch.off;
        for (int64_t q = 0; q < A.rows; ++q) {
          for (int64_t t = 0; t < strips; ++t) {
            const int64_t r0 = A.m * t / strips, r1 = A.m * (t + 1) / strips;
            const float* pa = A.a + q * A.a_qs + r0 * A.a_rs + ch.s0 * A.seg_stride + ch.off;
            float* ct = c + (q * A.m + r0) * ldc + j;
            TileStore st{1.0f, ci == 0 ? 0.0f : 1.0f, last && bias != nullptr ? bias + j : nullptr, last && relu, false};
            st.residual = last && residual != nullptr ? residual + (q * A.m + r0) * ld_residual + j : nullptr;
            st.ld_residual = ld_residual;
            K.seg_kernel(ch.ns, ch.len, A.seg_stride, pa, A.a_rs, pb + k0 * nr, ct, ldc, static_cast<int>(r1 - r0), cols, st);
          }
        }
      }
    }
    return;
  }
  const bool stream = k * n >= kStreamMinFloats;
  // One B panel (k x NR) at a time, reused by every strip of the band while it is in L1/L2.
  for (int64_t j = 0; j < n; j += nr) {
    const float* pb = packed.data + (j / nr) * k * nr;
    const int cols = static_cast<int>(std::min(nr, n - j));
    for (int64_t q = 0; q < A.rows; ++q) {
      for (int64_t t = 0; t < strips; ++t) {
        const int64_t r0 = A.m * t / strips, r1 = A.m * (t + 1) / strips;
        const float* pa = A.a + q * A.a_qs + r0 * A.a_rs;
        float* ct = c + (q * A.m + r0) * ldc + j;
        const int rows = static_cast<int>(r1 - r0);
        if (K.seg_kernel != nullptr) {
          // The band's first strip brings the panel in from memory; the rest find it cached. Every
          // strip also fetches its share of the next panel (stride: floats per k step, so that the
          // band's strips together cover the panel's k * nr floats).
          TileStore st{1.0f, 0.0f, bias != nullptr ? bias + j : nullptr, relu, false, stream && q == 0 && t == 0};
          st.residual = residual != nullptr ? residual + (q * A.m + r0) * ld_residual + j : nullptr;
          st.ld_residual = ld_residual;
          if (stream && j + nr < n) {
            const int64_t share = A.rows * strips;
            const int64_t idx = q * strips + t;
            st.next_b = pb + k * nr + (k * nr) * idx / share;
            st.next_step = std::max<int64_t>(1, ceil_div(nr, share));
          }
          K.seg_kernel(A.segs, A.seg_k, A.seg_stride, pa, A.a_rs, pb, ct, ldc, rows, cols, st);
          continue;
        }
        for (int64_t s = 0; s < A.segs; ++s) {
          const bool last = s + 1 == A.segs;
          TileStore st{1.0f, s == 0 ? 0.0f : 1.0f, last && bias != nullptr ? bias + j : nullptr, last && relu, false};
          st.residual = last && residual != nullptr ? residual + (q * A.m + r0) * ld_residual + j : nullptr;
          st.ld_residual = ld_residual;
          K.kernel(A.seg_k, pa + s * A.seg_stride, A.a_rs, 1, pb + s * A.seg_k * nr, nr, ct, ldc, rows, cols, st);
        }
      }
    }
  }
}

void sgemm_batched(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                   const float* a, int64_t lda, const int64_t* a_offsets, const float* b,
                   int64_t ldb, const int64_t* b_offsets, float beta, float* c, int64_t ldc,
                   const int64_t* c_offsets, int64_t batch, const GemmEpilogue& epilogue) {
  if (batch <= 0 || m <= 0 || n <= 0) return;
  const IsaKernels& K = gemm_detail::active_table();
  auto one = [&](int64_t i, bool allow_threads) {
    gemm_one(K, trans_a, trans_b, m, n, k, alpha, a + a_offsets[i], lda, b + b_offsets[i], ldb,
             beta, c + c_offsets[i], ldc, epilogue, allow_threads);
  };
  const int threads = num_threads();
  const double flops = 2.0 * static_cast<double>(m) * static_cast<double>(n) *
                       static_cast<double>(std::max<int64_t>(k, 1));
  // Whole matrices per thread need no duplicated packing, but an uneven batch (3 over 2 threads)
  // leaves a thread idle; big uneven batches split each matrix instead.
  const bool by_batch = threads > 1 && batch >= threads && flops * batch >= kParallelFlops &&
                        (batch % threads == 0 || batch >= 4 * threads || flops < 8 * kParallelFlops);
  if (by_batch) {
    parallel_for(batch, 1, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) one(i, false);
    });
  } else {
    for (int64_t i = 0; i < batch; ++i) one(i, true);
  }
}

}  // namespace tf::kernels
