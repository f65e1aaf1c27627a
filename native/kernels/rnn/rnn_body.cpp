// The recurrent-cell kernels of rnn.h, compiled once per instruction set (tf_kernel_family, see
// common/isa.h), each copy in its own namespace. Nothing here may instantiate templates shared
// with other files (an AVX2 copy could be picked for the baseline), hence the caller's scratch.
//
// The activations use branch-free float exp/tanh (Cephes-style polynomials, within ~1.5e-7 relative
// of the exact values) written so the compiler vectorizes every row loop; libm's expf/tanhf calls
// cost more than the per-step GEMM. NaN flows through (clamps are comparisons that keep NaN).
#include <cstdint>
#include <cstring>

#include "kernels/common/isa.h"
#include "kernels/rnn/rnn_internal.h"

// Lets the compiler evaluate both sides of the branch-free selects in vector lanes (FP exception
// flags are never read here); results, NaN and inf handling are unchanged.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif
// After the pragma, so the shared exp is compiled (and inlined) under the same options.
#include "kernels/common/lane_math.h"

namespace tf::kernels::rnn_detail::TF_ISA_NS {
namespace {

using namespace ::tf::kernels::lane_math::TF_ISA_NS;

inline float fsigmoid(float x) { return 1.0f / (1.0f + fexp(-x)); }

// tanh: an odd polynomial below |x| = 0.625, else 1 - 2 / (exp(2|x|) + 1) with the sign of x.
inline float ftanh(float x) {
  float ax = x < 0.0f ? -x : x;
  float z = x * x;
  float small =
      ((((-5.70498872745E-3f * z + 2.06390887954E-2f) * z - 5.37397155531E-2f) * z + 1.33314422036E-1f) * z -
       3.33332819422E-1f) * z * x + x;
  float big = 1.0f - 2.0f / (fexp(2.0f * ax) + 1.0f);
  big = x < 0.0f ? -big : big;
  return ax < 0.625f ? small : big;
}

template <bool kTanh>
void activate(const float* xp, const float* hp, float* g, int64_t n) {
  if (hp) {
    for (int64_t j = 0; j < n; j++) g[j] = kTanh ? ftanh(xp[j] + hp[j]) : fsigmoid(xp[j] + hp[j]);
  } else {
    for (int64_t j = 0; j < n; j++) g[j] = kTanh ? ftanh(xp[j]) : fsigmoid(xp[j]);
  }
}

inline bool masked(const RowMask& m, int64_t b) { return m.m != nullptr && m.m[b * m.ld] == 0.0f; }

// dst = a (+ b when given).
void sum_into(float* dst, const float* a, const float* b, int64_t n) {
  if (!a) {
    for (int64_t j = 0; j < n; j++) dst[j] = 0.0f;
  } else {
    for (int64_t j = 0; j < n; j++) dst[j] = a[j];
  }
  if (b) {
    for (int64_t j = 0; j < n; j++) dst[j] += b[j];
  }
}

// The row loops take __restrict pointers (the callers guarantee the regions are disjoint: outputs
// never overlap what the same loop reads) so that they vectorize without run-time alias checks.
void lstm_state_row(const float* __restrict g, const float* __restrict cp, float* __restrict c, float* __restrict h,
                    int64_t H) {
  for (int64_t j = 0; j < H; j++) {
    float cn = g[H + j] * cp[j] + g[j] * g[2 * H + j];
    c[j] = cn;
    h[j] = g[3 * H + j] * ftanh(cn);
  }
}

void lstm_grad_row(const float* __restrict g, const float* __restrict cp, const float* __restrict c,
                   const float* __restrict dh, const float* __restrict dc, float* __restrict dz, float* __restrict dcp,
                   int64_t H) {
  for (int64_t j = 0; j < H; j++) {
    float i = g[j], f = g[H + j], gg = g[2 * H + j], o = g[3 * H + j];
    float tc = ftanh(c[j]);
    float dct = dc[j] + dh[j] * o * (1.0f - tc * tc);
    dz[j] = dct * gg * i * (1.0f - i);
    dz[H + j] = dct * cp[j] * f * (1.0f - f);
    dz[2 * H + j] = dct * i * (1.0f - gg * gg);
    dz[3 * H + j] = dh[j] * tc * o * (1.0f - o);
    dcp[j] = dct * f;
  }
}

void gru_grad_row(const float* __restrict g, const float* __restrict hp, const float* __restrict hprev,
                  const float* __restrict dh, float* __restrict dxp, float* __restrict dhp, float* __restrict dhd,
                  int64_t H) {
  for (int64_t j = 0; j < H; j++) {
    float z = g[j], r = g[H + j], hh = g[2 * H + j];
    float dah = dh[j] * (1.0f - z) * (1.0f - hh * hh);
    float daz = dh[j] * (hprev[j] - hh) * z * (1.0f - z);
    float dar = dah * hp[2 * H + j] * r * (1.0f - r);
    dxp[j] = daz;
    dxp[H + j] = dar;
    dxp[2 * H + j] = dah;
    dhp[j] = daz;
    dhp[H + j] = dar;
    dhp[2 * H + j] = dah * r;
    dhd[j] = dh[j] * z;
  }
}

}  // namespace

void lstm_cell_forward(const LstmForward& a) {
  const int64_t H = a.units;
  for (int64_t b = 0; b < a.batch; b++) {
    const float* xp = a.xp + b * a.ldxp;
    const float* hp = a.hp ? a.hp + b * a.ldhp : nullptr;
    const float* cp = a.c_prev + b * a.ldcp;
    float* h = a.h + b * a.ldh;
    float* c = a.c + b * a.ldc;
    float* g = a.gates + b * 4 * H;
    if (masked(a.mask, b)) {
      const float* hprev = a.h_prev + b * a.ldhprev;
      for (int64_t j = 0; j < H; j++) h[j] = hprev[j];
      for (int64_t j = 0; j < H; j++) c[j] = cp[j];
      for (int64_t j = 0; j < 4 * H; j++) g[j] = 0.0f;
      continue;
    }
    activate<false>(xp, hp, g, 2 * H);
    activate<true>(xp + 2 * H, hp ? hp + 2 * H : nullptr, g + 2 * H, H);
    activate<false>(xp + 3 * H, hp ? hp + 3 * H : nullptr, g + 3 * H, H);
    lstm_state_row(g, cp, c, h, H);
  }
}

void lstm_cell_backward(const LstmBackward& a, float* scratch) {
  const int64_t H = a.units;
  float* dh = scratch;
  float* dc = dh + H;
  for (int64_t b = 0; b < a.batch; b++) {
    const float* g = a.gates + b * 4 * H;
    const float* cp = a.c_prev + b * a.ldcp;
    const float* c = a.c + b * a.ldc;
    float* dz = a.dz + b * a.lddz;
    float* dcp = a.dc_prev + b * a.lddcp;
    float* dhp = a.dh_pass ? a.dh_pass + b * a.lddhp : nullptr;
    // Read the incoming gradients first: dc_prev / dh_pass may overwrite dc1 / dh1.
    sum_into(dh, a.dh1 + b * a.lddh1, a.dh2 ? a.dh2 + b * a.lddh2 : nullptr, H);
    sum_into(dc, a.dc1 ? a.dc1 + b * a.lddc1 : nullptr, a.dc2 ? a.dc2 + b * a.lddc2 : nullptr, H);
    if (masked(a.mask, b)) {
      for (int64_t j = 0; j < 4 * H; j++) dz[j] = 0.0f;
      for (int64_t j = 0; j < H; j++) dcp[j] = dc[j];
      if (dhp) {
        for (int64_t j = 0; j < H; j++) dhp[j] = dh[j];
      }
      continue;
    }
    lstm_grad_row(g, cp, c, dh, dc, dz, dcp, H);
    if (dhp) {
      for (int64_t j = 0; j < H; j++) dhp[j] = 0.0f;
    }
  }
}

void gru_cell_forward(const GruForward& a) {
  const int64_t H = a.units;
  for (int64_t b = 0; b < a.batch; b++) {
    const float* xp = a.xp + b * a.ldxp;
    const float* hp = a.hp + b * a.ldhp;
    const float* hprev = a.h_prev + b * a.ldhprev;
    float* h = a.h + b * a.ldh;
    float* g = a.gates + b * 3 * H;
    if (masked(a.mask, b)) {
      for (int64_t j = 0; j < H; j++) h[j] = hprev[j];
      for (int64_t j = 0; j < 3 * H; j++) g[j] = 0.0f;
      continue;
    }
    activate<false>(xp, hp, g, 2 * H);
    const float* r = g + H;
    float* hh = g + 2 * H;
    for (int64_t j = 0; j < H; j++) hh[j] = ftanh(xp[2 * H + j] + r[j] * hp[2 * H + j]);
    for (int64_t j = 0; j < H; j++) h[j] = g[j] * hprev[j] + (1.0f - g[j]) * hh[j];
  }
}

void gru_cell_backward(const GruBackward& a, float* scratch) {
  const int64_t H = a.units;
  float* dh = scratch;
  for (int64_t b = 0; b < a.batch; b++) {
    const float* g = a.gates + b * 3 * H;
    const float* hp = a.hp + b * a.ldhp;
    const float* hprev = a.h_prev + b * a.ldhprev;
    float* dxp = a.dxp + b * a.lddxp;
    float* dhp = a.dhp + b * a.lddhp;
    float* dhd = a.dh_direct + b * a.lddhd;
    sum_into(dh, a.dh1 + b * a.lddh1, a.dh2 ? a.dh2 + b * a.lddh2 : nullptr, H);
    if (masked(a.mask, b)) {
      for (int64_t j = 0; j < 3 * H; j++) dxp[j] = 0.0f;
      for (int64_t j = 0; j < 3 * H; j++) dhp[j] = 0.0f;
      for (int64_t j = 0; j < H; j++) dhd[j] = dh[j];
      continue;
    }
    gru_grad_row(g, hp, hprev, dh, dxp, dhp, dhd, H);
  }
}

const Kernels& table() {
  static const Kernels k{lstm_cell_forward, lstm_cell_backward, gru_cell_forward, gru_cell_backward};
  return k;
}

}  // namespace tf::kernels::rnn_detail::TF_ISA_NS
