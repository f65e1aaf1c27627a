// Dispatch of the layer-norm kernels (norm.h) to the copy of norm_body.cpp for the active SIMD
// level: rows are independent, so both passes split over rows; the parameter gradients sum over
// rows, so they split over columns instead. Batch norm: channels-first planes split over channels
// (sums) and planes (the elementwise pass); channels-last rows split into a fixed number of parts
// that depends only on the size, each summing into its own totals, combined in part order, so the
// result does not depend on the thread count.
#include "kernels/norm/norm.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/common/thread_pool.h"
#include "kernels/norm/norm_internal.h"

namespace tf::kernels {
namespace {
constexpr int64_t kGrainWork = 1 << 15;
constexpr int64_t kColumnBlock = 64;
int64_t grain_for(int64_t work_per_item) { return std::max<int64_t>(1, kGrainWork / std::max<int64_t>(1, work_per_item)); }
constexpr int64_t kRowsPerPart = 256;
constexpr int64_t kMaxParts = 16;

// Per-channel sums of u = p - shift and u * (q - shift2) over the batch: s1, s2 [c] (see
// Kernels::bn_sums_rows). shift2 null: q's shift is shift (forward: p = q = x).
void bn_sums(const norm_detail::Kernels& kern, int64_t outer, int64_t c, int64_t inner, const float* p, const float* q,
             const float* shift, const float* shift2, double* s1, double* s2, const norm_detail::BnAct* act = nullptr) {
  if (inner == 1) {
    const int64_t rows = outer;
    const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(kMaxParts, rows / kRowsPerPart));
    std::vector<double> tot(static_cast<size_t>(2 * parts * c), 0.0);
    std::vector<float> acc(static_cast<size_t>(2 * parts * c));
    parallel_for_balanced(parts, 1, [&](int64_t b, int64_t e) {
      for (int64_t part = b; part < e; part++) {
        kern.bn_sums_rows(p, q, c, rows * part / parts, rows * (part + 1) / parts, shift, shift2, tot.data() + 2 * part * c,
                          tot.data() + (2 * part + 1) * c, acc.data() + 2 * part * c, act);
      }
    });
    for (int64_t ch = 0; ch < c; ch++) s1[ch] = s2[ch] = 0.0;
    for (int64_t part = 0; part < parts; part++) {
      for (int64_t ch = 0; ch < c; ch++) {
        s1[ch] += tot[2 * part * c + ch];
        s2[ch] += tot[(2 * part + 1) * c + ch];
      }
    }
    return;
  }
  parallel_for_balanced(c, grain_for(2 * outer * inner), [&](int64_t b, int64_t e) {
    for (int64_t ch = b; ch < e; ch++) {
      kern.bn_sums_plane(p + ch * inner, q + ch * inner, outer, inner, c * inner, shift[ch], shift2[ch], s1 + ch, s2 + ch, act, ch);
    }
  });
}

// out = a[ch] * p + b[ch] * q + d[ch] over the whole tensor (q null: no b term), with the fused
// activation act (null: none; see norm_detail::BnAct).
void bn_affine(const norm_detail::Kernels& kern, int64_t outer, int64_t c, int64_t inner, const float* p, const float* q,
               float* out, const float* a, const float* b, const float* d, const norm_detail::BnAct* act = nullptr) {
  if (inner == 1) {
    parallel_for_balanced(outer, grain_for(3 * c), [&](int64_t r0, int64_t r1) { kern.bn_affine_rows(p, q, out, c, r0, r1, a, b, d, act); });
    return;
  }
  parallel_for_balanced(outer * c, grain_for(3 * inner), [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; t++) {
      const int64_t ch = t % c;
      kern.bn_affine_plane(p + t * inner, q ? q + t * inner : nullptr, out + t * inner, inner, a[ch], b ? b[ch] : 0.0f, d[ch], act, ch);
    }
  });
}

}  // namespace

void batch_norm_forward(const BatchNormForward& a) {
  const int64_t c = a.c, n = a.outer * a.inner;
  if (c == 0) return;
  const auto& kern = norm_detail::active_table();
  std::vector<float> scale(static_cast<size_t>(c)), shift(static_cast<size_t>(c));
  std::vector<double> s1(static_cast<size_t>(c)), s2(static_cast<size_t>(c));
  // Each channel's first value as its shift: sums of x - shift keep the variance exact enough.
  for (int64_t ch = 0; ch < c; ch++) shift[ch] = n > 0 ? a.x[ch * a.inner] : 0.0f;
  if (n > 0) bn_sums(kern, a.outer, c, a.inner, a.x, a.x, shift.data(), shift.data(), s1.data(), s2.data());
  for (int64_t ch = 0; ch < c; ch++) {
    const double m1 = n > 0 ? s1[ch] / static_cast<double>(n) : 0.0;
    double var = n > 0 ? s2[ch] / static_cast<double>(n) - m1 * m1 : 0.0;
    if (var < 0.0) var = 0.0;  // rounding only; a NaN stays NaN (std::max would drop it)
    const double mean = static_cast<double>(shift[ch]) + m1;
    const double rstd = 1.0 / std::sqrt(var + static_cast<double>(a.eps));
    const double g = a.gamma ? a.gamma[ch] : 1.0;
    const double b = a.beta ? a.beta[ch] : 0.0;
    a.mean[ch] = static_cast<float>(mean);
    a.variance[ch] = static_cast<float>(var);
    a.rstd[ch] = static_cast<float>(rstd);
    scale[ch] = static_cast<float>(g * rstd);
    shift[ch] = static_cast<float>(b - mean * g * rstd);
  }
  if (a.scale_shift) {
    std::copy(scale.begin(), scale.end(), a.scale_shift);
    std::copy(shift.begin(), shift.end(), a.scale_shift + c);
  }
  const norm_detail::BnAct act{scale.data(), shift.data(), a.lo, a.hi};
  if (n > 0) bn_affine(kern, a.outer, c, a.inner, a.x, nullptr, a.y, scale.data(), nullptr, shift.data(), a.clamp ? &act : nullptr);
}

