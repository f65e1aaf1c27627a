// 2-d pooling and upsampling, channels-last. The channel loop is innermost and contiguous, so the
// compiler vectorizes it at the baseline ISA; channels-first data arrives as c = 1 planes. The
// max-pool forward has per-ISA builds (pool_internal.h) picked at run time.
#include "kernels/pool/pool.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/common/cpu_features.h"
#include "kernels/common/thread_pool.h"
#include "kernels/pool/pool_internal.h"

namespace tf::kernels {
namespace {

pool_detail::MaxRowsFn max_rows_kernel() { return pool_detail::active_table().max_rows; }

// Below about this many inner-loop steps per chunk, waking another thread costs more than it saves.
constexpr int64_t kGrainWork = 1 << 15;
// Channels handled per backward task (tasks own disjoint channel ranges, so scatters never race).
constexpr int64_t kChannelBlock = 64;

int64_t grain_for(int64_t work_per_item) { return std::max<int64_t>(1, kGrainWork / std::max<int64_t>(1, work_per_item)); }

struct Window {
  int64_t h_lo, h_hi, w_lo, w_hi;
  int64_t count() const { return (h_hi - h_lo) * (w_hi - w_lo); }
};

Window window(const Pool2dGeom& g, int64_t i, int64_t j) {
  int64_t h0 = i * g.sh - g.pt, w0 = j * g.sw - g.pl;
  return {std::max<int64_t>(h0, 0), std::min(h0 + g.kh, g.h), std::max<int64_t>(w0, 0), std::min(w0 + g.kw, g.w)};
}

}  // namespace

void pool2d_forward(PoolKind kind, const float* x, const Pool2dGeom& g, float* y) {
  const int64_t C = g.c;
  if (g.batch == 0 || g.oh == 0 || g.ow == 0 || C == 0) return;
  const int64_t grain = grain_for(g.ow * C * g.kh * g.kw);
  if (kind == PoolKind::Max && C == 1) {
    const pool_detail::MaxPlaneRowsFn rows = pool_detail::active_table().max_plane_rows;
    const int64_t need = pool_detail::plane_scratch(g);
    parallel_for_balanced(g.batch * g.oh, grain_for(g.kh * g.w + g.ow * g.kw), [&](int64_t r0, int64_t r1) {
      thread_local std::vector<float> scratch;
      if (static_cast<int64_t>(scratch.size()) < need) scratch.resize(static_cast<size_t>(need));
      rows(g, x, y, r0, r1, scratch.data());
    });
    return;
  }
  if (kind == PoolKind::Max) {
    const pool_detail::MaxRowsFn rows = max_rows_kernel();
    parallel_for_balanced(g.batch * g.oh, grain, [&](int64_t r0, int64_t r1) { rows(g, x, y, r0, r1); });
    return;
  }
  parallel_for_balanced(g.batch * g.oh, grain, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const int64_t b = r / g.oh, i = r % g.oh;
      const float* xb = x + b * g.h * g.w * C;
      for (int64_t j = 0; j < g.ow; j++) {
        const Window win = window(g, i, j);
        float* __restrict yp = y + (r * g.ow + j) * C;
        for (int64_t c = 0; c < C; c++) yp[c] = 0.0f;
        for (int64_t hh = win.h_lo; hh < win.h_hi; hh++) {
          for (int64_t ww = win.w_lo; ww < win.w_hi; ww++) {
            const float* __restrict xp = xb + (hh * g.w + ww) * C;
            for (int64_t c = 0; c < C; c++) yp[c] += xp[c];
          }
        }
        const float n = static_cast<float>(win.count());
        for (int64_t c = 0; c < C; c++) yp[c] /= n;
      }
    }
  });
}

