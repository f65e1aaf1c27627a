#pragma once
#include <cstdint>

#include "kernels/common/isa_dispatch.h"

// Contract between the ISA-independent GEMM driver (gemm.cpp) and the per-ISA micro-kernels
// (gemm_body.cpp: micro_scalar.h, micro_avx2.h, micro_avx512.h). Only this header crosses the boundary, so
// no AVX code can be inlined into the baseline driver.
namespace tf::kernels::gemm_detail {

// What a micro-kernel does with its accumulator tile when it writes C.
struct TileStore {
  float alpha;
  float beta;          // 0 => C is not read
  const float* bias;   // already offset to the tile's origin; null => no bias
  bool relu;
  // Store the tile transposed: result (i, j) goes to c[j * ldc + i] and bias[i] applies to it.
  // The driver uses this when it swaps operands to compute C^T = B^T A^T for a narrow C.
  bool trans_c;
  // B comes from beyond L2 (a weight packed once, first strip of its panel): the full-height
  // kernels fetch it ahead in software, since the hardware prefetchers run too short a distance
  // to hide memory latency behind one strip's FMAs.
  bool stream_b = false;
  // Lines of the next B panel to fetch into L2 while this tile runs, next_step floats further each
  // k step (implicit-GEMM tiles): the strips of a panel share the next panel's fetch between them,
  // so a weight that comes from memory arrives spread over the whole panel's work, not in a burst
  // at the start of the next one. Null: none.
  const float* next_b = nullptr;
  int64_t next_step = 0;
  // A is read in place, row-major, from beyond L2 at worst: the kernels that honour it fetch the
  // next strip's rows ahead (AVX2). Not set when A's rows are a multiple of 4 KB apart: they share
  // an L1 set, and the rows fetched ahead then evict the rows in use.
  bool prefetch_a = false;
  // Added after the bias, before relu, at the tile's origin with row stride ld_residual (in C's
  // layout: transposed like C under trans_c); null: none. A residual connection's add, made while
  // the tile is in registers rather than in a second pass over C.
  const float* residual = nullptr;
  int64_t ld_residual = 0;
};

// Packs a width-`w` strip (w <= W, zero-padded to W) of a matrix into the micro-panel layout
// dst[p * W + r], for p < kc. `rows_contiguous` tells whether the strip's W-direction is the
// contiguous one in memory (src[p * ld + r]) or the strided one (src[r * ld + p]).
using PackFn = void (*)(const float* src, int64_t ld, bool rows_contiguous, int64_t w, int64_t kc,
                        float* dst);

// Multiplies an mr x kc strip of A by a kc x nr strip of B and stores the mr x nr result into C
// (row stride ldc) through `st`. A element (i, p) is read at pa[i * a_rs + p * a_ks], and one of
// the strides is 1: a packed panel is (1, MR), and the driver may also pass A unpacked as (lda, 1)
// or (1, lda), since broadcasting needs no contiguity. B element (p, j) is read at
// pb[p * b_ks + j]: a packed, zero-padded NR-wide panel (b_ks == NR) or, when B is used by a
// single A strip so packing would not be amortised, B in place (b_ks == ldb, nothing read past
// column nr).
using MicroKernelFn = void (*)(int64_t kc, const float* pa, int64_t a_rs, int64_t a_ks,
                               const float* pb, int64_t b_ks, float* c, int64_t ldc, int mr,
                               int nr, const TileStore& st);

// The micro-kernel for a full MR-row strip of A against B read in place (b_ks == ldb, nothing
// read past column nr), which also writes the B rows it loads to pb_out as a packed NR-wide
// panel (zero-padded past nr). The first strip of a block thus packs B while it computes: for a
// short A (a few strips) a separate packing pass over B is memory-bound time the multiply-adds
// cannot hide.
using MicroKernelCopyBFn = void (*)(int64_t kc, const float* pa, int64_t a_rs, int64_t a_ks,
                                    const float* pb, int64_t b_ks, float* pb_out, float* c,
                                    int64_t ldc, int nr, const TileStore& st);

// Matrix-vector products for m == 1 or n == 1, where packing would cost as much as the math.
// x is contiguous (the driver gathers a strided vector first); y is overwritten.
// y[j] = sum_p x[p] * m[p * ld + j] for j < n.
using GemvRowsFn = void (*)(int64_t n, int64_t k, const float* x, const float* m, int64_t ld,
                            float* y);
// y[j] = sum_p x[p] * m[j * ld + p] for j < n.
using GemvDotsFn = void (*)(int64_t n, int64_t k, const float* x, const float* m, int64_t ld,
                            float* y);

// Dot-product GEMM for a narrow C: c[i * ldc + j] = st(sum_p a[i * lda + p] * B^T(j, p)) for
// i < m, j < n <= dots_max_n (trans_c unused; bias runs along j). B^T(j, p) is read at
// bt[(p / 16) * bt_cs + j * bt_js + p % 16]: either B stored transposed (bt_js = ldb, bt_cs = 16)
// or the layout dots_pack writes (bt_js = 16, bt_cs = 16 * n).
using DotsFn = void (*)(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                        const float* bt, int64_t bt_js, int64_t bt_cs, float* c, int64_t ldc,
                        const TileStore& st);
// Writes B^T(j, p) = b[p * ldb + j] for j < n, p < kc in 16-deep blocks of n x 16, zero-padding p
// to a multiple of 16: the n rows of a block are then one contiguous run.
using DotsPackFn = void (*)(const float* b, int64_t ldb, int64_t n, int64_t kc, float* dst);

// The implicit-GEMM tile (gemm.h SegmentedA): C = A B for an mr x nr tile whose A row i, i < mr,
// is the concatenation over s < segs of the seg_k floats at pa + s * seg_stride + i * a_rs, and B
// a full-depth packed panel (segs * seg_k rows of NR floats, zero-padded). The accumulators stay
// in registers across the segments, so C is written once.
using SegKernelFn = void (*)(int64_t segs, int64_t seg_k, int64_t seg_stride, const float* pa, int64_t a_rs,
                             const float* pb, float* c, int64_t ldc, int mr, int nr, const TileStore& st);

struct IsaKernels {
  int mr;
  int nr;
  int kc;  // depth of a packed block
  int mc;  // rows of packed A per block (multiple of mr)
  int nc;  // columns of packed B per block (multiple of nr)
  PackFn pack_a;  // W = mr
  PackFn pack_b;  // W = nr
  MicroKernelFn kernel;
  GemvRowsFn gemv_rows;
  GemvDotsFn gemv_dots;
  int dots_max_n;  // 0: no dot-product path, use the tile kernel
  DotsFn dots;
  DotsPackFn dots_pack;
  MicroKernelCopyBFn kernel_copy_b;  // null: pack B in a separate pass
  SegKernelFn seg_kernel;  // null: one `kernel` call per segment, accumulating in C
  // A row-major A is packed only when each strip meets more than this many B panels (and the block
  // is big enough to leave L2). Negative: only when its rows are a multiple of 4 KB apart (then they
  // share L1 sets), as if it were 4. The kernels broadcast A, so they can read its rows in place;
  // whether a packed copy pays depends on how many rows a strip streams at once.
  int pack_a_min_panels = 4;
};

TF_ISA_TABLE(IsaKernels)

}  // namespace tf::kernels::gemm_detail
