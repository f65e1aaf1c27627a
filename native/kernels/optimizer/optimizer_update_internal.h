#pragma once
// Private to the optimizer kernels: the per-ISA table that optimizer_update.cpp dispatches to.
// optimizer_update_body.cpp is compiled once per instruction set (tf_kernel_family), each copy
// with its own flags, and each copy fills one of these tables.
#include <cstdint>

#include "kernels/common/isa_dispatch.h"
#include "kernels/optimizer/optimizer_update.h"

namespace tf::kernels::opt {

struct Kernels {
  // Updates [0, n) of already-offset pointers; threading is the dispatcher's job.
  void (*step)(const OptimizerHyper& h, float* param, const float* grad, const OptimizerSlots& slots, int64_t n);
  // Sum of squares of one block, in double, in an order fixed by n alone.
  double (*sum_squares)(const float* x, int64_t n);
};

TF_ISA_TABLE(Kernels)

}  // namespace tf::kernels::opt
