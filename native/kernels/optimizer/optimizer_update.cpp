// Dispatch and threading for the fused optimizer updates; the loops live in optimizer_update_body.cpp,
// compiled once per instruction set.
#include "kernels/optimizer/optimizer_update.h"

#include <algorithm>
#include <vector>

#include "kernels/common/cpu_features.h"
#include "kernels/common/thread_pool.h"
#include "kernels/optimizer/optimizer_update_internal.h"

namespace tf::kernels {
namespace {

// An update streams 3-6 arrays and does a sqrt and a divide per element: roughly 1 ns per element
// on one core. Waking a parked worker costs ~10 us, so a thread needs tens of thousands of elements
// to pay for itself; parallel_for splits only at n >= 2 * grain (64K elements).
constexpr int64_t kStepGrain = 32 * 1024;

// sum_squares works in blocks whose boundaries depend on n alone, so the sum is the same with any
// thread count. At most kMaxBlocks partials live on the stack.
constexpr int64_t kMinBlock = 16 * 1024;
constexpr int64_t kMaxBlocks = 64;

const opt::Kernels& kern() { return opt::active_table(); }

}  // namespace

bool optimizer_uses_slot(const OptimizerHyper& h, int slot) {
  switch (h.kind) {
    case OptimizerKind::Sgd: return slot == 0 && h.momentum > 0;
    case OptimizerKind::Adagrad: return slot == 0;
    case OptimizerKind::Rmsprop: return slot == 0 || (slot == 1 && h.momentum > 0) || (slot == 2 && h.centered);
    case OptimizerKind::Adam: return slot == 0 || slot == 1 || (slot == 2 && h.amsgrad);
    default: return false;
  }
}

void optimizer_step(const OptimizerHyper& h, float* param, const float* grad, const OptimizerSlots& slots,
                    int64_t n) {
  const auto step = kern().step;
  if (n < 2 * kStepGrain) {
    step(h, param, grad, slots, n);
    return;
  }
  // Elements are independent: balanced chunks, so a worker parked through the JS between two
  // variables' updates costs a small chunk, not half the variable.
  parallel_for_balanced(n, kStepGrain, [&](int64_t begin, int64_t end) {
    OptimizerSlots part;
    part.s0 = slots.s0 ? slots.s0 + begin : nullptr;
    part.s1 = slots.s1 ? slots.s1 + begin : nullptr;
    part.s2 = slots.s2 ? slots.s2 + begin : nullptr;
    step(h, param + begin, grad + begin, part, end - begin);
  });
}

void optimizer_step_many(const OptimizerTarget* targets, int64_t count) {
  if (count <= 0) return;
  const auto step = kern().step;
  // start[i]: where target i begins in the concatenation of all targets' elements.
  std::vector<int64_t> start(static_cast<size_t>(count) + 1, 0);
  for (int64_t i = 0; i < count; i++) start[i + 1] = start[i] + std::max<int64_t>(0, targets[i].n);
  const int64_t total = start[count];
  auto run = [&](int64_t begin, int64_t end) {
    int64_t i = std::upper_bound(start.begin(), start.end(), begin) - start.begin() - 1;
    for (; i < count && start[i] < end; i++) {
      const int64_t lo = std::max(begin, start[i]) - start[i];
      const int64_t hi = std::min(end, start[i + 1]) - start[i];
      if (hi <= lo) continue;
      const OptimizerTarget& t = targets[i];
      OptimizerSlots part;
      part.s0 = t.slots.s0 ? t.slots.s0 + lo : nullptr;
      part.s1 = t.slots.s1 ? t.slots.s1 + lo : nullptr;
      part.s2 = t.slots.s2 ? t.slots.s2 + lo : nullptr;
      step(t.h, t.param + lo, t.grad + lo, part, hi - lo);
    }
  };
  if (total < 2 * kStepGrain) run(0, total);
  else parallel_for_balanced(total, kStepGrain, run);
}

double sum_squares(const float* x, int64_t n) {
  if (n <= 0) return 0;
  const auto block_sum = kern().sum_squares;
  const int64_t block = std::max(kMinBlock, (n + kMaxBlocks - 1) / kMaxBlocks);
  const int64_t blocks = (n + block - 1) / block;
  double partial[kMaxBlocks];
  auto run = [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; b++) {
      const int64_t begin = b * block;
      partial[b] = block_sum(x + begin, std::min(block, n - begin));
    }
  };
  if (blocks >= 4) parallel_for_balanced(blocks, 2, run);
  else run(0, blocks);
  double total = 0;
  for (int64_t b = 0; b < blocks; b++) total += partial[b];
  return total;
}

}  // namespace tf::kernels
