// The layer-norm kernels of norm.h, compiled once per instruction set (tf_kernel_family, see
// common/isa.h). Row sums run over 16 explicit lanes so they vectorize without -ffast-math; the
// variance is a second pass over the centered row (no cancellation of E[x²] - E[x]²).
#include <cmath>
#include <cstdint>

#include "kernels/common/isa.h"
#include "kernels/common/lane_math.h"
#include "kernels/norm/norm_internal.h"

namespace tf::kernels::norm_detail::TF_ISA_NS {
namespace {

using namespace ::tf::kernels::lane_math::TF_ISA_NS;

inline float centered_square_sum(const float* x, float m, int64_t n) {
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; l++) {
      const float d = x[i + l] - m;
      acc[l] += d * d;
    }
  }
  float s = 0.0f;
  for (; i < n; i++) s += (x[i] - m) * (x[i] - m);
  for (int l = 0; l < kLanes; l++) s += acc[l];
  return s;
}

void forward_rows(const LayerNormForward& a, int64_t r0, int64_t r1) {
  const int64_t n = a.n;
  const float inv_n = 1.0f / static_cast<float>(n);
  for (int64_t r = r0; r < r1; r++) {
    const float* __restrict x = a.x + r * n;
    float* __restrict y = a.y + r * n;
    const float m = lane_sum(x, n) * inv_n;
    const float rs = 1.0f / std::sqrt(centered_square_sum(x, m, n) * inv_n + a.eps);
    a.mean[r] = m;
    a.rstd[r] = rs;
    const float* __restrict g = a.gamma;
    const float* __restrict b = a.beta;
    if (g && b) {
      for (int64_t c = 0; c < n; c++) y[c] = (x[c] - m) * rs * g[c] + b[c];
    } else if (g) {
      for (int64_t c = 0; c < n; c++) y[c] = (x[c] - m) * rs * g[c];
    } else if (b) {
      for (int64_t c = 0; c < n; c++) y[c] = (x[c] - m) * rs + b[c];
    } else {
      for (int64_t c = 0; c < n; c++) y[c] = (x[c] - m) * rs;
    }
  }
}

void backward_rows(const LayerNormBackward& a, int64_t r0, int64_t r1) {
  const int64_t n = a.n;
  const float inv_n = 1.0f / static_cast<float>(n);
  for (int64_t r = r0; r < r1; r++) {
    const float* __restrict x = a.x + r * n;
    const float* __restrict dy = a.dy + r * n;
    float* __restrict dx = a.dx + r * n;
    const float m = a.mean[r], rs = a.rstd[r];
    // dx holds g = dy * gamma until the two row means are known.
    if (a.gamma) {
      for (int64_t c = 0; c < n; c++) dx[c] = dy[c] * a.gamma[c];
    } else {
      for (int64_t c = 0; c < n; c++) dx[c] = dy[c];
    }
    float acc[kLanes] = {};
    int64_t c = 0;
    for (; c + kLanes <= n; c += kLanes) {
      for (int l = 0; l < kLanes; l++) acc[l] += dx[c + l] * (x[c + l] - m);
    }
    float gx = 0.0f;
    for (; c < n; c++) gx += dx[c] * (x[c] - m);
    for (int l = 0; l < kLanes; l++) gx += acc[l];
    const float mean_g = lane_sum(dx, n) * inv_n;
    const float mean_gx = gx * rs * inv_n;  // mean of g * xhat
    for (int64_t k = 0; k < n; k++) dx[k] = rs * (dx[k] - mean_g - (x[k] - m) * rs * mean_gx);
  }
}

void param_grads(const LayerNormBackward& a, int64_t c0, int64_t c1) {
  const int64_t n = a.n, w = c1 - c0;
  float* __restrict dg = a.dgamma ? a.dgamma + c0 : nullptr;
  float* __restrict db = a.dbeta ? a.dbeta + c0 : nullptr;
  if (dg) for (int64_t c = 0; c < w; c++) dg[c] = 0.0f;
  if (db) for (int64_t c = 0; c < w; c++) db[c] = 0.0f;
  for (int64_t r = 0; r < a.rows; r++) {
    const float* __restrict x = a.x + r * n + c0;
    const float* __restrict dy = a.dy + r * n + c0;
    const float m = a.mean[r], rs = a.rstd[r];
    if (dg) for (int64_t c = 0; c < w; c++) dg[c] += dy[c] * (x[c] - m) * rs;
    if (db) for (int64_t c = 0; c < w; c++) db[c] += dy[c];
  }
}

// Rows per float block before the block's sums are added into the double totals.
constexpr int64_t kBlockRows = 64;

