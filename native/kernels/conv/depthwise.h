#pragma once
#include <cstdint>

#include "kernels/common/isa_dispatch.h"
#include "kernels/conv/conv.h"

// Depthwise convolution kernels (one input channel per group, channel multiplier 1): output
// channel c reads input channel c only, so NHWC puts the work of one pixel in one contiguous run of
// channels. The kernels vectorize across channels and keep a few output pixels' accumulators in
// registers while the taps stream past; no im2col, no GEMM (whose depth would be kh * kw, far too
// short to amortise packing). conv.cpp reduces a multiplier m > 1 to m == 1 by repeating each input
// channel m times. Shapes here have s.c == s.cout == s.groups. One body (depthwise_body.cpp) per
// ISA, picked by active_table().
namespace tf::kernels::depthwise_detail {

struct DepthwiseKernels {
  // Output rows [oy0, oy1) of the image xn into y (at row oy0): y[((oy - oy0) * ow + ox) * c + ch] =
  // bias[ch] + sum of taps (overwritten). Padded taps count as 0 * w (a NaN for a NaN or inf in w);
  // the kernel skips them where w is finite.
  void (*forward_rows)(const ConvShape& s, const float* xn, const float* w, const float* bias, int64_t oy0,
                       int64_t oy1, float* y);
  // Input row iy of the image's gradient: dxrow[ix * c + ch] = sum over the output pixels and taps
  // that read (iy, ix) of dy * w (overwritten). dyn is the image's dy.
  void (*input_row)(const ConvShape& s, const float* dyn, const float* w, int64_t iy, float* dxrow);
  // acc[(i * kw + j) * c + ch] += sum over output row oy of x[tap] * dy (dyrow is that row of dy).
  void (*filter_row)(const ConvShape& s, const float* xn, const float* dyrow, int64_t oy, float* acc);
};

TF_ISA_TABLE(DepthwiseKernels)

}  // namespace tf::kernels::depthwise_detail
