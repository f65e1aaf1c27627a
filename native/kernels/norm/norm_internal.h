#pragma once
// Private to the normalization kernels: the per-ISA table norm.cpp dispatches to (norm_body.cpp is
// compiled once per ISA; the dispatcher owns the threading).
#include "kernels/common/isa_dispatch.h"
#include "kernels/norm/norm.h"

namespace tf::kernels::norm_detail {

struct Kernels {
  void (*forward_rows)(const LayerNormForward& a, int64_t r0, int64_t r1);
  void (*backward_rows)(const LayerNormBackward& a, int64_t r0, int64_t r1);
  // dgamma and dbeta on columns [c0, c1), summed over every row.
  void (*param_grads)(const LayerNormBackward& a, int64_t c0, int64_t c1);
};

TF_ISA_TABLE(Kernels)

}  // namespace tf::kernels::norm_detail