void pool2d_backward(PoolKind kind, const float* x, const float* gy, const Pool2dGeom& g, float* gx) {
  const int64_t C = g.c;
  if (g.batch == 0 || C == 0 || g.h == 0 || g.w == 0) return;
  const bool is_max = kind == PoolKind::Max;
  if (is_max && g.sh >= g.kh && g.sw >= g.kw && g.oh > 0 && g.ow > 0) {
    // Disjoint windows: each output row writes its band of input rows in full, vectorized per ISA.
    const pool_detail::MaxBackwardRowsFn rows = pool_detail::active_table().max_backward_rows;
    parallel_for_balanced(g.batch * g.oh, grain_for(g.sh * g.w * C), [&](int64_t r0, int64_t r1) { rows(g, x, gy, gx, r0, r1); });
    return;
  }
  const int64_t blocks = (C + kChannelBlock - 1) / kChannelBlock;
  const int64_t per_task = std::min(C, kChannelBlock) * (g.h * g.w + g.oh * g.ow * g.kh * g.kw);
  parallel_for_balanced(g.batch * blocks, grain_for(per_task), [&](int64_t t0, int64_t t1) {
    float best[kChannelBlock];
    // 32-bit, branch-free selects: the compiler vectorizes the arg-max scan across channels.
    int32_t arg[kChannelBlock];
    float share[kChannelBlock];
    for (int64_t t = t0; t < t1; t++) {
      const int64_t b = t / blocks, c0 = (t % blocks) * kChannelBlock, c1 = std::min(C, c0 + kChannelBlock);
      const int64_t nc = c1 - c0;
      const float* xb = x ? x + b * g.h * g.w * C + c0 : nullptr;
      float* gxb = gx + b * g.h * g.w * C + c0;
      for (int64_t p = 0; p < g.h * g.w; p++) std::fill(gxb + p * C, gxb + p * C + nc, 0.0f);
      for (int64_t i = 0; i < g.oh; i++) {
        for (int64_t j = 0; j < g.ow; j++) {
          const Window win = window(g, i, j);
          const float* gp = gy + ((b * g.oh + i) * g.ow + j) * C + c0;
          if (is_max) {
            const int64_t first = win.h_lo * g.w + win.w_lo;
            for (int64_t c = 0; c < nc; c++) {
              best[c] = xb[first * C + c];
              arg[c] = static_cast<int32_t>(first);
            }
            for (int64_t hh = win.h_lo; hh < win.h_hi; hh++) {
              for (int64_t ww = win.w_lo; ww < win.w_hi; ww++) {
                const int64_t cell = hh * g.w + ww;
                if (cell == first) continue;
                const float* __restrict xp = xb + cell * C;
                const int32_t cell32 = static_cast<int32_t>(cell);
                for (int64_t c = 0; c < nc; c++) {
                  const float v = xp[c];
                  // Same rule as the forward pass: a later larger value or a NaN takes over.
                  const bool take = (v > best[c]) | (v != v);
                  best[c] = take ? v : best[c];
                  arg[c] = take ? cell32 : arg[c];
                }
              }
            }
            for (int64_t c = 0; c < nc; c++) gxb[static_cast<int64_t>(arg[c]) * C + c] += gp[c];
          } else {
            const float n = static_cast<float>(win.count());
            for (int64_t c = 0; c < nc; c++) share[c] = gp[c] / n;
            for (int64_t hh = win.h_lo; hh < win.h_hi; hh++) {
              for (int64_t ww = win.w_lo; ww < win.w_hi; ww++) {
                float* __restrict dst = gxb + (hh * g.w + ww) * C;
                for (int64_t c = 0; c < nc; c++) dst[c] += share[c];
              }
            }
          }
        }
      }
    }
  });
}

namespace {

// tf.image.resize bilinear with half_pixel_centers: source coordinate (i + 0.5) / f - 0.5.
struct Lerp {
  int64_t lo, hi;
  float t;
};

Lerp lerp_at(int64_t i, int64_t f, int64_t size) {
  const double in = (static_cast<double>(i) + 0.5) / static_cast<double>(f) - 0.5;
  const double fl = std::floor(in);
  return {std::max<int64_t>(static_cast<int64_t>(fl), 0), std::min<int64_t>(static_cast<int64_t>(std::ceil(in)), size - 1),
          static_cast<float>(in - fl)};
}

std::vector<Lerp> lerps(int64_t out, int64_t f, int64_t size) {
  std::vector<Lerp> v(static_cast<size_t>(out));
  for (int64_t i = 0; i < out; i++) v[static_cast<size_t>(i)] = lerp_at(i, f, size);
  return v;
}

}  // namespace

