#pragma once
#include <cstdint>

// Single-precision GEMM, row-major, the kernel every dense and conv layer rests on.
namespace tf::kernels {

enum class GemmActivation : int { None = 0, Relu = 1 };

// Called on each finished block of C (after bias and relu) while it is still in cache: rows
// [i0, i0 + rows) and columns [j0, j0 + cols) of C, c pointing at element (i0, j0), row stride ldc.
// Blocks do not overlap and together cover C once; they may run on different threads.
using GemmBlockFn = void (*)(const void* ctx, float* c, int64_t ldc, int64_t i0, int64_t j0, int64_t rows,
                             int64_t cols);

// Optional work fused into the store of C so that a dense layer is one pass over its output.
struct GemmEpilogue {
  const float* bias = nullptr;  // length n, added to every row of C after alpha/beta
  // m x n, row stride ld_residual: added to C after the bias, before the activation (a residual
  // connection). Must not overlap C.
  const float* residual = nullptr;
  int64_t ld_residual = 0;
  GemmActivation activation = GemmActivation::None;
  GemmBlockFn block = nullptr;  // then this, per finished block (e.g. any other activation)
  const void* block_ctx = nullptr;
};

// C = alpha * op(A) * op(B) + beta * C, then the epilogue.
// op(A) is m x k: A is stored m x k (lda >= k) or, when trans_a, k x m (lda >= m). Same for B (k x n).
// beta == 0 means C is write-only (NaNs in C are not propagated). Any m, n, k >= 0; k == 0 scales C.
void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
           const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
           int64_t ldc, const GemmEpilogue& epilogue = {});

// B (k x n, row-major) packed once for products with many A (a layer's fixed weights): the
// NR-wide panels the active instruction set's micro-kernels read, [ceil(n / nr)][k][nr], columns
// past n zero. Repacking B per call is a full pass over the weights, and for a convolution tiled
// over its output rows one pass per tile. A packing fits the instruction set it was made for:
// `nr` records its width, and a product whose active kernels differ reads B in place.
struct PackedB {
  const float* data = nullptr;
  int64_t nr = 0;
};
// The panel width of the active instruction set.
int64_t sgemm_pack_b_width();
// Rows of the active micro-kernel's tile: GEMMs over shorter runs of rows leave accumulators idle.
int64_t sgemm_strip_rows();
// Floats a packing of k x n holds at the active width.
int64_t sgemm_packed_b_size(int64_t k, int64_t n);
void sgemm_pack_b(int64_t k, int64_t n, const float* b, int64_t ldb, float* packed);

// C = A * B + beta * C (+ the epilogue) with B also given packed (alpha 1, neither transposed); b
// is still read by the routes that do not tile (GEMV, narrow dot products).
void sgemm_prepacked(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
                     const PackedB& packed, float* c, int64_t ldc, const GemmEpilogue& epilogue = {},
                     float beta = 0.0f);

// An implicit-GEMM operand: A's rows read in place from a convolution's input instead of an
// im2col copy. Row (q, r) of A (q < rows, r < m) is the concatenation over segments s < segs of
// the seg_k floats at a + q * a_qs + r * a_rs + s * seg_stride. For an NHWC convolution with
// unit horizontal dilation, a row of output pixels is (q, r): the kw taps of one filter row are
// kw adjacent input pixels, i.e. one contiguous run of kw * Cin floats, and the kh filter rows are
// kh segments one input row apart.
struct SegmentedA {
  const float* a = nullptr;
  int64_t rows = 0, m = 0;  // A has rows * m rows
  int64_t a_qs = 0, a_rs = 0;
  int64_t segs = 0, seg_k = 0, seg_stride = 0;
};
// C = A * B (+ bias along n, then relu) for a SegmentedA and B (segs * seg_k x n) packed at the
// active width; C's row (q, r) is c + (q * m + r) * ldc. Runs on the calling thread: the caller
// splits the work (a convolution, by bands of output rows).
void sgemm_segmented(const SegmentedA& a, int64_t n, const PackedB& packed, float* c, int64_t ldc, const float* bias,
                     bool relu,
                     const float* residual = nullptr, int64_t ld_residual = 0);

// batch independent GEMMs of the same shape; matrix i uses a + a_offsets[i], b + b_offsets[i],
// c + c_offsets[i] (offsets in elements). Offsets of A/B may repeat (broadcast batch dims); C's may not.
void sgemm_batched(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                   const float* a, int64_t lda, const int64_t* a_offsets, const float* b,
                   int64_t ldb, const int64_t* b_offsets, float beta, float* c, int64_t ldc,
                   const int64_t* c_offsets, int64_t batch, const GemmEpilogue& epilogue = {});

}  // namespace tf::kernels
