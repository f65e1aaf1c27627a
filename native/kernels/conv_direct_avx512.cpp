// Direct small-k convolution kernels compiled for AVX512 (see conv_direct.h).
#include <algorithm>
#include <cstdint>

#include "kernels/conv_direct.h"

namespace tf::kernels::conv_detail {
namespace avx512 {
#define CONV_VEC_BYTES 64
#include "kernels/conv_direct_body.h"
#undef CONV_VEC_BYTES
}  // namespace avx512

const DirectKernels& direct_avx512() {
  static const DirectKernels k{avx512::forward, avx512::filter, avx512::input};
  return k;
}

}  // namespace tf::kernels::conv_detail
