// Body of the direct small-k convolution kernels (see conv_direct.h), compiled once per ISA
// (tf_kernel_family, see common/isa.h) with CONV_VEC_BYTES the level's register width (64, 32 or
// 16). Channel blocks of 16 floats are 16 / L GCC vector-extension registers of L floats
// (multiply-adds contract to FMA under gnu++17).
#include <algorithm>
#include <cstdint>

#include "kernels/common/isa.h"
#include "kernels/conv/conv_direct.h"

#if TF_ISA_LEVEL == TF_ISA_AVX512
#define CONV_VEC_BYTES 64
#elif TF_ISA_LEVEL == TF_ISA_AVX2
#define CONV_VEC_BYTES 32
#else
#define CONV_VEC_BYTES 16  // SSE2, the x86-64 baseline
#endif

namespace tf::kernels::conv_detail::TF_ISA_NS {

typedef float vf __attribute__((vector_size(CONV_VEC_BYTES)));
typedef float vfu __attribute__((vector_size(CONV_VEC_BYTES), aligned(4), may_alias));
constexpr int L = CONV_VEC_BYTES / 4;
constexpr int V16 = 16 / L;  // registers per 16-channel block
inline vf loadv(const float* p) { return *reinterpret_cast<const vfu*>(p); }
inline void storev(float* p, vf v) { *reinterpret_cast<vfu*>(p) = v; }

#if CONV_VEC_BYTES == 64
// Eight channels in one half-width register: the channel tail of 8 that a 16-lane target would
// otherwise compute channel by channel (PyTorch-style stems often have 8 filters). Only the 16-lane
// build needs it (narrower targets cover 8 channels with full registers).
typedef float v8 __attribute__((vector_size(32)));
inline v8 load8(const float* p) {
  v8 v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
inline void store8(float* p, v8 v) { __builtin_memcpy(p, &v, sizeof v); }
#endif

// Gathers the k = kh * kw * c inputs of output pixel p (zero where padded) into col.
inline void gather(const ConvShape& s, const float* xn, int64_t p, float* col) {
  const int64_t oy = p / s.ow, ox = p % s.ow, c = s.c;
  for (int64_t i = 0; i < s.kh; i++) {
    const int64_t iy = oy * s.sh - s.pad_top + i * s.dh;
    const bool row_in = iy >= 0 && iy < s.h;
    for (int64_t j = 0; j < s.kw; j++) {
      const int64_t ix = ox * s.sw - s.pad_left + j * s.dw;
      if (row_in && ix >= 0 && ix < s.w) {
        const float* src = xn + (iy * s.w + ix) * c;
        for (int64_t ci = 0; ci < c; ci++) col[ci] = src[ci];
      } else {
        for (int64_t ci = 0; ci < c; ci++) col[ci] = 0.0f;
      }
      col += c;
    }
  }
}

// Tap offsets relative to an interior pixel's first input, and the walk over output pixels:
// pixels whose whole window is inside the image load through the table, the rest through gather.
struct Walker {
  const ConvShape& s;
  const float* xn;
  int64_t k, oy, ox;
  int64_t off[kDirectMaxK];
  int64_t y_lo, y_hi, x_lo, x_hi;  // interior output rows / columns: [lo, hi)

  Walker(const ConvShape& sh, const float* x, int64_t p0) : s(sh), xn(x), k(sh.kh * sh.kw * sh.c), oy(p0 / sh.ow), ox(p0 % sh.ow) {
    int64_t t = 0;
    for (int64_t i = 0; i < s.kh; i++)
      for (int64_t j = 0; j < s.kw; j++)
        for (int64_t ci = 0; ci < s.c; ci++) off[t++] = (i * s.dh * s.w + j * s.dw) * s.c + ci;
    // oy * sh - pad_top >= 0 and oy * sh - pad_top + (kh - 1) * dh < h; likewise for x.
    y_lo = (s.pad_top + s.sh - 1) / s.sh;
    const int64_t ylim = s.h - 1 - (s.kh - 1) * s.dh + s.pad_top;  // oy * sh <= ylim
    y_hi = ylim < 0 ? 0 : ylim / s.sh + 1;
    x_lo = (s.pad_left + s.sw - 1) / s.sw;
    const int64_t xlim = s.w - 1 - (s.kw - 1) * s.dw + s.pad_left;
    x_hi = xlim < 0 ? 0 : xlim / s.sw + 1;
  }
  // Writes the current pixel's k inputs to col and advances to the next pixel.
  void next(float* col) {
    if (oy >= y_lo && oy < y_hi && ox >= x_lo && ox < x_hi) {
      const float* base = xn + ((oy * s.sh - s.pad_top) * s.w + (ox * s.sw - s.pad_left)) * s.c;
      for (int64_t t = 0; t < k; t++) col[t] = base[off[t]];
    } else {
      gather(s, xn, oy * s.ow + ox, col);
    }
    if (++ox == s.ow) {
      ox = 0;
      oy++;
    }
  }
};

template <int CB>
inline void forward_block(int64_t k, const float* col, const float* w, int64_t ldw, const float* bias,
                          bool relu, float* out) {
  constexpr int B = CB / L;
  const vf zero = {};
  vf acc[B];
  for (int b = 0; b < B; b++) acc[b] = bias ? loadv(bias + L * b) : zero;
  for (int64_t t = 0; t < k; t++) {
    const float xv = col[t];
    const float* wr = w + t * ldw;
    for (int b = 0; b < B; b++) acc[b] += xv * loadv(wr + L * b);
  }
  if (relu) {
    for (int b = 0; b < B; b++) acc[b] = acc[b] < zero ? zero : acc[b];  // keeps NaN, as the GEMM
  }
  for (int b = 0; b < B; b++) storev(out + L * b, acc[b]);
}

// One output pixel through the gathered column (border pixels, whose window crosses the padding).
inline void forward_pixel(const ConvShape& s, const float* col, const float* w, const float* bias, bool relu,
                          float* out) {
  const int64_t k = s.kh * s.kw * s.c, cout = s.cout;
  int64_t o = 0;
  for (; o + 32 <= cout; o += 32) forward_block<32>(k, col, w + o, cout, bias ? bias + o : nullptr, relu, out + o);
  for (; o + 16 <= cout; o += 16) forward_block<16>(k, col, w + o, cout, bias ? bias + o : nullptr, relu, out + o);
  for (; o < cout; o++) {
    float a = bias ? bias[o] : 0.0f;
    for (int64_t t = 0; t < k; t++) a += col[t] * w[t * cout + o];
    out[o] = relu && a < 0.0f ? 0.0f : a;
  }
}

// P interior output pixels (input windows xb + p * xstep + off[t]) x B * L channels: each tap's
// filter row is loaded once for P pixels and each input is broadcast once for B registers, so
// the loop runs P * B independent multiply-add chains with no gather into a column buffer.
template <int P, int B>
inline void forward_run(const float* xb, int64_t xstep_arg, const int64_t* off, int64_t k, const float* w,
                        int64_t ldw, const float* bias, bool relu, float* out, int64_t ldo) {
  // Unit stride over one channel (xstep_arg == 0 passed for 1): the pixel loads then use constant
  // displacements instead of a chain of address adds.
  const int64_t xstep = xstep_arg == 0 ? 1 : xstep_arg;
  vf acc[P][B];
  for (int b = 0; b < B; b++) {
    const vf init = bias ? loadv(bias + L * b) : vf{};
    for (int p = 0; p < P; p++) acc[p][b] = init;
  }
  for (int64_t t = 0; t < k; t++) {
    vf wv[B];
    for (int b = 0; b < B; b++) wv[b] = loadv(w + t * ldw + L * b);
    const float* xt = xb + off[t];
    for (int p = 0; p < P; p++) {
      const float xv = xt[p * xstep];
      for (int b = 0; b < B; b++) acc[p][b] += xv * wv[b];
    }
  }
  const vf zero = {};
  for (int p = 0; p < P; p++)
    for (int b = 0; b < B; b++) {
      const vf v = relu ? (acc[p][b] < zero ? zero : acc[p][b]) : acc[p][b];  // keeps NaN, as the GEMM
      storev(out + p * ldo + L * b, v);
    }
}

#if CONV_VEC_BYTES == 64
// P interior pixels x 8 channels with half-width registers (see v8); otherwise as forward_run.
template <int P>
inline void forward_run8(const float* xb, int64_t xstep, const int64_t* off, int64_t k, const float* w, int64_t ldw,
                         const float* bias, bool relu, float* out, int64_t ldo) {
  v8 acc[P];
  const v8 init = bias ? load8(bias) : v8{};
  for (int p = 0; p < P; p++) acc[p] = init;
  for (int64_t t = 0; t < k; t++) {
    const v8 wv = load8(w + t * ldw);
    const float* xt = xb + off[t];
    for (int p = 0; p < P; p++) acc[p] += xt[p * xstep] * wv;
  }
  const v8 zero = {};
  for (int p = 0; p < P; p++) store8(out + p * ldo, relu ? (acc[p] < zero ? zero : acc[p]) : acc[p]);
}
#endif

// Pixels per register block: P * 2 accumulators plus 2 filter registers and a broadcast fit the
// register file (32 zmm, 16 ymm / xmm).
constexpr int kRunPixels = L >= 16 ? 8 : 4;

// Output columns [lo, hi) of one row, all inside the image: channel blocks of 2L, then L, run
// kRunPixels pixels at a time, then one narrower block for the rest of the row; channels past
// the last L block go through the column, pixel by pixel.
inline void forward_interior(const ConvShape& s, const float* row, const int64_t* off, const float* w,
                             const float* bias, bool relu, int64_t lo, int64_t hi, float* yrow) {
  const int64_t k = s.kh * s.kw * s.c, cout = s.cout, xstep = s.sw * s.c;
  const int64_t ldy = s.ldy != 0 ? s.ldy : cout;  // output pixel stride (a channel slice when wider)
  constexpr int P = kRunPixels;
  const int64_t vec_cout = cout / L * L;
  auto run = [&](auto pixels_tag, auto blocks_tag, int64_t x, int64_t o) {
    constexpr int PP = decltype(pixels_tag)::value, BB = decltype(blocks_tag)::value;
    if (xstep == 1) {
      forward_run<PP, BB>(row + x, 0, off, k, w + o, cout, bias ? bias + o : nullptr, relu, yrow + x * ldy + o, ldy);
    } else {
      forward_run<PP, BB>(row + x * xstep, xstep, off, k, w + o, cout, bias ? bias + o : nullptr, relu,
                          yrow + x * ldy + o, ldy);
    }
  };
  using P_t = std::integral_constant<int, P>;
  using B2 = std::integral_constant<int, 2>;
  using B1 = std::integral_constant<int, 1>;
  // The last rem < P pixels of a row run a block sized to them.
  auto tail = [&](auto blocks_tag, int64_t x, int64_t o) {
    switch (hi - x) {
      case 1: return run(std::integral_constant<int, 1>{}, blocks_tag, x, o);
      case 2: return run(std::integral_constant<int, 2>{}, blocks_tag, x, o);
      case 3: return run(std::integral_constant<int, 3>{}, blocks_tag, x, o);
      case 4: return run(std::integral_constant<int, (P > 4 ? 4 : 1)>{}, blocks_tag, x, o);
      case 5: return run(std::integral_constant<int, (P > 5 ? 5 : 1)>{}, blocks_tag, x, o);
      case 6: return run(std::integral_constant<int, (P > 6 ? 6 : 1)>{}, blocks_tag, x, o);
      default: return run(std::integral_constant<int, (P > 7 ? 7 : 1)>{}, blocks_tag, x, o);
    }
  };
  int64_t o = 0;
  for (; o + 2 * L <= vec_cout; o += 2 * L) {
    int64_t x = lo;
    for (; x + P <= hi; x += P) run(P_t{}, B2{}, x, o);
    if (x < hi) tail(B2{}, x, o);
  }
  for (; o < vec_cout; o += L) {
    int64_t x = lo;
    for (; x + P <= hi; x += P) run(P_t{}, B1{}, x, o);
    if (x < hi) tail(B1{}, x, o);
  }
#if CONV_VEC_BYTES == 64
  if (o + 8 <= cout) {
    int64_t x = lo;
    const float* b8 = bias ? bias + o : nullptr;
    for (; x + 8 <= hi; x += 8) forward_run8<8>(row + x * xstep, xstep, off, k, w + o, cout, b8, relu, yrow + x * ldy + o, ldy);
    for (; x < hi; x++) forward_run8<1>(row + x * xstep, xstep, off, k, w + o, cout, b8, relu, yrow + x * ldy + o, ldy);
    o += 8;
  }
#endif
  if (o == cout) return;
  // Channels [o, cout): per pixel through the column.
  alignas(64) float col[kDirectMaxK];
  alignas(64) float full[4 * L];
  for (int64_t x = lo; x < hi; x++) {
    const float* base = row + x * xstep;
    for (int64_t t = 0; t < k; t++) col[t] = base[off[t]];
    if (o == 0) {
      forward_pixel(s, col, w, bias, relu, yrow + x * ldy);
      continue;
    }
    for (int64_t oo = o; oo < cout; oo++) {
      float a = bias ? bias[oo] : 0.0f;
      for (int64_t t = 0; t < k; t++) a += col[t] * w[t * cout + oo];
      full[oo - o] = relu && a < 0.0f ? 0.0f : a;
    }
    for (int64_t oo = o; oo < cout; oo++) yrow[x * ldy + oo] = full[oo - o];
  }
}

void forward(const ConvShape& s, const float* xn, const float* w, const float* bias, bool relu, int64_t p0,
             int64_t r, float* y) {
  const int64_t ldy = s.ldy != 0 ? s.ldy : s.cout;  // output pixel stride
  alignas(64) float col[kDirectMaxK];
  Walker walk(s, xn, p0);  // for the tap offsets and the interior bounds
  const int64_t end = p0 + r;
  for (int64_t p = p0; p < end;) {
    const int64_t oy = p / s.ow, xs = p % s.ow, xe = std::min<int64_t>(s.ow, xs + (end - p));
    float* yrow = y + (p - p0 - xs) * ldy;  // column ox of this row is yrow + ox * ldy
    int64_t lo = xs, hi = xs;
    if (oy >= walk.y_lo && oy < walk.y_hi) {
      lo = std::max(xs, walk.x_lo);
      hi = std::max(lo, std::min(xe, walk.x_hi));
    }
    for (int64_t ox = xs; ox < xe; ox++) {
      if (ox == lo && hi > lo) {
        const float* row = xn + ((oy * s.sh - s.pad_top) * s.w - s.pad_left) * s.c;
        forward_interior(s, row, walk.off, w, bias, relu, lo, hi, yrow);
        ox = hi - 1;
        continue;
      }
      gather(s, xn, oy * s.ow + ox, col);
      forward_pixel(s, col, w, bias, relu, yrow + ox * ldy);
    }
    p += xe - xs;
  }
}

// acc[t0 + tt, o0 + 0..15] += sum_q cols[q, t0 + tt] * dy[q, o0 + 0..15] for tt < NT.
template <int NT, int NB>
inline void filter_block(int64_t r, const float* cols, int64_t k, const float* dy, int64_t ldy, float* acc,
                         int64_t ldacc) {
  constexpr int W = NB * V16;  // registers across NB blocks of 16 output channels
  vf a[NT][W];
  for (int tt = 0; tt < NT; tt++)
    for (int b = 0; b < W; b++) a[tt][b] = vf{};
  for (int64_t q = 0; q < r; q++) {
    vf d[W];
    for (int b = 0; b < W; b++) d[b] = loadv(dy + q * ldy + L * b);
    const float* cp = cols + q * k;
    for (int tt = 0; tt < NT; tt++)
      for (int b = 0; b < W; b++) a[tt][b] += cp[tt] * d[b];
  }
  for (int tt = 0; tt < NT; tt++)
    for (int b = 0; b < W; b++) storev(acc + tt * ldacc + L * b, loadv(acc + tt * ldacc + L * b) + a[tt][b]);
}

// NT taps x NB * 16 channels of accumulators: 12 ymm on AVX2 (6 taps, one block); AVX-512 holds a
// 16-channel block in one zmm, so 12 taps x 2 blocks (24 zmm): a 3x3 single-channel filter
// (k = 9) over 32 output channels is then one pass over cols and dy instead of four.
constexpr int kFilterTaps = V16 == 1 ? 12 : 6;
constexpr int kFilterBlocks = V16 == 1 ? 2 : 1;

template <int NB>
void filter_taps(int64_t taps, int64_t r, const float* c0, int64_t k, const float* dy, int64_t ldy, float* a0) {
  switch (taps) {
    case 12: filter_block<12, NB>(r, c0, k, dy, ldy, a0, ldy); break;
    case 11: filter_block<11, NB>(r, c0, k, dy, ldy, a0, ldy); break;
    case 10: filter_block<10, NB>(r, c0, k, dy, ldy, a0, ldy); break;
    case 9: filter_block<9, NB>(r, c0, k, dy, ldy, a0, ldy); break;
    case 8: filter_block<8, NB>(r, c0, k, dy, ldy, a0, ldy); break;
    case 7: filter_block<7, NB>(r, c0, k, dy, ldy, a0, ldy); break;
    case 6: filter_block<6, NB>(r, c0, k, dy, ldy, a0, ldy); break;
    case 5: filter_block<5, NB>(r, c0, k, dy, ldy, a0, ldy); break;
    case 4: filter_block<4, NB>(r, c0, k, dy, ldy, a0, ldy); break;
    case 3: filter_block<3, NB>(r, c0, k, dy, ldy, a0, ldy); break;
    case 2: filter_block<2, NB>(r, c0, k, dy, ldy, a0, ldy); break;
    default: filter_block<1, NB>(r, c0, k, dy, ldy, a0, ldy); break;
  }
}

void filter(const ConvShape& s, const float* xn, const float* dy, int64_t p0, int64_t r, float* cols,
            float* acc) {
  const int64_t k = s.kh * s.kw * s.c, cout = s.cout;
  Walker walk(s, xn, p0);
  for (int64_t q = 0; q < r; q++) walk.next(cols + q * k);
  int64_t o = 0;
  for (; o + 16 <= cout;) {
    const bool wide = kFilterBlocks == 2 && o + 32 <= cout;
    for (int64_t t0 = 0; t0 < k; t0 += kFilterTaps) {
      const int64_t taps = std::min<int64_t>(kFilterTaps, k - t0);
      if (wide) filter_taps<kFilterBlocks>(taps, r, cols + t0, k, dy + o, cout, acc + t0 * cout + o);
      else filter_taps<1>(taps, r, cols + t0, k, dy + o, cout, acc + t0 * cout + o);
    }
    o += wide ? 32 : 16;
  }
  for (; o < cout; o++) {
    for (int64_t t = 0; t < k; t++) {
      float a = 0.0f;
      for (int64_t q = 0; q < r; q++) a += cols[q * k + t] * dy[q * cout + o];
      acc[t * cout + o] += a;
    }
  }
}

// dx[q, :] for input pixels i0 + q, q < r, of one image (overwritten): the adjoint gathered per
// input pixel, dx[p, ci] = sum over taps (i, j) that some output pixel o reads p through and over
// channels co of dy[o, co] * w[i, j, ci, co]. Needs cout % 16 == 0. dyn is the image's dy, dx
// points at pixel i0's row.
template <bool kUnitStride>
void input_impl(const ConvShape& s, const float* dyn, const float* w, int64_t i0, int64_t r, float* dx) {
  const int64_t c = s.c, cout = s.cout;
  const int64_t sh = kUnitStride ? 1 : s.sh, sw = kUnitStride ? 1 : s.sw;
  int64_t iy = i0 / s.w, ix = i0 % s.w;
  for (int64_t q = 0; q < r; q++) {
    for (int64_t ci = 0; ci < c; ci++) {
      vf acc[V16];
      for (int b = 0; b < V16; b++) acc[b] = vf{};
      for (int64_t i = 0; i < s.kh; i++) {
        const int64_t ny = iy + s.pad_top - i * s.dh;
        if (ny < 0 || ny % sh != 0 || ny / sh >= s.oh) continue;
        const int64_t oy = ny / sh;
        for (int64_t j = 0; j < s.kw; j++) {
          const int64_t nx = ix + s.pad_left - j * s.dw;
          if (nx < 0 || nx % sw != 0 || nx / sw >= s.ow) continue;
          const float* d = dyn + (oy * s.ow + nx / sw) * cout;
          const float* wr = w + ((i * s.kw + j) * c + ci) * cout;
          for (int64_t o = 0; o < cout; o += 16)
            for (int b = 0; b < V16; b++) acc[b] += loadv(d + o + L * b) * loadv(wr + o + L * b);
        }
      }
      vf t = acc[0];
      for (int b = 1; b < V16; b++) t += acc[b];
      float sum = 0.0f;
      for (int l = 0; l < L; l++) sum += t[l];
      dx[q * c + ci] = sum;
    }
    if (++ix == s.w) {
      ix = 0;
      iy++;
    }
  }
}

typedef int vi __attribute__((vector_size(CONV_VEC_BYTES)));

// Lanes of x and y in blocks of H: block B of the result is the sum of the two halves of the
// 2H-lane group B / 2 of x (B even) or y (B odd).
template <int H>
inline vf fold(vf x, vf y) {
  vi lo, hi;
  for (int k = 0; k < L; k++) {
    const int b = k / H, u = k % H;
    lo[k] = (b / 2) * 2 * H + u + (b % 2 ? L : 0);
    hi[k] = lo[k] + H;
  }
  return __builtin_shuffle(x, y, lo) + __builtin_shuffle(x, y, hi);
}

// a[0 .. N) folded pairwise (i, i + N / 2), halving the lane groups each step: with N = L the
// result's lane p is the lane sum of a[p]; with N = L / 2 its lanes 2p, 2p + 1 add up to it.
template <int N, int H>
inline void fold_step(vf* a) {
  if constexpr (N > 1) {
    for (int i = 0; i < N / 2; i++) a[i] = fold<H>(a[i], a[i + N / 2]);
    fold_step<N / 2, H / 2>(a);
  }
}

// dx[ix .. ix + P) (P = L or L / 2) of one row, all of whose taps are inside dy: tap t reads dy
// at base + off[t] + p * cout (pixel p) against the filter row wt[t].
template <int P>
inline void input_block(const float* base, const int64_t* off, const float* const* wt, int64_t nt,
                        int64_t cout, float* out) {
  vf a[P];
  for (int p = 0; p < P; p++) a[p] = vf{};
  for (int64_t t = 0; t < nt; t++) {
    const float* d = base + off[t];
    const float* wr = wt[t];
    for (int64_t o = 0; o < cout; o += L) {
      const vf wv = loadv(wr + o);
      for (int p = 0; p < P; p++) a[p] += loadv(d + p * cout + o) * wv;
    }
  }
  fold_step<P, L / 2>(a);
  if constexpr (P == L) {
    storev(out, a[0]);
  } else {
    vi ev, od;
    for (int k = 0; k < L; k++) {
      ev[k] = (2 * k) % L;
      od[k] = (2 * k + 1) % L;
    }
    const vf e = __builtin_shuffle(a[0], ev) + __builtin_shuffle(a[0], od);
    for (int p = 0; p < P; p++) out[p] = e[p];
  }
}

// One input pixel (Cin == 1, unit stride) with the tap validity checked per tap.
inline float input_pixel(const ConvShape& s, const float* dyn, const float* w, int64_t iy, int64_t ix) {
  const int64_t cout = s.cout;
  vf a0{}, a1{};
  for (int64_t i = 0; i < s.kh; i++) {
    const int64_t oy = iy + s.pad_top - i * s.dh;
    if (oy < 0 || oy >= s.oh) continue;
    for (int64_t j = 0; j < s.kw; j++) {
      const int64_t ox = ix + s.pad_left - j * s.dw;
      if (ox < 0 || ox >= s.ow) continue;
      const float* d = dyn + (oy * s.ow + ox) * cout;
      const float* wr = w + (i * s.kw + j) * cout;
      int64_t o = 0;
      for (; o + 2 * L <= cout; o += 2 * L) {
        a0 += loadv(d + o) * loadv(wr + o);
        a1 += loadv(d + o + L) * loadv(wr + o + L);
      }
      for (; o < cout; o += L) a0 += loadv(d + o) * loadv(wr + o);
    }
  }
  const vf t = a0 + a1;
  float sum = 0.0f;
  for (int l = 0; l < L; l++) sum += t[l];
  return sum;
}

// Cin == 1, unit stride: per input row, the valid row taps are listed once; the columns whose
// taps are all inside dy run L pixels at a time (one filter load per L multiply-adds, L
// independent accumulators reduced together), the edge columns pixel by pixel.
void input_unit_c1(const ConvShape& s, const float* dyn, const float* w, int64_t i0, int64_t r, float* dx) {
  const int64_t cout = s.cout;
  const int64_t xa = std::max<int64_t>(0, (s.kw - 1) * s.dw - s.pad_left);
  const int64_t xb = std::min<int64_t>(s.w, s.ow - s.pad_left);
  int64_t off[kDirectMaxK];
  const float* wt[kDirectMaxK];
  const int64_t end = i0 + r;
  for (int64_t p = i0; p < end;) {
    const int64_t iy = p / s.w, xs = p % s.w, xe = std::min<int64_t>(s.w, xs + (end - p));
    float* out = dx + (p - i0) - xs;  // column ix of this row
    int64_t nt = 0;
    for (int64_t i = 0; i < s.kh; i++) {
      const int64_t oy = iy + s.pad_top - i * s.dh;
      if (oy < 0 || oy >= s.oh) continue;
      for (int64_t j = 0; j < s.kw; j++) {
        off[nt] = (oy * s.ow + s.pad_left - j * s.dw) * cout;
        wt[nt] = w + (i * s.kw + j) * cout;
        nt++;
      }
    }
    const int64_t lo = std::max(xs, xa), hi = std::min(xe, xb);
    int64_t ix = xs;
    if (hi - lo >= L) {
      for (; ix < lo; ix++) out[ix] = input_pixel(s, dyn, w, iy, ix);
      for (; ix + L <= hi; ix += L) input_block<L>(dyn + ix * cout, off, wt, nt, cout, out + ix);
      if constexpr (L >= 16) {
        if (ix + L / 2 <= hi) {
          input_block<L / 2>(dyn + ix * cout, off, wt, nt, cout, out + ix);
          ix += L / 2;
        }
      }
      if (ix < hi) {
        input_block<L>(dyn + (hi - L) * cout, off, wt, nt, cout, out + hi - L);  // overlaps, same values
        ix = hi;
      }
    }
    for (; ix < xe; ix++) out[ix] = input_pixel(s, dyn, w, iy, ix);
    p += xe - xs;
  }
}

void input(const ConvShape& s, const float* dyn, const float* w, int64_t i0, int64_t r, float* dx) {
  if (s.sh == 1 && s.sw == 1 && s.c == 1) {
    input_unit_c1(s, dyn, w, i0, r, dx);
  } else if (s.sh == 1 && s.sw == 1) {
    input_impl<true>(s, dyn, w, i0, r, dx);
  } else {
    input_impl<false>(s, dyn, w, i0, r, dx);
  }
}

const DirectKernels& table() {
  static const DirectKernels k{forward, filter, input};
  return k;
}

}  // namespace tf::kernels::conv_detail::TF_ISA_NS
