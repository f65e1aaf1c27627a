#pragma once
// Private to the elementwise kernels: the per-ISA kernel table that elementwise.cpp dispatches to.
// elementwise_body.cpp is compiled once per ISA (scalar/SSE2, AVX2, AVX-512), each copy in its own
// namespace and with its own flags, and each copy fills one of these tables.
#include <array>
#include <cstdint>

#include "kernels/common/isa_dispatch.h"
#include "kernels/elementwise/elementwise.h"

namespace tf::kernels::ew {

// Columns handled per tile when a reduction or softmax runs across rows (inner > 1). The tile's
// running state lives on the stack (kTile doubles = 2 KB), so no allocation is ever needed.
constexpr int64_t kTile = 256;

using UnaryFn = void (*)(const float* x, float* y, int64_t n, float p0, float p1);
using BinVVFn = void (*)(const float* a, const float* b, float* out, int64_t n);  // both contiguous
using BinVSFn = void (*)(const float* a, float b, float* out, int64_t n);         // b is a scalar
using BinSVFn = void (*)(float a, const float* b, float* out, int64_t n);         // a is a scalar

struct Kernels {
  std::array<UnaryFn, static_cast<std::size_t>(UnaryOp::Count)> unary;
  std::array<BinVVFn, static_cast<std::size_t>(BinaryOp::Count)> vv;
  std::array<BinVSFn, static_cast<std::size_t>(BinaryOp::Count)> vs;
  std::array<BinSVFn, static_cast<std::size_t>(BinaryOp::Count)> sv;

  // Sum in double: the reference backend sums in float64, and float accumulation over long rows
  // drifts well past the accuracy budget.
  double (*sum)(const float* x, int64_t n);
  // NaN-propagating max/min of a contiguous run; n == 0 gives -inf / +inf.
  float (*max)(const float* x, int64_t n);
  float (*min)(const float* x, int64_t n);
  // acc[c] += row[c] for c < n (n <= kTile), accumulating in double.
  void (*sum_into)(double* acc, const float* row, int64_t n);
  // acc[c] += x[r * stride + c] for r < rows, c < n (n <= kTile), in double and in row order for
  // each column: the same sums, bit for bit, as sum_into row by row.
  void (*sum_rows_into)(double* acc, const float* x, int64_t stride, int64_t rows, int64_t n);

  // Softmax over one contiguous row of length len (inner == 1).
  void (*softmax_row)(const float* x, float* y, int64_t len, bool log);
  // Softmax down the columns of a [len, cols] tile whose rows are `stride` elements apart
  // (cols <= kTile): each column is one softmax.
  void (*softmax_cols)(const float* x, float* y, int64_t len, int64_t stride, int64_t cols,
                       bool log);

  // dst[w * 3 + c] = src[c * plane + w] for w < n: three channel planes into RGB pixels (an
  // NCHW image batch entering an NHWC plan), as raw 4-byte words.
  void (*interleave3)(const uint32_t* src, int64_t plane, int64_t n, uint32_t* dst);
};

TF_ISA_TABLE(Kernels)

}  // namespace tf::kernels::ew
