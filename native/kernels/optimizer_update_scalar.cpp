// Baseline x86-64 (SSE2) copy of the optimizer loops.
#include "kernels/optimizer_update_body.h"

namespace tf::kernels::opt {

const Kernels& kernels_scalar() { return make_kernels(); }

}  // namespace tf::kernels::opt