// The normalized value z of a BatchNorm, the one expression both the forward pass and the fused
// activation's backward mask evaluate, so that both round (and contract) it the same way.
inline float bn_z(float a, float x, float d) { return a * x + d; }
inline float bn_clamp(float z, float lo, float hi) {
  const float v = z < lo ? lo : z;
  return v > hi ? hi : v;
}
// dy where the activation passes it (lo <= z <= hi, both compared: & so the select vectorizes).
inline float bn_masked(float dy, float z, float lo, float hi) { return (z >= lo) & (z <= hi) ? dy : 0.0f; }

// Rows of the masked backward sums and of the masked backward affine pass. Out of line, with
// restrict parameters: inside the callers' row loops GCC does not trust local restrict pointers
// and, with this many streams, gives up the vectorization its alias checks would need. Whole
// blocks of rows per call: the early layers of a MobileNet have rows of only 16 channels.
__attribute__((noinline)) void bn_masked_sums_rows(const float* __restrict dy, const float* __restrict x, const float* __restrict za,
                                                   const float* __restrict zd, const float* __restrict k1, const float* __restrict k2,
                                                   float* __restrict a1, float* __restrict a2, int64_t c, int64_t rows, float lo,
                                                   float hi) {
  for (int64_t r = 0; r < rows; r++) {
    const float* __restrict dyr = dy + r * c;
    const float* __restrict xr = x + r * c;
    for (int64_t ch = 0; ch < c; ch++) {
      const float d = dyr[ch], xv = xr[ch];
      const float u = bn_masked(d, bn_z(za[ch], xv, zd[ch]), lo, hi) - k1[ch];
      a1[ch] += u;
      a2[ch] += u * (xv - k2[ch]);
    }
  }
}

__attribute__((noinline)) void bn_masked_affine_rows(const float* __restrict dy, const float* __restrict x, float* __restrict out,
                                                     const float* __restrict za, const float* __restrict zd, const float* __restrict ka,
                                                     const float* __restrict kb, const float* __restrict kd, int64_t c, int64_t rows,
                                                     float lo, float hi) {
  for (int64_t r = 0; r < rows; r++) {
    const float* __restrict dyr = dy + r * c;
    const float* __restrict xr = x + r * c;
    float* __restrict o = out + r * c;
    for (int64_t ch = 0; ch < c; ch++) {
      const float d = dyr[ch], xv = xr[ch];
      o[ch] = ka[ch] * bn_masked(d, bn_z(za[ch], xv, zd[ch]), lo, hi) + kb[ch] * xv + kd[ch];
    }
  }
}

void bn_sums_rows(const float* p, const float* q, int64_t c, int64_t r0, int64_t r1, const float* shift,
                  const float* shift2, double* s1, double* s2, float* acc, const BnAct* act) {
  float* __restrict a1 = acc;
  float* __restrict a2 = acc + c;
  const float* __restrict k1 = shift;
  const float* __restrict k2 = shift2;
  for (int64_t b0 = r0; b0 < r1; b0 += kBlockRows) {
    const int64_t b1 = b0 + kBlockRows < r1 ? b0 + kBlockRows : r1;
    for (int64_t ch = 0; ch < c; ch++) a1[ch] = a2[ch] = 0.0f;
    if (act) {
      bn_masked_sums_rows(p + b0 * c, q + b0 * c, act->za, act->zd, k1, k2, a1, a2, c, b1 - b0, act->lo, act->hi);
    } else {
      for (int64_t r = b0; r < b1; r++) {
        const float* __restrict pr = p + r * c;
        const float* __restrict qr = q + r * c;
        for (int64_t ch = 0; ch < c; ch++) {
          const float u = pr[ch] - k1[ch];
          a1[ch] += u;
          a2[ch] += u * (qr[ch] - k2[ch]);
        }
      }
    }
    for (int64_t ch = 0; ch < c; ch++) {
      s1[ch] += a1[ch];
      s2[ch] += a2[ch];
    }
  }
}

template <bool kMasked>
void bn_sums_plane_impl(const float* p, const float* q, int64_t outer, int64_t inner, int64_t stride, float shift,
                        float shift2, double* s1, double* s2, float za, float zd, float lo, float hi) {
  double t1 = 0.0, t2 = 0.0;
  for (int64_t o = 0; o < outer; o++) {
    const float* __restrict pr = p + o * stride;
    const float* __restrict qr = q + o * stride;
    float a1[kLanes] = {}, a2[kLanes] = {};
    int64_t i = 0;
    for (; i + kLanes <= inner; i += kLanes) {
      for (int l = 0; l < kLanes; l++) {
        const float dy = pr[i + l];
        const float pv = kMasked ? bn_masked(dy, bn_z(za, qr[i + l], zd), lo, hi) : dy;
        const float u = pv - shift;
        a1[l] += u;
        a2[l] += u * (qr[i + l] - shift2);
      }
    }
    float r1 = 0.0f, r2 = 0.0f;
    for (; i < inner; i++) {
      const float dy = pr[i];
      const float pv = kMasked ? bn_masked(dy, bn_z(za, qr[i], zd), lo, hi) : dy;
      const float u = pv - shift;
      r1 += u;
      r2 += u * (qr[i] - shift2);
    }
    for (int l = 0; l < kLanes; l++) {
      r1 += a1[l];
      r2 += a2[l];
    }
    t1 += r1;
    t2 += r2;
  }
  *s1 = t1;
  *s2 = t2;
}

