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

const Kernels kTable{forward_rows, backward_rows, param_grads};

}  // namespace

const Kernels& table() { return kTable; }

}  // namespace tf::kernels::norm_detail::TF_ISA_NS
