#pragma once
#include <cstdint>
#include <type_traits>

#include "kernels/common/isa_dispatch.h"
#include "kernels/conv/conv.h"

// Direct (GEMM-free) kernels for convolutions with a small reduction depth k = kh * kw * Cin and
// groups == 1, e.g. the first layer of a CNN on a grey or RGB image (k = 9 or 27). There the
// im2col matrix is [pixels, k] with k far below a GEMM's packing depth, so the sgemm spends its
// time packing and in short K loops; these kernels keep the output (forward) or the filter
// gradient block (backward) in registers instead. One body (conv_direct_body.cpp) is compiled per
// ISA (tf_kernel_family) and picked at run time by active_table().
namespace tf::kernels::conv_detail {

constexpr int64_t kDirectMaxK = 32;

struct DirectKernels {
  // y[q, :] for output pixels p0 + q, q < r, of the image xn: (sum x * w + bias) then relu;
  // y points at pixel p0's row (row stride s.ldy, or cout when 0).
  void (*forward)(const ConvShape& s, const float* xn, const float* w, const float* bias, bool relu,
                  int64_t p0, int64_t r, float* y);
  // acc[k, cout] += cols^T * dy over output pixels p0 .. p0 + r of the image xn; dy points at
  // pixel p0's row; cols is scratch of r * k floats.
  void (*filter)(const ConvShape& s, const float* xn, const float* dy, int64_t p0, int64_t r,
                 float* cols, float* acc);
  // dx[q, :] for input pixels i0 + q, q < r, of one image (overwritten; needs cout % 16 == 0;
  // used for Cin == 1 only);
  // dyn is the image's dy, dx points at pixel i0's row.
  void (*input)(const ConvShape& s, const float* dyn, const float* w, int64_t i0, int64_t r, float* dx);
};

TF_ISA_TABLE(DirectKernels)

}  // namespace tf::kernels::conv_detail
