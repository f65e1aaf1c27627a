// Direct small-k convolution kernels compiled for AVX2 (see conv_direct.h).
#include <algorithm>
#include <cstdint>

#include "kernels/conv_direct.h"

namespace tf::kernels::conv_detail {
namespace avx2 {
#define CONV_VEC_BYTES 32
#include "kernels/conv_direct_body.h"
#undef CONV_VEC_BYTES
}  // namespace avx2

const DirectKernels& direct_avx2() {
  static const DirectKernels k{avx2::forward, avx2::filter, avx2::input};
  return k;
}

}  // namespace tf::kernels::conv_detail