void bn_sums_plane(const float* p, const float* q, int64_t outer, int64_t inner, int64_t stride, float shift,
                   float shift2, double* s1, double* s2, const BnAct* act, int64_t ch) {
  if (act) {
    bn_sums_plane_impl<true>(p, q, outer, inner, stride, shift, shift2, s1, s2, act->za[ch], act->zd[ch], act->lo, act->hi);
  } else {
    bn_sums_plane_impl<false>(p, q, outer, inner, stride, shift, shift2, s1, s2, 0.0f, 0.0f, 0.0f, 0.0f);
  }
}

void bn_affine_rows(const float* p, const float* q, float* out, int64_t c, int64_t r0, int64_t r1, const float* a,
                    const float* b, const float* d, const BnAct* act) {
  const float* __restrict ka = a;
  const float* __restrict kb = b;
  const float* __restrict kd = d;
  if (q && act) {
    bn_masked_affine_rows(p + r0 * c, q + r0 * c, out + r0 * c, act->za, act->zd, ka, kb, kd, c, r1 - r0, act->lo, act->hi);
    return;
  }
  for (int64_t r = r0; r < r1; r++) {
    const float* __restrict pr = p + r * c;
    float* __restrict o = out + r * c;
    if (q) {
      const float* __restrict qr = q + r * c;
      for (int64_t ch = 0; ch < c; ch++) o[ch] = ka[ch] * pr[ch] + kb[ch] * qr[ch] + kd[ch];
    } else if (act) {
      const float lo = act->lo, hi = act->hi;
      for (int64_t ch = 0; ch < c; ch++) o[ch] = bn_clamp(bn_z(ka[ch], pr[ch], kd[ch]), lo, hi);
    } else {
      for (int64_t ch = 0; ch < c; ch++) o[ch] = bn_z(ka[ch], pr[ch], kd[ch]);
    }
  }
}

void bn_affine_plane(const float* p, const float* q, float* out, int64_t n, float a, float b, float d, const BnAct* act,
                     int64_t ch) {
  const float* __restrict pr = p;
  float* __restrict o = out;
  if (q && act) {
    const float* __restrict qr = q;
    const float za = act->za[ch], zd = act->zd[ch], lo = act->lo, hi = act->hi;
    for (int64_t i = 0; i < n; i++) {
      const float dy = pr[i], xv = qr[i];
      o[i] = a * bn_masked(dy, bn_z(za, xv, zd), lo, hi) + b * xv + d;
    }
  } else if (q) {
    const float* __restrict qr = q;
    for (int64_t i = 0; i < n; i++) o[i] = a * pr[i] + b * qr[i] + d;
  } else if (act) {
    const float lo = act->lo, hi = act->hi;
    for (int64_t i = 0; i < n; i++) o[i] = bn_clamp(bn_z(a, pr[i], d), lo, hi);
  } else {
    for (int64_t i = 0; i < n; i++) o[i] = bn_z(a, pr[i], d);
  }
}

// The product is stored before the sum is taken (two loops over a block that stays in cache), so
// no FMA contraction: the values of a multiply op then an add op, overflow included.
void scale_shift_rows(const float* x, int64_t ldx, float* y, int64_t c, int64_t r0, int64_t r1, const float* s, const float* d) {
  for (int64_t r = r0; r < r1; r++) {
    const float* __restrict xr = x + r * ldx;
    float* __restrict yr = y + r * c;
    for (int64_t ch = 0; ch < c; ch++) yr[ch] = s[ch] * xr[ch];
  }
  for (int64_t r = r0; r < r1; r++) {
    float* __restrict yr = y + r * c;
    for (int64_t ch = 0; ch < c; ch++) yr[ch] += d[ch];
  }
}

void scale_shift_plane(const float* x, float* y, int64_t n, float s, float d) {
  const float* __restrict xr = x;
  float* __restrict yr = y;
  for (int64_t i = 0; i < n; i++) yr[i] = s * xr[i];
  for (int64_t i = 0; i < n; i++) yr[i] += d;
}

const Kernels kTable{forward_rows,   backward_rows,  param_grads,      bn_sums_rows,
                     bn_sums_plane,  bn_affine_rows, bn_affine_plane,  scale_shift_rows,
                     scale_shift_plane};

}  // namespace

const Kernels& table() { return kTable; }

}  // namespace tf::kernels::norm_detail::TF_ISA_NS
