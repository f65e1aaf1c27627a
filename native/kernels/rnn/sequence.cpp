// Whole-sequence recurrences (rnn.h): the time loop runs here instead of one call per step from
// JavaScript, the recurrent kernel is packed once per sequence, and threads split the batch rows for
// the whole sequence (a per-step split would hand work off 2 * time times per sequence, each hand-off
// costing about what a small step computes).
#include <algorithm>
#include <cstddef>
#include <vector>

#include "kernels/common/thread_pool.h"
#include "kernels/gemm/gemm.h"
#include "kernels/rnn/rnn.h"

namespace tf::kernels {
namespace {

// Rows per thread below which a sequence runs on one thread: a GEMM of fewer rows reads the whole
// packed kernel for too little work, and its per-step cell and GEMM then split inside instead.
constexpr int64_t kMinRowsPerThread = 8;

template <class F>
void over_sequence_rows(int64_t batch, const F& rows) {
  if (num_threads() < 2 || batch < 2 * kMinRowsPerThread) {
    rows(int64_t{0}, batch);
    return;
  }
  // Two chunks per thread: a late worker then costs the caller a quarter of the batch, not half,
  // while chunks stay tall enough for the GEMM (8-row chunks run ~20% slower per row than 32-row ones).
  const int64_t threads = num_threads();
  const int64_t grain = std::max(kMinRowsPerThread, (batch + threads - 1) / threads);
  parallel_for_balanced(batch, grain, [&](int64_t b0, int64_t b1) { rows(b0, b1); });
}

struct Packed {
  std::vector<float> data;
  PackedB view;
};

// B (k x n, row stride ldb) packed for sgemm_prepacked.
Packed pack(int64_t k, int64_t n, const float* b, int64_t ldb) {
  Packed p;
  p.data.resize(static_cast<std::size_t>(sgemm_packed_b_size(k, n)));
  sgemm_pack_b(k, n, b, ldb, p.data.data());
  p.view = PackedB{p.data.data(), sgemm_pack_b_width()};
  return p;
}

// The transpose (cols x rows) of a row-major rows x cols matrix, packed: U^T, the operand of
// dh_prev = dz U^T. `t` keeps the unpacked transpose, which the GEMM's untiled routes read.
Packed pack_transposed(int64_t rows, int64_t cols, const float* b, std::vector<float>& t) {
  t.resize(static_cast<std::size_t>(rows * cols));
  for (int64_t i = 0; i < rows; i++)
    for (int64_t j = 0; j < cols; j++) t[static_cast<std::size_t>(j * rows + i)] = b[i * cols + j];
  return pack(cols, rows, t.data(), rows);
}

// h_prev of every (row, step) of rows [b0, b1), written in the row order of [batch, time, ...]
// sequences: y holds h at column 0 of each step, ldy apart per row, step pitch `pitch`.
void gather_h_prev(int64_t b0, int64_t b1, int64_t T, int64_t H, const float* h0, int64_t ldh0, const float* y,
                   int64_t ldy, int64_t pitch, float* out) {
  for (int64_t b = b0; b < b1; b++) {
    for (int64_t t = 0; t < T; t++) {
      const float* src = t == 0 ? h0 + b * ldh0 : y + b * ldy + (t - 1) * pitch;
      std::copy(src, src + H, out + (b * T + t) * H);
    }
  }
}

}  // namespace

void lstm_sequence_forward(const LstmSequenceForward& a) {
  const int64_t B = a.batch, T = a.time, H = a.units, G = 4 * H;
  if (B == 0 || T == 0 || H == 0) return;
  const Packed u = pack(H, G, a.u, G);
  const int64_t ldy = T * 2 * H;
  over_sequence_rows(B, [&](int64_t b0, int64_t b1) {
    const int64_t rows = b1 - b0;
    std::vector<float> hp(static_cast<std::size_t>(rows * G));
    float* y = a.y + b0 * ldy;
    for (int64_t t = 0; t < T; t++) {
      const float* hprev = t == 0 ? a.h0 + b0 * a.ldh0 : y + (t - 1) * 2 * H;
      const int64_t ldhprev = t == 0 ? a.ldh0 : ldy;
      const float* cprev = t == 0 ? a.c0 + b0 * a.ldc0 : y + (t - 1) * 2 * H + H;
      const int64_t ldcprev = t == 0 ? a.ldc0 : ldy;
      sgemm_prepacked(rows, G, H, hprev, ldhprev, a.u, G, u.view, hp.data(), G);
      LstmForward p{rows, H, a.xp + b0 * T * G + t * G, T * G, hp.data(), G, cprev, ldcprev, hprev, ldhprev,
                    RowMask{a.mask ? a.mask + b0 * T + t : nullptr, T}, y + t * 2 * H, ldy, y + t * 2 * H + H, ldy,
                    a.gates + (t * B + b0) * G};
      lstm_cell_forward(p);
    }
  });
}

void lstm_sequence_backward(const LstmSequenceBackward& a) {
  const int64_t B = a.batch, T = a.time, H = a.units, G = 4 * H;
  if (H == 0) return;
  std::fill(a.du, a.du + H * G, 0.0f);
  if (B == 0) return;
  std::fill(a.dh0, a.dh0 + B * H, 0.0f);
  std::fill(a.dc0, a.dc0 + B * H, 0.0f);
  if (T == 0) return;
  std::vector<float> ut;
  const Packed upt = pack_transposed(H, G, a.u, ut);
  // h_prev of every (row, step), in the row order of dxp, for du = sum over steps of h_prev^T dz.
  std::vector<float> hprev_all(static_cast<std::size_t>(B * T * H));
  const int64_t ldy = T * 2 * H;
  over_sequence_rows(B, [&](int64_t b0, int64_t b1) {
    const int64_t rows = b1 - b0;
    float* dh = a.dh0 + b0 * H;
    float* dc = a.dc0 + b0 * H;
    // With a mask, padded rows pass dh through (dh_pass), so the GEMM's part is added to it.
    std::vector<float> part(a.mask ? static_cast<std::size_t>(rows * H) : 0);
    const float* y = a.y + b0 * ldy;
    const float* dy = a.dy + b0 * ldy;
    for (int64_t t = T - 1; t >= 0; t--) {
      const float* cprev = t == 0 ? a.c0 + b0 * a.ldc0 : y + (t - 1) * 2 * H + H;
      const int64_t ldcprev = t == 0 ? a.ldc0 : ldy;
      float* dz = a.dxp + b0 * T * G + t * G;
      LstmBackward p{rows, H, a.gates + (t * B + b0) * G, cprev, ldcprev, y + t * 2 * H + H, ldy, dh, H,
                     dy + t * 2 * H, ldy, dc, H, dy + t * 2 * H + H, ldy,
                     RowMask{a.mask ? a.mask + b0 * T + t : nullptr, T}, dz, T * G, dc, H, a.mask ? dh : nullptr, H};
      lstm_cell_backward(p);
      if (a.mask) {
        sgemm_prepacked(rows, H, G, dz, T * G, ut.data(), H, upt.view, part.data(), H);
        for (int64_t i = 0; i < rows * H; i++) dh[i] += part[static_cast<std::size_t>(i)];
      } else {
        sgemm_prepacked(rows, H, G, dz, T * G, ut.data(), H, upt.view, dh, H);
      }
    }
    gather_h_prev(b0, b1, T, H, a.h0, a.ldh0, a.y, ldy, 2 * H, hprev_all.data());
  });
  sgemm(true, false, H, G, B * T, 1.0f, hprev_all.data(), H, a.dxp, G, 0.0f, a.du, G);
}

void gru_sequence_forward(const GruSequenceForward& a) {
  const int64_t B = a.batch, T = a.time, H = a.units, G = 3 * H;
  if (B == 0 || T == 0 || H == 0) return;
  const Packed u = pack(H, G, a.u, G);
  GemmEpilogue bias;
  bias.bias = a.bias;
  const int64_t ldy = T * H;
  over_sequence_rows(B, [&](int64_t b0, int64_t b1) {
    const int64_t rows = b1 - b0;
    float* y = a.y + b0 * ldy;
    for (int64_t t = 0; t < T; t++) {
      const float* hprev = t == 0 ? a.h0 + b0 * a.ldh0 : y + (t - 1) * H;
      const int64_t ldhprev = t == 0 ? a.ldh0 : ldy;
      float* hp = a.hp + (t * B + b0) * G;
      sgemm_prepacked(rows, G, H, hprev, ldhprev, a.u, G, u.view, hp, G, bias);
      GruForward p{rows, H, a.xp + b0 * T * G + t * G, T * G, hp, G, hprev, ldhprev,
                   RowMask{a.mask ? a.mask + b0 * T + t : nullptr, T}, y + t * H, ldy, a.gates + (t * B + b0) * G};
      gru_cell_forward(p);
    }
  });
}

void gru_sequence_backward(const GruSequenceBackward& a) {
  const int64_t B = a.batch, T = a.time, H = a.units, G = 3 * H;
  if (H == 0) return;
  std::fill(a.du, a.du + H * G, 0.0f);
  if (a.db) std::fill(a.db, a.db + G, 0.0f);
  if (B == 0) return;
  std::fill(a.dh0, a.dh0 + B * H, 0.0f);
  if (T == 0) return;
  std::vector<float> ut;
  const Packed upt = pack_transposed(H, G, a.u, ut);
  // The gradient of hp at every (row, step): du and db are one product and one column sum over all.
  std::vector<float> dhp_all(static_cast<std::size_t>(B * T * G));
  std::vector<float> hprev_all(static_cast<std::size_t>(B * T * H));
  const int64_t ldy = T * H;
  over_sequence_rows(B, [&](int64_t b0, int64_t b1) {
    const int64_t rows = b1 - b0;
    float* dh = a.dh0 + b0 * H;
    std::vector<float> part(static_cast<std::size_t>(rows * H));
    const float* y = a.y + b0 * ldy;
    for (int64_t t = T - 1; t >= 0; t--) {
      const float* hprev = t == 0 ? a.h0 + b0 * a.ldh0 : y + (t - 1) * H;
      const int64_t ldhprev = t == 0 ? a.ldh0 : ldy;
      float* dhp = dhp_all.data() + (b0 * T + t) * G;
      GruBackward p{rows, H, a.gates + (t * B + b0) * G, a.hp + (t * B + b0) * G, G, hprev, ldhprev, dh, H,
                    a.dy + b0 * ldy + t * H, ldy, RowMask{a.mask ? a.mask + b0 * T + t : nullptr, T},
                    a.dxp + b0 * T * G + t * G, T * G, dhp, T * G, dh, H};
      gru_cell_backward(p);
      sgemm_prepacked(rows, H, G, dhp, T * G, ut.data(), H, upt.view, part.data(), H);
      for (int64_t i = 0; i < rows * H; i++) dh[i] += part[static_cast<std::size_t>(i)];
    }
    gather_h_prev(b0, b1, T, H, a.h0, a.ldh0, a.y, ldy, H, hprev_all.data());
  });
  sgemm(true, false, H, G, B * T, 1.0f, hprev_all.data(), H, dhp_all.data(), G, 0.0f, a.du, G);
  if (a.db) {
    for (int64_t r = 0; r < B * T; r++) {
      const float* row = dhp_all.data() + r * G;
      for (int64_t j = 0; j < G; j++) a.db[j] += row[j];
    }
  }
}

}  // namespace tf::kernels
