// AVX2 + FMA copy of the optimizer loops (CMakeLists.txt gives *_avx2.cpp -mavx2 -mfma).
#include "kernels/optimizer_update_body.h"

namespace tf::kernels::opt {

const Kernels& kernels_avx2() { return make_kernels(); }

}  // namespace tf::kernels::opt
