// Body of the max-pool forward rows (see pool_internal.h), compiled once per ISA
// (tf_kernel_family, see common/isa.h) with POOL_VEC_BYTES the level's register width (64, 32
// or 16).
#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/common/isa.h"
#include "kernels/pool/pool_internal.h"

#if TF_ISA_LEVEL == TF_ISA_AVX512
#define POOL_VEC_BYTES 64
#elif TF_ISA_LEVEL == TF_ISA_AVX2
#define POOL_VEC_BYTES 32
#else
#define POOL_VEC_BYTES 16  // SSE2, the x86-64 baseline
#endif

namespace tf::kernels::pool_detail::TF_ISA_NS {


typedef float vf __attribute__((vector_size(POOL_VEC_BYTES)));
typedef float vfu __attribute__((vector_size(POOL_VEC_BYTES), aligned(4), may_alias));
constexpr int L = POOL_VEC_BYTES / 4;
inline vf loadv(const float* p) { return *reinterpret_cast<const vfu*>(p); }
inline void storev(float* p, vf v) { *reinterpret_cast<vfu*>(p) = v; }

// NaN wins, as in the scalar rule: a larger value or a NaN takes over, a NaN already held stays.
inline vf vmax(vf m, vf v) { return ((v > m) | (v != v)) ? v : m; }
inline float smax(float m, float v) { return (v > m || v != v) ? v : m; }

// B registers of channels [c, c + B * L) of one window. The window's first cell seeds the
// maximum and is then visited again with the others (max(m, m) == m, NaN included), so the cell
// loop needs no test for it.
template <int B>
inline void window_max(const float* first, int64_t row_step, int64_t nh, int64_t nw, int64_t cstep, float* out) {
  vf m[B];
  for (int b = 0; b < B; b++) m[b] = loadv(first + L * b);
  for (int64_t hh = 0; hh < nh; hh++) {
    const float* xp = first + hh * row_step;
    for (int64_t ww = 0; ww < nw; ww++, xp += cstep)
      for (int b = 0; b < B; b++) m[b] = vmax(m[b], loadv(xp + L * b));
  }
  for (int b = 0; b < B; b++) storev(out + L * b, m[b]);
}

// One window's maximum over W (8 or 4) channels in one narrower register: the channel tail of a
// wider target (8 or 4 channels per pixel are common in small CNNs; per channel it is ~10x slower).
template <int W>
inline void window_max_tail(const float* first, int64_t row_step, int64_t nh, int64_t nw, int64_t cstep, float* out) {
  typedef float vw __attribute__((vector_size(4 * W)));
  vw m;
  __builtin_memcpy(&m, first, sizeof(vw));
  for (int64_t hh = 0; hh < nh; hh++) {
    const float* xp = first + hh * row_step;
    for (int64_t ww = 0; ww < nw; ww++, xp += cstep) {
      vw v;
      __builtin_memcpy(&v, xp, sizeof(vw));
      m = ((v > m) | (v != v)) ? v : m;
    }
  }
  __builtin_memcpy(out, &m, sizeof(vw));
}

// Overlapping windows (SqueezeNet's 3x3 stride 2) split into a vertical pass, each input column's
// maximum over the output row's window rows, then a horizontal one over those column maxima: with
// kw > sw the column maxima are shared by neighbouring windows, so a 3x3 / 2 window costs ~3.5
// vector maxima per output instead of 9. The maximum of a set is the same whatever the order (a
// NaN anywhere still wins), so both ways give the same values.
void max_rows_separable(const Pool2dGeom& g, const float* x, float* y, int64_t r0, int64_t r1) {
  const int64_t C = g.c, row_step = g.w * C;
  const int64_t c_lo = std::max<int64_t>(0, -g.pl), c_hi = std::min(g.w, (g.ow - 1) * g.sw - g.pl + g.kw);
  thread_local std::vector<float> cols;
  if (static_cast<int64_t>(cols.size()) < g.w * C) cols.resize(static_cast<size_t>(g.w * C));
  float* t = cols.data();
  for (int64_t r = r0; r < r1; r++) {
    const int64_t b = r / g.oh, i = r % g.oh;
    const float* xb = x + b * g.h * row_step;
    const int64_t h0 = i * g.sh - g.pt;
    const int64_t h_lo = std::max<int64_t>(h0, 0), h_hi = std::min(h0 + g.kh, g.h);
    const float* x0 = xb + h_lo * row_step;
    for (int64_t col = c_lo; col < c_hi; col++) {
      const float* xp = x0 + col * C;
      float* tp = t + col * C;
      for (int64_t c = 0; c < C; c += L) {
        vf m = loadv(xp + c);
        for (int64_t hh = 1; hh < h_hi - h_lo; hh++) m = vmax(m, loadv(xp + hh * row_step + c));
        storev(tp + c, m);
      }
    }
    for (int64_t j = 0; j < g.ow; j++) {
      const int64_t w0 = j * g.sw - g.pl;
      const int64_t w_lo = std::max<int64_t>(w0, 0), w_hi = std::min(w0 + g.kw, g.w);
      const float* first = t + w_lo * C;
      float* yp = y + (r * g.ow + j) * C;
      for (int64_t c = 0; c < C; c += L) {
        vf m = loadv(first + c);
        for (int64_t ww = 1; ww < w_hi - w_lo; ww++) m = vmax(m, loadv(first + ww * C + c));
        storev(yp + c, m);
      }
    }
  }
}

// 2x2 windows inside the image (the pools of most CNNs), W channels at a time: the maximum as a
// tree, max(max(a, b), max(c, d)), in plain maxima (x > m ? x : m, one vmaxps), instead of the
// NaN-winning chain that walks a, a, b, c, d through a compare, a mask merge and a blend each. The
// chain's five dependent steps per output vector ran the tutorial CNN's 26x26x32 pool at ~60
// cycles per output pixel. Without NaNs the tree gives the chain's values (ties keep the earlier
// cell: -0 before +0). NaN cells are caught by a running sum of the cells (NaN if any is, or if
// infinities of both signs meet), checked once per span; the caller then redoes the span with the
// chain, which keeps the last NaN it meets.
template <int W>
struct Lanes {
  typedef float type __attribute__((vector_size(4 * W)));
};
template <int W>
inline void max_2x2(const float* first, int64_t row_step, int64_t C, int64_t c, float* out, typename Lanes<W>::type& sums) {
  // Through a class template: a vector_size that depends on W directly is not a vector while the
  // template is parsed.
  using vw = typename Lanes<W>::type;
  vw a, b, d0, d1;
  __builtin_memcpy(&a, first + c, sizeof(vw));
  __builtin_memcpy(&b, first + C + c, sizeof(vw));
  __builtin_memcpy(&d0, first + row_step + c, sizeof(vw));
  __builtin_memcpy(&d1, first + row_step + C + c, sizeof(vw));
  const vw top = b > a ? b : a;
  const vw bottom = d1 > d0 ? d1 : d0;
  const vw m = bottom > top ? bottom : top;
  __builtin_memcpy(out + c, &m, sizeof(vw));
  sums += (a + b) + (d0 + d1);
}

template <int W>
inline bool has_nan(typename Lanes<W>::type v) {
  bool nan = false;
  for (int l = 0; l < W; l++) nan |= v[l] != v[l];
  return nan;
}

// n output pixels of one row, sw * C floats apart, each a 2x2 window inside the image starting at
// first; channels a multiple of 4. Returns true when a cell may be NaN (the span must be redone).
inline bool max_2x2_span(const float* first, int64_t row_step, int64_t C, int64_t step, int64_t n, float* yp) {
  typename Lanes<L>::type sl{};
  typename Lanes<8>::type s8{};
  typename Lanes<4>::type s4{};
  for (int64_t j = 0; j < n; j++, first += step, yp += C) {
    int64_t c = 0;
    for (; c + L <= C; c += L) max_2x2<L>(first, row_step, C, c, yp, sl);
#if POOL_VEC_BYTES == 64
    if (c + 8 <= C) {
      max_2x2<8>(first, row_step, C, c, yp, s8);
      c += 8;
    }
#endif
#if POOL_VEC_BYTES >= 32
    if (c + 4 <= C) max_2x2<4>(first, row_step, C, c, yp, s4);
#endif
  }
  return has_nan<L>(sl) || has_nan<8>(s8) || has_nan<4>(s4);
}

void max_rows(const Pool2dGeom& g, const float* x, float* y, int64_t r0, int64_t r1) {
  const int64_t C = g.c;
  if (C % L == 0 && g.kh > 1 && g.kw > g.sw) return max_rows_separable(g, x, y, r0, r1);
  const bool two_by_two = g.kh == 2 && g.kw == 2 && C % 4 == 0;
  for (int64_t r = r0; r < r1; r++) {
    const int64_t b = r / g.oh, i = r % g.oh;
    const float* xb = x + b * g.h * g.w * C;
    const int64_t h0 = i * g.sh - g.pt;
    const int64_t h_lo = std::max<int64_t>(h0, 0), h_hi = std::min(h0 + g.kh, g.h);
    // Output columns [f_lo, f_hi) whose 2x2 window lies inside the image take the tree.
    int64_t f_lo = 0, f_hi = 0;
    if (two_by_two && h_hi - h_lo == 2) {
      f_lo = std::min(g.ow, (g.pl + g.sw - 1) / g.sw);
      f_hi = std::max(f_lo, std::min(g.ow, g.w - 2 + g.pl >= 0 ? (g.w - 2 + g.pl) / g.sw + 1 : 0));
      if (f_hi > f_lo && max_2x2_span(xb + (h_lo * g.w + f_lo * g.sw - g.pl) * C, g.w * C, C, g.sw * C, f_hi - f_lo,
                                      y + (r * g.ow + f_lo) * C))
        f_hi = f_lo;
    }
    for (int64_t j = 0; j < g.ow; j++) {
      if (j == f_lo && f_hi > f_lo) {
        j = f_hi - 1;
        continue;
      }
      const int64_t w0 = j * g.sw - g.pl;
      const int64_t w_lo = std::max<int64_t>(w0, 0), w_hi = std::min(w0 + g.kw, g.w);
      const float* first = xb + (h_lo * g.w + w_lo) * C;
      float* yp = y + (r * g.ow + j) * C;
      const int64_t nh = h_hi - h_lo, nw = w_hi - w_lo, row_step = g.w * C;
      int64_t c = 0;
      for (; c + 2 * L <= C; c += 2 * L) window_max<2>(first + c, row_step, nh, nw, C, yp + c);
      for (; c + L <= C; c += L) window_max<1>(first + c, row_step, nh, nw, C, yp + c);
#if POOL_VEC_BYTES == 64
      if (c + 8 <= C) {
        window_max_tail<8>(first + c, row_step, nh, nw, C, yp + c);
        c += 8;
      }
#endif
#if POOL_VEC_BYTES >= 32
      if (c + 4 <= C) {
        window_max_tail<4>(first + c, row_step, nh, nw, C, yp + c);
        c += 4;
      }
#endif
      for (; c < C; c++) {
        float m = first[c];
        for (int64_t hh = 0; hh < nh; hh++)
          for (int64_t ww = 0; ww < nw; ww++) m = smax(m, first[hh * row_step + ww * C + c]);
        yp[c] = m;
      }
    }
  }
}

// Channels-first planes (c == 1): a window per output cell would run one scalar max chain per
// cell, ~10x the channels-last time. Instead each output row takes the vertical maximum of its
// window rows across the whole width (vector loads along w), then a sliding horizontal maximum at
// stride 1 over that row padded with -inf (the identity of the NaN-winning max, so padded cells act
// as skipped ones: every window holds a valid cell), then every sw-th column.
void max_plane_rows(const Pool2dGeom& g, const float* x, float* y, int64_t r0, int64_t r1, float* scratch) {
  const int64_t W = g.w;
  // The padded row: pl cells of -inf, the W columns, and enough -inf after for the last window.
  const int64_t span = (g.ow - 1) * g.sw + g.kw;
  const int64_t padded = std::max<int64_t>(span, g.pl + W);
  float* row = scratch;  // [padded]
  const float ninf = -__builtin_inff();
  for (int64_t r = r0; r < r1; r++) {
    const int64_t b = r / g.oh, i = r % g.oh;
    const float* xb = x + b * g.h * W;
    const int64_t h0 = i * g.sh - g.pt;
    const int64_t h_lo = std::max<int64_t>(h0, 0), h_hi = std::min(h0 + g.kh, g.h);
    for (int64_t k = 0; k < g.pl; k++) row[k] = ninf;
    for (int64_t k = g.pl + W; k < padded; k++) row[k] = ninf;
    float* mid = row + g.pl;
    const float* first = xb + h_lo * W;
    int64_t c = 0;
    for (; c + L <= W; c += L) {
      vf m = loadv(first + c);
      for (int64_t hh = h_lo + 1; hh < h_hi; hh++) m = vmax(m, loadv(xb + hh * W + c));
      storev(mid + c, m);
    }
    for (; c < W; c++) {
      float m = first[c];
      for (int64_t hh = h_lo + 1; hh < h_hi; hh++) m = smax(m, xb[hh * W + c]);
      mid[c] = m;
    }
    float* yr = y + r * g.ow;
    // At stride 1 the sliding maximum is the output row itself.
    float* slide = g.sw == 1 ? yr : scratch + padded;  // [span - kw + 1]
    const int64_t ns = span - g.kw + 1;
    int64_t k = 0;
    for (; k + L <= ns; k += L) {
      vf m = loadv(row + k);
      for (int64_t t = 1; t < g.kw; t++) m = vmax(m, loadv(row + k + t));
      storev(slide + k, m);
    }
    for (; k < ns; k++) {
      float m = row[k];
      for (int64_t t = 1; t < g.kw; t++) m = smax(m, row[k + t]);
      slide[k] = m;
    }
    if (g.sw != 1)
      for (int64_t j = 0; j < g.ow; j++) yr[j] = slide[j * g.sw];
  }
}

// Max-pool input gradient for windows that do not overlap (stride >= window in both directions:
// the 2x2 / 2 pools of most CNNs). Every input cell then belongs to at most one window, so each
// output row i writes its own band of input rows in full, [i * sh - pt, (i + 1) * sh - pt) (the
// first band from row 0, the last to row h): its window cells get the gradient where the window's
// arg-max is (0 + gy, as the accumulating form gives: -0 becomes +0) and 0 elsewhere; cells
// outside every window get 0. One pass of stores instead of a zero fill and a scalar scatter.
void max_backward_rows(const Pool2dGeom& g, const float* x, const float* gy, float* gx, int64_t r0, int64_t r1) {
  const int64_t C = g.c, row_step = g.w * C;
  auto band = [](int64_t i, int64_t n, int64_t s, int64_t pad, int64_t len, int64_t& lo, int64_t& hi) {
    lo = i == 0 ? 0 : std::clamp<int64_t>(i * s - pad, 0, len);
    hi = i == n - 1 ? len : std::clamp<int64_t>((i + 1) * s - pad, 0, len);
  };
  const vf zero{};
  for (int64_t r = r0; r < r1; r++) {
    const int64_t b = r / g.oh, i = r % g.oh;
    const float* xb = x + b * g.h * row_step;
    float* gxb = gx + b * g.h * row_step;
    int64_t rlo, rhi;
    band(i, g.oh, g.sh, g.pt, g.h, rlo, rhi);
    const int64_t h0 = i * g.sh - g.pt;
    const int64_t h_lo = std::max<int64_t>(h0, 0), h_hi = std::min(h0 + g.kh, g.h);
    for (int64_t hh = rlo; hh < rhi; hh++)
      if (hh < h_lo || hh >= h_hi) std::fill(gxb + hh * row_step, gxb + (hh + 1) * row_step, 0.0f);
    for (int64_t j = 0; j < g.ow; j++) {
      int64_t clo, chi;
      band(j, g.ow, g.sw, g.pl, g.w, clo, chi);
      const int64_t w0 = j * g.sw - g.pl;
      const int64_t w_lo = std::max<int64_t>(w0, 0), w_hi = std::min(w0 + g.kw, g.w);
      const int64_t nh = h_hi - h_lo, nw = w_hi - w_lo;
      for (int64_t hh = h_lo; hh < h_hi; hh++) {
        float* row = gxb + hh * row_step;
        std::fill(row + clo * C, row + w_lo * C, 0.0f);
        std::fill(row + w_hi * C, row + chi * C, 0.0f);
      }
      const float* first = xb + (h_lo * g.w + w_lo) * C;
      float* gfirst = gxb + (h_lo * g.w + w_lo) * C;
      const float* gp = gy + (r * g.ow + j) * C;
      int64_t c = 0;
      for (; c + L <= C; c += L) {
        // The arg-max as the cell's window position (a float: exact for any window size here).
        vf best = loadv(first + c), arg = zero;
        for (int64_t hh = 0; hh < nh; hh++)
          for (int64_t ww = 0; ww < nw; ww++) {
            const vf v = loadv(first + hh * row_step + ww * C + c);
            const vf cell = zero + static_cast<float>(hh * nw + ww);
            const auto take = (v > best) | (v != v);
            best = take ? v : best;
            arg = take ? cell : arg;
          }
        const vf grad = loadv(gp + c) + 0.0f;
        for (int64_t hh = 0; hh < nh; hh++)
          for (int64_t ww = 0; ww < nw; ww++) {
            const vf cell = zero + static_cast<float>(hh * nw + ww);
            storev(gfirst + hh * row_step + ww * C + c, arg == cell ? grad : zero);
          }
      }
      for (; c < C; c++) {
        float best = first[c];
        int64_t arg = 0;
        for (int64_t hh = 0; hh < nh; hh++)
          for (int64_t ww = 0; ww < nw; ww++) {
            const float v = first[hh * row_step + ww * C + c];
            if (v > best || v != v) {
              best = v;
              arg = hh * nw + ww;
            }
          }
        for (int64_t q = 0; q < nh * nw; q++) gfirst[(q / nw) * row_step + (q % nw) * C + c] = q == arg ? gp[c] + 0.0f : 0.0f;
      }
    }
  }
}

const Kernels& table() {
  static const Kernels k{max_rows, max_plane_rows, max_backward_rows};
  return k;
}

}  // namespace tf::kernels::pool_detail::TF_ISA_NS