void batch_norm_backward(const BatchNormBackward& a) {
  const int64_t c = a.c, n = a.outer * a.inner;
  if (c == 0) return;
  const auto& kern = norm_detail::active_table();
  std::vector<float> zero(static_cast<size_t>(c), 0.0f), ca(static_cast<size_t>(c)), cb(static_cast<size_t>(c)),
      cd(static_cast<size_t>(c));
  std::vector<double> sdy(static_cast<size_t>(c), 0.0), sdyx(static_cast<size_t>(c), 0.0);
  const norm_detail::BnAct mask{a.z_scale_shift, a.z_scale_shift ? a.z_scale_shift + c : nullptr, a.mask_lo, a.mask_hi};
  const norm_detail::BnAct* act = a.z_scale_shift ? &mask : nullptr;
  if (n > 0) bn_sums(kern, a.outer, c, a.inner, a.dy, a.x, zero.data(), a.mean, sdy.data(), sdyx.data(), act);
  const double inv_n = n > 0 ? 1.0 / static_cast<double>(n) : 0.0;
  for (int64_t ch = 0; ch < c; ch++) {
    const double rstd = a.rstd[ch], g = a.gamma ? a.gamma[ch] : 1.0;
    if (a.dbeta) a.dbeta[ch] = static_cast<float>(sdy[ch]);
    if (a.dgamma) a.dgamma[ch] = static_cast<float>(sdyx[ch] * rstd);
    // dx = A dy + B x + D: A = g rstd, B = -g rstd³ mean(dy (x - mean)), D = -A mean(dy) - B mean.
    const double ka = g * rstd;
    const double kb = -g * rstd * rstd * rstd * sdyx[ch] * inv_n;
    ca[ch] = static_cast<float>(ka);
    cb[ch] = static_cast<float>(kb);
    cd[ch] = static_cast<float>(-ka * sdy[ch] * inv_n - kb * a.mean[ch]);
  }
  if (n > 0) bn_affine(kern, a.outer, c, a.inner, a.dy, a.x, a.dx, ca.data(), cb.data(), cd.data(), act);
}

void channel_affine(const ChannelAffine& a) {
  if (a.outer == 0 || a.c == 0 || a.inner == 0) return;
  const auto& kern = norm_detail::active_table();
  if (a.inner == 1) {
    parallel_for(a.outer, grain_for(3 * a.c), [&](int64_t r0, int64_t r1) {
      // Blocks of rows small enough to stay in L1/L2 between the affine pass and the activation.
      const int64_t block = std::max<int64_t>(1, 4096 / a.c);
      for (int64_t r = r0; r < r1; r += block) {
        const int64_t e = std::min(r1, r + block);
        kern.scale_shift_rows(a.x, a.ldx, a.y, a.c, r, e, a.scale, a.shift);
        if (a.has_activation) unary(a.activation, a.y + r * a.c, a.y + r * a.c, (e - r) * a.c, a.p0, a.p1);
      }
    });
    return;
  }
  parallel_for(a.outer * a.c, grain_for(3 * a.inner), [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; t++) {
      const int64_t ch = t % a.c;
      float* y = a.y + t * a.inner;
      kern.scale_shift_plane(a.x + t * a.inner, y, a.inner, a.scale[ch], a.shift[ch]);
      if (a.has_activation) unary(a.activation, y, y, a.inner, a.p0, a.p1);
    }
  });
}

void layer_norm_forward(const LayerNormForward& a) {
  const auto& kern = norm_detail::active_table();
  parallel_for_balanced(a.rows, grain_for(3 * a.n), [&](int64_t r0, int64_t r1) { kern.forward_rows(a, r0, r1); });
}

void layer_norm_backward(const LayerNormBackward& a) {
  const auto& kern = norm_detail::active_table();
  parallel_for_balanced(a.rows, grain_for(4 * a.n), [&](int64_t r0, int64_t r1) { kern.backward_rows(a, r0, r1); });
  if (!a.dgamma && !a.dbeta) return;
  const int64_t blocks = (a.n + kColumnBlock - 1) / kColumnBlock;
  parallel_for_balanced(blocks, grain_for(2 * a.rows * kColumnBlock), [&](int64_t b0, int64_t b1) {
    kern.param_grads(a, b0 * kColumnBlock, std::min(a.n, b1 * kColumnBlock));
  });
}

}  // namespace tf::kernels
