// Dispatch of the attention kernels (attention.h) to the copy of attention_body.cpp for the active
// SIMD level, threaded over (batch, head, query-row block) forward and over (batch, head) backward
// (the key and value gradients of a head sum over all its rows).
#include "kernels/attention/attention.h"

#include <algorithm>
#include <cstddef>
#include <memory>

#include "kernels/attention/attention_internal.h"
#include "kernels/common/thread_pool.h"

namespace tf::kernels {
namespace {
// Below about this many multiply-adds per chunk a second thread costs more than it saves.
constexpr int64_t kGrainWork = 1 << 15;
}  // namespace

void sdpa_forward(const SdpaForward& a) {
  const SdpaShape& s = a.s;
  const attention_detail::Blocking blk = attention_detail::forward_blocking(s);
  const int64_t tasks = s.batch * s.heads * blk.blocks;
  if (tasks == 0 || s.tq == 0) return;
  const int64_t work = blk.rows * std::max<int64_t>(1, s.tk) * (s.d + s.dv);
  const int64_t grain = std::max<int64_t>(1, kGrainWork / work);
  const auto& kern = attention_detail::active_table();
  parallel_for(tasks, grain, [&](int64_t t0, int64_t t1) {
    // Uninitialized: forward_rows initializes what it reads.
    std::unique_ptr<float[]> scratch(new float[static_cast<std::size_t>(attention_detail::forward_scratch(s, blk))]);
    for (int64_t t = t0; t < t1; t++) {
      const int64_t bh = t / blk.blocks, b = t % blk.blocks;
      const int64_t i0 = b * blk.rows;
      const int64_t i1 = std::min(s.tq, i0 + blk.rows);
      if (i0 < i1) kern.forward_rows(a, bh / s.heads, bh % s.heads, i0, i1, blk.keys, scratch.get());
    }
  });
}

void sdpa_backward(const SdpaBackward& a) {
  const SdpaShape& s = a.s;
  const int64_t tasks = s.batch * s.heads;
  if (tasks == 0) return;
  const int64_t work = std::max<int64_t>(1, s.tq) * std::max<int64_t>(1, s.tk) * (s.d + s.dv);
  const int64_t grain = std::max<int64_t>(1, kGrainWork / work);
  const auto& kern = attention_detail::active_table();
  parallel_for(tasks, grain, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; t++) kern.backward_head(a, t / s.heads, t % s.heads);
  });
}

}  // namespace tf::kernels
