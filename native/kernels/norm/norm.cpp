// Dispatch of the layer-norm kernels (norm.h) to the copy of norm_body.cpp for the active SIMD
// level: rows are independent, so both passes split over rows; the parameter gradients sum over
// rows, so they split over columns instead.
#include "kernels/norm/norm.h"

#include <algorithm>

#include "kernels/common/thread_pool.h"
#include "kernels/norm/norm_internal.h"

namespace tf::kernels {
namespace {
constexpr int64_t kGrainWork = 1 << 15;
constexpr int64_t kColumnBlock = 64;
int64_t grain_for(int64_t work_per_item) { return std::max<int64_t>(1, kGrainWork / std::max<int64_t>(1, work_per_item)); }
}  // namespace

void layer_norm_forward(const LayerNormForward& a) {
  const auto& kern = norm_detail::active_table();
  parallel_for(a.rows, grain_for(3 * a.n), [&](int64_t r0, int64_t r1) { kern.forward_rows(a, r0, r1); });
}

void layer_norm_backward(const LayerNormBackward& a) {
  const auto& kern = norm_detail::active_table();
  parallel_for(a.rows, grain_for(4 * a.n), [&](int64_t r0, int64_t r1) { kern.backward_rows(a, r0, r1); });
  if (!a.dgamma && !a.dbeta) return;
  const int64_t blocks = (a.n + kColumnBlock - 1) / kColumnBlock;
  parallel_for(blocks, grain_for(2 * a.rows * kColumnBlock), [&](int64_t b0, int64_t b1) {
    kern.param_grads(a, b0 * kColumnBlock, std::min(a.n, b1 * kColumnBlock));
  });
}

}  // namespace tf::kernels
