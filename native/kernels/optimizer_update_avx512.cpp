// AVX-512 copy of the optimizer loops (CMakeLists.txt gives *_avx512.cpp the AVX-512 flags).
#include "kernels/optimizer_update_body.h"

namespace tf::kernels::opt {

const Kernels& kernels_avx512() { return make_kernels(); }

}  // namespace tf::kernels::opt
