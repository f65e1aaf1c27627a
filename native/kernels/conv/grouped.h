#pragma once
#include <cstdint>

#include "kernels/common/isa_dispatch.h"
#include "kernels/conv/conv.h"

// Direct kernels for grouped convolutions with narrow groups (RegNet's and ResNeXt's 3x3 layers:
// 16 input and 16 output channels per group at every stage of regnet_x_400mf). Through im2col and
// the GEMM each group is a separate product of only 16 columns, so a 7x7 layer of 25 groups made
// 25 im2col copies and 25 tiny GEMM calls per row tile (~27 GFLOP/s); here each group's filter
// (kh * kw * Cin/groups rows of 16 outputs) stays in L1 while blocks of output pixels accumulate
// in registers, reading the input in place. One body (grouped_body.cpp) per ISA.
namespace tf::kernels::grouped_detail {

// Largest Cin/groups the kernels take (a zero row of this length stands in for padding).
constexpr int64_t kMaxGroupChannels = 256;

// Whether the kernels take this shape: groups > 1 that are not depthwise, Cout/groups a multiple
// of 4 (blocks of 16 output channels when it is a multiple of 16, else of 8 or 4), Cin/groups <=
// kMaxGroupChannels.
bool supports(const ConvShape& s);

struct GroupedKernels {
  // Output row oy of image xn for every group: y[ox, :] = (sum x * w + bias) then relu when set;
  // yrow points at (oy, 0) (row stride cout).
  void (*forward_row)(const ConvShape& s, const float* xn, const float* w, const float* bias, bool relu, int64_t oy,
                      float* yrow);
};

TF_ISA_TABLE(GroupedKernels)

}  // namespace tf::kernels::grouped_detail
