// Max-pool forward rows compiled for AVX2 (see pool_internal.h).
#include <algorithm>
#include <cstdint>

#include "kernels/pool_internal.h"

namespace tf::kernels::pool_detail {
namespace avx2 {
#define POOL_VEC_BYTES 32
#include "kernels/pool_body.h"
#undef POOL_VEC_BYTES
}  // namespace avx2

void max_rows_avx2(const Pool2dGeom& g, const float* x, float* y, int64_t r0, int64_t r1) {
  avx2::max_rows(g, x, y, r0, r1);
}

}  // namespace tf::kernels::pool_detail
