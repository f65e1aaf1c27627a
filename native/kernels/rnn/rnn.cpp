// Dispatch of the fused recurrent-cell kernels (rnn.h) to the copy of rnn_body.cpp for the active
// SIMD level, with the backward kernels' scratch. Rows (batch entries) are independent, so a big
// enough cell splits over rows across the pool; each row's arithmetic is the same on any thread.
#include "kernels/rnn/rnn.h"

#include <algorithm>
#include <cstddef>
#include <vector>

#include "kernels/common/thread_pool.h"
#include "kernels/rnn/rnn_internal.h"

namespace tf::kernels {
namespace {

// Gate elements (batch * gates * units) below which a cell runs on the calling thread. A training
// step alternates the recurrent GEMM (which splits) and the cell, so the workers are usually still
// polling (pool_warm): a hand-off then costs about a microsecond, and an LSTM cell of batch 64 x 64
// units (~11 us on one core, 16K gate elements) halves. A parked worker takes tens of microseconds
// to wake: then only cells many times that size split.
constexpr int64_t kWarmGrainElems = 4096;
constexpr int64_t kColdGrainElems = 64 * 1024;

RowMask shifted(RowMask m, int64_t b0) {
  if (m.m) m.m += b0 * m.ld;
  return m;
}

// Runs cell(b0, b1) over row ranges of [0, batch), split when the work pays for the hand-off.
template <class F>
void over_rows(int64_t batch, int64_t row_elems, const F& cell) {
  const int64_t total = batch * row_elems;
  if (batch < 2 || total < 2 * kWarmGrainElems || (total < 2 * kColdGrainElems && !pool_warm())) {
    cell(int64_t{0}, batch);
    return;
  }
  const int64_t grain_elems = total < 2 * kColdGrainElems ? kWarmGrainElems : kColdGrainElems;
  const int64_t grain = std::max<int64_t>(1, grain_elems / std::max<int64_t>(1, row_elems));
  parallel_for_balanced(batch, grain, [&](int64_t b0, int64_t b1) { cell(b0, b1); });
}

}  // namespace

void lstm_cell_forward(const LstmForward& a) {
  const auto& kern = rnn_detail::active_table();
  const int64_t H = a.units;
  over_rows(a.batch, 4 * H, [&](int64_t b0, int64_t b1) {
    LstmForward p = a;
    p.batch = b1 - b0;
    p.xp += b0 * a.ldxp;
    if (p.hp) p.hp += b0 * a.ldhp;
    p.c_prev += b0 * a.ldcp;
    if (p.h_prev) p.h_prev += b0 * a.ldhprev;
    p.mask = shifted(a.mask, b0);
    p.h += b0 * a.ldh;
    p.c += b0 * a.ldc;
    p.gates += b0 * 4 * H;
    kern.lstm_cell_forward(p);
  });
}

void lstm_cell_backward(const LstmBackward& a) {
  const auto& kern = rnn_detail::active_table();
  const int64_t H = a.units;
  over_rows(a.batch, 4 * H, [&](int64_t b0, int64_t b1) {
    std::vector<float> scratch(static_cast<std::size_t>(2 * H));
    LstmBackward p = a;
    p.batch = b1 - b0;
    p.gates += b0 * 4 * H;
    p.c_prev += b0 * a.ldcp;
    p.c += b0 * a.ldc;
    p.dh1 += b0 * a.lddh1;
    if (p.dh2) p.dh2 += b0 * a.lddh2;
    if (p.dc1) p.dc1 += b0 * a.lddc1;
    if (p.dc2) p.dc2 += b0 * a.lddc2;
    p.mask = shifted(a.mask, b0);
    p.dz += b0 * a.lddz;
    p.dc_prev += b0 * a.lddcp;
    if (p.dh_pass) p.dh_pass += b0 * a.lddhp;
    kern.lstm_cell_backward(p, scratch.data());
  });
}

void gru_cell_forward(const GruForward& a) {
  const auto& kern = rnn_detail::active_table();
  const int64_t H = a.units;
  over_rows(a.batch, 3 * H, [&](int64_t b0, int64_t b1) {
    GruForward p = a;
    p.batch = b1 - b0;
    p.xp += b0 * a.ldxp;
    p.hp += b0 * a.ldhp;
    p.h_prev += b0 * a.ldhprev;
    p.mask = shifted(a.mask, b0);
    p.h += b0 * a.ldh;
    p.gates += b0 * 3 * H;
    kern.gru_cell_forward(p);
  });
}

void gru_cell_backward(const GruBackward& a) {
  const auto& kern = rnn_detail::active_table();
  const int64_t H = a.units;
  over_rows(a.batch, 3 * H, [&](int64_t b0, int64_t b1) {
    std::vector<float> scratch(static_cast<std::size_t>(H));
    GruBackward p = a;
    p.batch = b1 - b0;
    p.gates += b0 * 3 * H;
    p.hp += b0 * a.ldhp;
    p.h_prev += b0 * a.ldhprev;
    p.dh1 += b0 * a.lddh1;
    if (p.dh2) p.dh2 += b0 * a.lddh2;
    p.mask = shifted(a.mask, b0);
    p.dxp += b0 * a.lddxp;
    p.dhp += b0 * a.lddhp;
    p.dh_direct += b0 * a.lddhd;
    kern.gru_cell_backward(p, scratch.data());
  });
}

}  // namespace tf::kernels