void upsample2d_forward(UpsampleMode mode, const float* x, const Upsample2dGeom& g, float* y) {
  const int64_t C = g.c, OH = g.h * g.fh, OW = g.w * g.fw;
  if (g.batch == 0 || OH == 0 || OW == 0 || C == 0) return;
  if (mode == UpsampleMode::Nearest) {
    parallel_for_balanced(g.batch * OH, grain_for(OW * C), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; r++) {
        const int64_t b = r / OH, i = r % OH;
        const float* xrow = x + (b * g.h + i / g.fh) * g.w * C;
        float* yrow = y + r * OW * C;
        if (C == 1) {
          for (int64_t j = 0; j < OW; j++) yrow[j] = xrow[j / g.fw];
        } else {
          for (int64_t j = 0; j < OW; j++) std::copy(xrow + (j / g.fw) * C, xrow + (j / g.fw + 1) * C, yrow + j * C);
        }
      }
    });
    return;
  }
  const std::vector<Lerp> cols = lerps(OW, g.fw, g.w);
  parallel_for_balanced(g.batch * OH, grain_for(OW * C * 4), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const int64_t b = r / OH;
      const Lerp ly = lerp_at(r % OH, g.fh, g.h);
      const float* top = x + (b * g.h + ly.lo) * g.w * C;
      const float* bot = x + (b * g.h + ly.hi) * g.w * C;
      float* yrow = y + r * OW * C;
      for (int64_t j = 0; j < OW; j++) {
        const Lerp lx = cols[static_cast<size_t>(j)];
        const float *tl = top + lx.lo * C, *tr = top + lx.hi * C, *bl = bot + lx.lo * C, *br = bot + lx.hi * C;
        float* yp = yrow + j * C;
        for (int64_t c = 0; c < C; c++) {
          const float t = tl[c] + (tr[c] - tl[c]) * lx.t;
          const float u = bl[c] + (br[c] - bl[c]) * lx.t;
          yp[c] = t + (u - t) * ly.t;
        }
      }
    }
  });
}

void upsample2d_backward(UpsampleMode mode, const float* gy, const Upsample2dGeom& g, float* gx) {
  const int64_t C = g.c, OH = g.h * g.fh, OW = g.w * g.fw;
  if (g.batch == 0 || g.h == 0 || g.w == 0 || C == 0) return;
  if (mode == UpsampleMode::Nearest) {
    parallel_for_balanced(g.batch * g.h, grain_for(g.w * C * g.fh * g.fw), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; r++) {
        const int64_t b = r / g.h, i = r % g.h;
        float* gxrow = gx + r * g.w * C;
        std::fill(gxrow, gxrow + g.w * C, 0.0f);
        for (int64_t a = 0; a < g.fh; a++) {
          const float* grow = gy + (b * OH + i * g.fh + a) * OW * C;
          for (int64_t j = 0; j < g.w; j++) {
            float* __restrict dst = gxrow + j * C;
            for (int64_t e = 0; e < g.fw; e++) {
              const float* __restrict src = grow + (j * g.fw + e) * C;
              for (int64_t c = 0; c < C; c++) dst[c] += src[c];
            }
          }
        }
      }
    });
    return;
  }
  const std::vector<Lerp> cols = lerps(OW, g.fw, g.w);
  // Output rows scatter into two input rows, so tasks own whole images.
  parallel_for_balanced(g.batch, grain_for(OH * OW * C * 4), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; b++) {
      float* gxb = gx + b * g.h * g.w * C;
      std::fill(gxb, gxb + g.h * g.w * C, 0.0f);
      for (int64_t i = 0; i < OH; i++) {
        const Lerp ly = lerp_at(i, g.fh, g.h);
        float* top = gxb + ly.lo * g.w * C;
        float* bot = gxb + ly.hi * g.w * C;
        const float* grow = gy + (b * OH + i) * OW * C;
        for (int64_t j = 0; j < OW; j++) {
          const Lerp lx = cols[static_cast<size_t>(j)];
          const float* gp = grow + j * C;
          const float wy1 = ly.t, wy0 = 1.0f - ly.t, wx1 = lx.t, wx0 = 1.0f - lx.t;
          for (int64_t c = 0; c < C; c++) {
            const float v = gp[c];
            top[lx.lo * C + c] += v * wy0 * wx0;
            top[lx.hi * C + c] += v * wy0 * wx1;
            bot[lx.lo * C + c] += v * wy1 * wx0;
            bot[lx.hi * C + c] += v * wy1 * wx1;
          }
        }
      }
    }
  });
}

}  // namespace tf::kernels
