// Body of the depthwise kernels (see depthwise.h), compiled once per ISA (tf_kernel_family) with
// DW_LANES the level's register width in floats. Channels run in blocks of DW_LANES, then 8, 4 and
// 1 for the tail (GCC vector extensions of those widths; multiply-adds contract to FMA).
//
// Forward: 3x3 and 5x5 filters with unit column dilation and column stride 1 or 2, and 7x7 ones at
// stride 1, run channel block by channel block over a chunk of rows, P pixels of a row at a time
// (fwd_block): per kernel row
// the (P - 1) * stride + k input columns are loaded once and shared by the P accumulators; border
// pixels run the same blocks with the padded columns as zero registers. The input gradient of a
// stride-1 convolution uses the older pixel-block-outer run_row on its interior. Everything else
// (other sizes, dilated columns) walks a per-pixel list of the taps that are inside the image.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels/common/isa.h"
#include "kernels/conv/depthwise.h"

#if TF_ISA_LEVEL == TF_ISA_AVX512
#define DW_LANES 16
#elif TF_ISA_LEVEL == TF_ISA_AVX2
#define DW_LANES 8
#else
#define DW_LANES 4  // SSE2, the x86-64 baseline
#endif

namespace tf::kernels::depthwise_detail::TF_ISA_NS {
namespace {

constexpr int L = DW_LANES;
// Output pixels per register block. Each pixel's accumulator takes a chain of K * K dependent
// multiply-adds, so the P chains must cover the FMA latency times its issue width (4 x 2 on Zen 3,
// Zen 4 and Intel): fewer than 8 pixels left AVX2 latency-bound (4 pixels at 9 cycles per output
// vector for 3x3, 2 pixels at 25 for 5x5). The blocks walk input columns one at a time (col_taps),
// so only the P accumulators, a kernel row's K filter taps and one input column are live.
constexpr int kPixels = 8;

// The register blocks below must be inlined into their loops: called out of line, the
// accumulators live in memory across the call (5x5 ran at half speed).
#define DW_INLINE inline __attribute__((always_inline))

template <int N>
struct Vec {
  typedef float type __attribute__((vector_size(4 * N)));
};
template <int N>
using V = typename Vec<N>::type;

template <int N>
inline V<N> load(const float* p) {
  V<N> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <int N>
inline void store(float* p, V<N> v) {
  std::memcpy(p, &v, sizeof v);
}

template <int N>
using Lanes = std::integral_constant<int, N>;

// f(Lanes<N>{}, ch) over the channel blocks of [0, c).
template <class F>
inline void for_channel_blocks(int64_t c, F&& f) {
  int64_t ch = 0;
  for (; ch + L <= c; ch += L) f(Lanes<L>{}, ch);
  if constexpr (L > 8) {
    if (ch + 8 <= c) {
      f(Lanes<8>{}, ch);
      ch += 8;
    }
  }
  if constexpr (L > 4) {
    if (ch + 4 <= c) {
      f(Lanes<4>{}, ch);
      ch += 4;
    }
  }
  for (; ch < c; ch++) f(Lanes<1>{}, ch);
}

// Input column Q of a kernel row (xq) into the accumulators of the P pixels that read it: pixel p
// reads columns p * SW .. p * SW + K - 1 with filter tap Q - p * SW. Unrolled over the pixels at
// compile time, so only the live (p, tap) pairs emit a multiply-add.
template <int K, int SW, int N, int Q, int Pi>
DW_INLINE void tap(V<N>* acc, V<N> xq, const V<N>* wv) {
  if constexpr (Q - Pi * SW >= 0 && Q - Pi * SW < K) acc[Pi] += xq * wv[Q - Pi * SW];
}
template <int K, int SW, int N, int Q, int... Ps>
DW_INLINE void col_taps(V<N>* acc, V<N> xq, const V<N>* wv, std::integer_sequence<int, Ps...>) {
  (tap<K, SW, N, Q, Ps>(acc, xq, wv), ...);
}

// One kernel row of a P-pixel block: input columns 0 .. (P - 1) * SW + K - 1 loaded one at a
// time, in order of Q, by col(Q) and passed to col_taps.
template <int K, int SW, int P, int N, class Col, int... Qs>
DW_INLINE void row_taps(V<N>* acc, const V<N>* wv, Col&& col, std::integer_sequence<int, Qs...>) {
  (col_taps<K, SW, N, Qs>(acc, col(std::integral_constant<int, Qs>{}), wv, std::make_integer_sequence<int, P>{}),
   ...);
}

template <int K, int SW, int P, int N, class Col>
DW_INLINE void row_taps(V<N>* acc, const V<N>* wv, Col&& col) {
  row_taps<K, SW, P, N>(acc, wv, col, std::make_integer_sequence<int, (P - 1) * SW + K>{});
}

// Taps of one pixel as (data, filter) pointers at channel 0.
struct Taps {
  std::vector<const float*> data, filt;
  int64_t n = 0;
  void reset(int64_t cap) {
    if (static_cast<int64_t>(data.size()) < cap) {
      data.resize(static_cast<size_t>(cap));
      filt.resize(static_cast<size_t>(cap));
    }
    n = 0;
  }
  void add(const float* d, const float* f) {
    data[n] = d;
    filt[n] = f;
    n++;
  }
};
thread_local Taps t_taps;
// c zeros: the forward's padded taps read them, so that 0 * w propagates a NaN or inf in w as
// the im2col path and the reference do.
thread_local std::vector<float> t_zeros;
const float* zeros(int64_t c) {
  if (static_cast<int64_t>(t_zeros.size()) < c) t_zeros.assign(static_cast<size_t>(c), 0.0f);
  return t_zeros.data();
}

// out[ch..] = init + sum over the taps of data[tap][ch..] * w[tap][ch..] for every channel block.
inline void dot_taps(const Taps& t, const float* bias, int64_t c, float* out) {
  for_channel_blocks(c, [&](auto lanes, int64_t ch) {
    constexpr int N = decltype(lanes)::value;
    V<N> a0 = bias ? load<N>(bias + ch) : V<N>{}, a1{};
    int64_t k = 0;
    for (; k + 2 <= t.n; k += 2) {
      a0 += load<N>(t.data[k] + ch) * load<N>(t.filt[k] + ch);
      a1 += load<N>(t.data[k + 1] + ch) * load<N>(t.filt[k + 1] + ch);
    }
    if (k < t.n) a0 += load<N>(t.data[k] + ch) * load<N>(t.filt[k] + ch);
    store<N>(out + ch, a0 + a1);
  });
}

// The column reader of an interior block: row_taps asks for columns 0, 1, 2, ... in order, so one
// pointer stepped by c replaces (P - 1) * SW + K addresses base + Q * c, which took more general
// registers than x86 has beside the loop's own and spilled them (3x3 blocks ran at ~30% of the
// FMA peak with the operands in L1). Zen 5, 1 thread, same process alternating: 3x3 input
// gradient 144ch 56x56 189 -> 125 us. 5x5 forward blocks measured equal and keep base + Q * c.
template <int N>
DW_INLINE auto next_column(const float* col, int64_t c) {
  return [col, c](auto) mutable {
    const V<N> v = load<N>(col);
    col += c;
    return v;
  };
}

// P pixels of one output row x N channels, K x K filter, column stride SW, unit column dilation.
// rows[r] points at the first input column of the first pixel in the r-th valid kernel row, whose
// filter row starts at wrow[r]. FLIP reads filter column K-1-j for input column j (the input
// gradient of a stride-1 convolution is this correlation with the flipped filter).
template <int K, int SW, int P, int N, bool FLIP>
DW_INLINE void run_block(const float* const* rows, const float* const* wrow, int nr, int64_t c, const float* bias,
                      int64_t ch, float* out) {
  V<N> acc[P];
  const V<N> init = bias ? load<N>(bias + ch) : V<N>{};
  for (int p = 0; p < P; p++) acc[p] = init;
  for (int r = 0; r < nr; r++) {
    const float* xr = rows[r] + ch;
    const float* wr = wrow[r] + ch;
    V<N> wv[K];
    for (int j = 0; j < K; j++) wv[j] = load<N>(wr + (FLIP ? K - 1 - j : j) * c);
    row_taps<K, SW, P, N>(acc, wv, next_column<N>(xr, c));
  }
  for (int p = 0; p < P; p++) store<N>(out + p * c + ch, acc[p]);
}

// Pixels [lo, hi) of a row through run_block; x0 is the first input column of pixel lo.
template <int K, int SW>
constexpr int block_pixels() {
  return kPixels;
}
// Forward blocks on AVX-512: its 32 registers hold 14 accumulators beside a 3x3 filter's 9 vectors
// and an input column, and more pixels per block share each loaded column among more outputs
// (stride 2: 29 columns feed 14 pixels). Zen 5, 1 thread, medians of 7 alternating processes:
// 5x5 480ch 14x14 62.8 -> 51.3 us, 5x5 s2 240ch 28x28 43.9 -> 40.2, 3x3 s2 96ch 112x112 b8
// 3.50 -> 2.79 ms. AVX2's 16 registers stay at 8.
template <int K, int SW>
constexpr int fwd_pixels() {
  return L == 16 ? 14 : kPixels;
}

template <int K, int SW, bool FLIP>
inline void run_row(const float* const* rows_at0, const float* const* wrow, int nr, int64_t c, const float* bias,
                    int64_t lo, int64_t hi, float* yrow) {
  constexpr int kPixels = block_pixels<K, SW>();
  const float* rows[64];
  auto at = [&](int64_t px) {
    for (int r = 0; r < nr; r++) rows[r] = rows_at0[r] + px * SW * c;
  };
  int64_t x = lo;
  for (; x + kPixels <= hi; x += kPixels) {
    at(x);
    for_channel_blocks(c, [&](auto lanes, int64_t ch) {
      run_block<K, SW, kPixels, decltype(lanes)::value, FLIP>(rows, wrow, nr, c, bias, ch, yrow + x * c);
    });
  }
  if (x == hi) return;
  // The last hi - x < kPixels pixels in one block sized to them.
  at(x);
  auto rest = [&](auto pixels) {
    constexpr int PP = decltype(pixels)::value;
    for_channel_blocks(c, [&](auto lanes, int64_t ch) {
      run_block<K, SW, PP, decltype(lanes)::value, FLIP>(rows, wrow, nr, c, bias, ch, yrow + x * c);
    });
  };
  switch (hi - x) {
    case 1: return rest(Lanes<1>{});
    case 2: return rest(Lanes<2>{});
    case 3: return rest(Lanes<3>{});
    case 4: return rest(Lanes<(kPixels > 4 ? 4 : 1)>{});
    case 5: return rest(Lanes<(kPixels > 5 ? 5 : 1)>{});
    case 6: return rest(Lanes<(kPixels > 6 ? 6 : 1)>{});
    default: return rest(Lanes<(kPixels > 7 ? 7 : 1)>{});
  }
}

template <bool FLIP>
inline bool run_fast(int64_t k, int64_t sw, const float* const* rows_at0, const float* const* wrow, int nr, int64_t c,
                     const float* bias, int64_t lo, int64_t hi, float* yrow) {
  if (k == 3 && sw == 1) run_row<3, 1, FLIP>(rows_at0, wrow, nr, c, bias, lo, hi, yrow);
  else if (k == 3 && sw == 2 && !FLIP) run_row<3, 2, FLIP>(rows_at0, wrow, nr, c, bias, lo, hi, yrow);
  else if (k == 5 && sw == 1) run_row<5, 1, FLIP>(rows_at0, wrow, nr, c, bias, lo, hi, yrow);
  else if (k == 5 && sw == 2 && !FLIP) run_row<5, 2, FLIP>(rows_at0, wrow, nr, c, bias, lo, hi, yrow);
  else return false;
  return true;
}

// Prefetches into L2 the input rows that the next oy1 - oy0 output rows add (the caller's next
// chunk, most often) while this chunk computes, in equal slices over `steps` calls of step(). From
// memory the hardware prefetchers lag: a batch-8 layer's images are written long before they are
// read. One burst per channel block (the first form) overran the outstanding-miss queues; slices
// per output row ran mobilenet_v2 b8's 56x56x144 layer at 3.1 instead of 3.4 ms.
class NextRows {
 public:
  NextRows(const ConvShape& s, const float* xn, int64_t oy0, int64_t oy1, int64_t steps, bool on) {
    const int64_t in_row = s.w * s.c;
    const int64_t lo = std::max<int64_t>(0, (oy1 - 1) * s.sh - s.pad_top + (s.kh - 1) * s.dh + 1);
    const int64_t hi = std::min<int64_t>(s.h, (2 * oy1 - oy0 - 1) * s.sh - s.pad_top + (s.kh - 1) * s.dh + 1);
    at_ = reinterpret_cast<const char*>(xn + lo * in_row);
    bytes_ = on && hi > lo ? (hi - lo) * in_row * static_cast<int64_t>(sizeof(float)) : 0;
    slice_ = (bytes_ / std::max<int64_t>(1, steps) + 63) & ~int64_t{63};
  }
  void step() {
    for (const int64_t end = std::min(bytes_, done_ + slice_); done_ < end; done_ += 64) __builtin_prefetch(at_ + done_, 0, 2);
  }

 private:
  const char* at_ = nullptr;
  int64_t bytes_ = 0, slice_ = 0, done_ = 0;
};

// Forward, one channel block [ch, ch + N) of P output pixels of one output row: rows[r] is the
// input row of the r-th valid kernel row at column 0 and channel ch, wrow[r] its filter row. Tap
// (p, j) reads input column base + p * SW + j; a null rows[r] is a padded row (zeros). With EDGE, block columns outside [qlo, qhi) (the
// padding) are zero vectors in registers: the border pixels run the same register-blocked loop as
// the interior, and a padded tap still adds 0 * w (a NaN for a non-finite w, as in the reference).
template <int K, int SW, int P, int N, bool EDGE>
DW_INLINE void fwd_block(const float* const* rows, const float* const* wrow, int nr, int64_t c, V<N> init, int64_t base,
                      int64_t qlo, int64_t qhi, float* out) {
  V<N> acc[P];
  for (int p = 0; p < P; p++) acc[p] = init;
  // Rolled: unrolling the K kernel rows (nr is K in forward_pixels_outer) spread each row's column
  // loads across the rows and spilled accumulators, at half the speed for 5x5.
#pragma GCC unroll 1
  for (int r = 0; r < nr; r++) {
    const float* xr = rows[r];
    const float* wr = wrow[r];
    V<N> wv[K];
    for (int j = 0; j < K; j++) wv[j] = load<N>(wr + j * c);
    if (!xr) {
      // A padded kernel row under a non-finite filter: each pixel adds the row's 0 * w.
      V<N> z{};
      for (int j = 0; j < K; j++) z += V<N>{} * wv[j];
      for (int p = 0; p < P; p++) acc[p] += z;
      continue;
    }
    if constexpr (K == 3 && EDGE) {
      // The block's columns staged with its padding as zeros: the in-register selects compiled to
      // a branch per column and kernel row. Zen 5, 1 thread, 3x3 144ch 56x56 (two of a row's four
      // blocks are edges): 137 -> 102 us with the column walk below. 5x5 and 7x7 measured equal
      // either way and keep the selects.
      constexpr int NC = (P - 1) * SW + K;
      V<N> cols[NC];
      for (int q = 0; q < NC; q++) cols[q] = q < qlo || q >= qhi ? V<N>{} : load<N>(xr + (base + q) * c);
      const V<N>* col = cols;
      row_taps<K, SW, P, N>(acc, wv, [&](auto) { return *col++; });
    } else if constexpr (K == 3) {
      row_taps<K, SW, P, N>(acc, wv, next_column<N>(xr + base * c, c));
    } else {
      row_taps<K, SW, P, N>(acc, wv, [&](auto q) {
        constexpr int Q = decltype(q)::value;
        return EDGE && (Q < qlo || Q >= qhi) ? V<N>{} : load<N>(xr + (base + Q) * c);
      });
    }
  }
  for (int p = 0; p < P; p++) store<N>(out + p * c, acc[p]);
}

// f(Lanes<n>{}) for a block of n pixels, 1 <= n <= P.
template <int P, int I = 1, class F>
inline void with_pixels(int64_t n, F&& f) {
  if constexpr (I >= P) {
    f(Lanes<P>{});
  } else {
    if (n == I) return f(Lanes<I>{});
    with_pixels<P, I + 1>(n, f);
  }
}

// fwd_block with all K kernel rows inside the image and the K * K filter taps already in wk: a
// 3x3 filter's 9 vectors stay in registers across the row's pixel blocks instead of 3 loads per
// kernel row and block.
template <int K, int SW, int P, int N, bool EDGE>
DW_INLINE void fwd_block_full(const float* const* rows, const V<N>* wk, int64_t c, V<N> init, int64_t base, int64_t qlo,
                           int64_t qhi, float* out) {
  V<N> acc[P];
  for (int p = 0; p < P; p++) acc[p] = init;
  for (int r = 0; r < K; r++) {
    const float* xr = rows[r];
    if constexpr (EDGE) {
      row_taps<K, SW, P, N>(acc, wk + r * K, [&](auto q) {
        constexpr int Q = decltype(q)::value;
        return Q < qlo || Q >= qhi ? V<N>{} : load<N>(xr + (base + Q) * c);
      });
    } else {
      row_taps<K, SW, P, N>(acc, wk + r * K, next_column<N>(xr + base * c, c));
    }
  }
  for (int p = 0; p < P; p++) store<N>(out + p * c, acc[p]);
}

// One output row of one channel block, every pixel through fwd_block (out at pixel 0, channel ch).
template <int K, int SW, int N>
inline void fwd_row_block(const float* const* rows, const float* const* wrow, int nr, int64_t c, V<N> init,
                          int64_t w, int64_t pad_left, int64_t ow, float* out) {
  // Stride 1 keeps 8 here: 14 ran mobilenet_v2's 56x56x144 b8 layer at 3.5 instead of 2.7 ms.
  constexpr int P = SW == 1 ? block_pixels<K, SW>() : fwd_pixels<K, SW>();
  // 5x5's 25 filter vectors would not fit the registers with the accumulators: 3x3 only.
  bool full = K == 3 && nr == K;
  for (int r = 0; r < nr; r++) full = full && rows[r];
  V<N> wk[K * K];
  if constexpr (K == 3) {
    if (full)
      for (int r = 0; r < K; r++)
        for (int j = 0; j < K; j++) wk[r * K + j] = load<N>(wrow[r] + j * c);
  }
  for (int64_t x = 0; x < ow; x += P) {
    const int64_t n = std::min<int64_t>(P, ow - x);
    const int64_t base = x * SW - pad_left;
    const int64_t nc = (n - 1) * SW + K;
    const int64_t qlo = std::max<int64_t>(0, -base), qhi = std::min<int64_t>(nc, w - base);
    const bool edge = qlo > 0 || qhi < nc;
    with_pixels<P>(n, [&](auto pixels) {
      constexpr int PP = decltype(pixels)::value;
      if constexpr (K == 3) {
        if (full) {
          if (edge) fwd_block_full<K, SW, PP, N, true>(rows, wk, c, init, base, qlo, qhi, out + x * c);
          else fwd_block_full<K, SW, PP, N, false>(rows, wk, c, init, base, qlo, qhi, out + x * c);
          return;
        }
      }
      if (edge) {
        fwd_block<K, SW, PP, N, true>(rows, wrow, nr, c, init, base, qlo, qhi, out + x * c);
      } else {
        fwd_block<K, SW, PP, N, false>(rows, wrow, nr, c, init, base, qlo, qhi, out + x * c);
      }
    });
  }
}

// Output rows [oy0, oy1) of image xn into y (row oy0). 3x3 and 5x5 filters with unit column
// dilation and column stride 1 or 2 run channel block by channel block (outer) over all rows and
// pixels (inner): NHWC puts one pixel's channels in one run, so a block's K input rows x W
// columns are K * W cache lines 4 * C bytes apart, which stay in L1 while every output pixel of the
// block reads them. With pixels outer and channel blocks inner, each block's loads touched a new
// line of a working set of K rows x all channels (100+ KB: L2), and the overlapping columns of
// neighbouring pixel blocks were fetched from L2 again. Other shapes, and rows with a padded
// kernel row under a non-finite filter, walk a per-pixel list of taps.
template <int K, int SW>
void forward_fast(const ConvShape& s, const float* xn, const float* w, const float* bias, int64_t oy0, int64_t oy1,
                  float* y) {
  const int64_t c = s.c;
  const int64_t row = s.ow * c;
  // Blocks outer read a line of each pixel per block, 4 * C bytes apart, which the hardware
  // prefetchers follow poorly from L3 or memory: a 3x3 stride-2 96-channel 112x112 layer ran at half
  // the speed of the pixel-outer order until the next rows were prefetched.
  NextRows next(s, xn, oy0, oy1, (c + L - 1) / L * (oy1 - oy0), true);
  for_channel_blocks(c, [&](auto lanes, int64_t ch) {
    constexpr int N = decltype(lanes)::value;
    const V<N> init = bias ? load<N>(bias + ch) : V<N>{};
    // Padded taps add exact zeros under a finite filter and are skipped; a block whose filter holds
    // a NaN or inf keeps its padded rows (as zeros) for the 0 * w. v - v is 0 unless v is NaN or inf.
    V<N> chk{};
    for (int64_t i = 0; i < s.kh * s.kw; i++) {
      const V<N> v = load<N>(w + i * c + ch);
      chk += v - v;
    }
    bool finite = true;
    for (int l = 0; l < N; l++) finite = finite && chk[l] == 0.0f;
    for (int64_t oy = oy0; oy < oy1; oy++) {
      next.step();
      const int64_t y0 = oy * s.sh - s.pad_top;
      const float* rows[64];
      const float* wrow[64];
      int nr = 0;
      for (int64_t i = 0; i < s.kh; i++) {
        const int64_t iy = y0 + i * s.dh;
        const bool in = iy >= 0 && iy < s.h;
        if (!in && finite) continue;
        rows[nr] = in ? xn + iy * s.w * c + ch : nullptr;
        wrow[nr] = w + i * s.kw * c + ch;
        nr++;
      }
      fwd_row_block<K, SW, N>(rows, wrow, nr, c, init, s.w, s.pad_left, s.ow, y + (oy - oy0) * row + ch);
    }
  });
}

// Forward over output rows [oy0, oy1), pixel blocks outer and channel blocks inner: a block's
// K rows x (P - 1) * SW + K columns of all channels (a few KB to tens of KB) stay in L1 while
// every channel block reads them, and the rows are read in address order. Preferred unless the
// image is large (see forward_rows). Padded kernel rows are passed as null rows (0 * w), so no
// scan of the filter for NaN or inf is needed.
template <int K, int SW>
void forward_pixels_outer(const ConvShape& s, const float* xn, const float* w, const float* bias, int64_t oy0,
                          int64_t oy1, float* y, bool prefetch) {
  const int64_t c = s.c;
  constexpr int P = fwd_pixels<K, SW>();
  NextRows next(s, xn, oy0, oy1, (oy1 - oy0) * ((s.ow + P - 1) / P), prefetch);
  for (int64_t oy = oy0; oy < oy1; oy++) {
    const int64_t y0 = oy * s.sh - s.pad_top;
    const float* rows0[K];
    for (int i = 0; i < K; i++) {
      const int64_t iy = y0 + i * s.dh;
      rows0[i] = iy >= 0 && iy < s.h ? xn + iy * s.w * c : nullptr;
    }
    float* out = y + (oy - oy0) * s.ow * c;
    for (int64_t x = 0; x < s.ow; x += P) {
      const int64_t n = std::min<int64_t>(P, s.ow - x);
      const int64_t base = x * SW - s.pad_left;
      const int64_t nc = (n - 1) * SW + K;
      const int64_t qlo = std::max<int64_t>(0, -base), qhi = std::min<int64_t>(nc, s.w - base);
      const bool edge = qlo > 0 || qhi < nc;
      next.step();
      with_pixels<P>(n, [&](auto pixels) {
        constexpr int PP = decltype(pixels)::value;
        for_channel_blocks(c, [&](auto lanes, int64_t ch) {
          constexpr int N = decltype(lanes)::value;
          const V<N> init = bias ? load<N>(bias + ch) : V<N>{};
          const float* rows[K];
          const float* wrow[K];
          for (int i = 0; i < K; i++) {
            rows[i] = rows0[i] ? rows0[i] + ch : nullptr;
            wrow[i] = w + i * K * c + ch;
          }
          if (edge) fwd_block<K, SW, PP, N, true>(rows, wrow, K, c, init, base, qlo, qhi, out + x * c + ch);
          else fwd_block<K, SW, PP, N, false>(rows, wrow, K, c, init, base, qlo, qhi, out + x * c + ch);
        });
      });
    }
  }
}


// No NaN or inf in w[0, n).
bool all_finite(const float* w, int64_t n) {
  V<L> chk{};
  int64_t i = 0;
  for (; i + L <= n; i += L) {
    const V<L> v = load<L>(w + i);
    chk += v - v;
  }
  float tail = 0.0f;
  for (; i < n; i++) tail += w[i] - w[i];
  bool finite = tail == 0.0f;
  for (int l = 0; l < L; l++) finite = finite && chk[l] == 0.0f;
  return finite;
}

void forward_rows(const ConvShape& s, const float* xn, const float* w, const float* bias, int64_t oy0, int64_t oy1,
                  float* y) {
  if (s.kh == s.kw && s.dw == 1 && s.kh <= 64) {
    // Where the input comes from decides the order. Per depthwise layer of mobilenet_v2 and
    // efficientnet_b0 in the network (AVX2, 1 thread, medians of 3-4 alternating runs):
    // - batch 1 (input just written, in L2/L3): pixels outer won every layer, 112x112x96 0.32 vs
    //   0.36 ms, 56x56x144 0.22 vs 0.26, most of all small images with many channels (7x7x960 0.040
    //   vs 0.059), whose channel-outer walk reads one line per pixel 4 * C bytes apart;
    // - batch 8 (a batch beyond ~8 MB comes from memory): channels outer won on images beyond
    //   ~1.5 MB (112x112x96 4.2 vs 4.8 ms, 56x56x144 3.1 vs 4.2), pixels outer on the rest. There
    //   prefetching the next chunk paid (112x112x96 pixels outer 4.8 vs 5.9 ms), but it cost a third
    //   on a 112x112x96 input still in L3 (0.23 vs 0.17 ms): only batches beyond 8 MB prefetch.
    const int64_t image = s.h * s.w * s.c * static_cast<int64_t>(sizeof(float));
    const int64_t batch = image * s.n;
    const bool from_memory = batch > (int64_t{8} << 20);
    if (!(from_memory && image > (int64_t{3} << 19) && s.c >= 64)) {
      if (s.kw == 3 && s.sw == 1) return forward_pixels_outer<3, 1>(s, xn, w, bias, oy0, oy1, y, from_memory);
      if (s.kw == 3 && s.sw == 2) return forward_pixels_outer<3, 2>(s, xn, w, bias, oy0, oy1, y, from_memory);
      if (s.kw == 5 && s.sw == 1) return forward_pixels_outer<5, 1>(s, xn, w, bias, oy0, oy1, y, from_memory);
      if (s.kw == 5 && s.sw == 2) return forward_pixels_outer<5, 2>(s, xn, w, bias, oy0, oy1, y, from_memory);
      if (s.kw == 7 && s.sw == 1) return forward_pixels_outer<7, 1>(s, xn, w, bias, oy0, oy1, y, from_memory);
    }
    if (s.kw == 3 && s.sw == 1) return forward_fast<3, 1>(s, xn, w, bias, oy0, oy1, y);
    if (s.kw == 3 && s.sw == 2) return forward_fast<3, 2>(s, xn, w, bias, oy0, oy1, y);
    if (s.kw == 5 && s.sw == 1) return forward_fast<5, 1>(s, xn, w, bias, oy0, oy1, y);
    if (s.kw == 5 && s.sw == 2) return forward_fast<5, 2>(s, xn, w, bias, oy0, oy1, y);
    // ConvNeXt's 7x7 (stride 1): the per-pixel tap list ran at half onnxruntime's speed.
    if (s.kw == 7 && s.sw == 1) return forward_fast<7, 1>(s, xn, w, bias, oy0, oy1, y);
  }
  const int64_t c = s.c;
  const int64_t row = s.ow * c;
  // Padded taps: skipped for a finite w (they add exact zeros), else 0 * w.
  const bool w_finite = all_finite(w, s.kh * s.kw * c);
  Taps& t = t_taps;
  const float* zero = zeros(c);
  for (int64_t oy = oy0; oy < oy1; oy++) {
    const int64_t y0 = oy * s.sh - s.pad_top;
    float* yrow = y + (oy - oy0) * row;
    for (int64_t ox = 0; ox < s.ow; ox++) {
      t.reset(s.kh * s.kw);
      for (int64_t i = 0; i < s.kh; i++) {
        const int64_t iy = y0 + i * s.dh;
        const bool row_in = iy >= 0 && iy < s.h;
        for (int64_t j = 0; j < s.kw; j++) {
          const int64_t ix = ox * s.sw - s.pad_left + j * s.dw;
          const bool in = row_in && ix >= 0 && ix < s.w;
          if (in || !w_finite) t.add(in ? xn + (iy * s.w + ix) * c : zero, w + (i * s.kw + j) * c);
        }
      }
      dot_taps(t, bias, c, yrow + ox * c);
    }
  }
}

void input_row(const ConvShape& s, const float* dyn, const float* w, int64_t iy, float* dxrow) {
  const int64_t c = s.c;
  Taps& t = t_taps;
  auto pixel = [&](int64_t ix) {
    t.reset(s.kh * s.kw);
    for (int64_t i = 0; i < s.kh; i++) {
      const int64_t ny = iy + s.pad_top - i * s.dh;
      if (ny < 0 || ny % s.sh != 0 || ny / s.sh >= s.oh) continue;
      const int64_t oy = ny / s.sh;
      for (int64_t j = 0; j < s.kw; j++) {
        const int64_t nx = ix + s.pad_left - j * s.dw;
        if (nx < 0 || nx % s.sw != 0 || nx / s.sw >= s.ow) continue;
        t.add(dyn + (oy * s.ow + nx / s.sw) * c, w + (i * s.kw + j) * c);
      }
    }
    dot_taps(t, nullptr, c, dxrow + ix * c);
  };
  // Stride 1, unit column dilation: dx is the correlation of dy with the flipped filter. Input
  // column ix reads dy columns ix + pad_left - (kw - 1) .. ix + pad_left, all inside for [lo, hi).
  if (s.sh == 1 && s.sw == 1 && s.dw == 1 && s.kh == s.kw && s.kh <= 64 && (s.kw == 3 || s.kw == 5)) {
    const int64_t lo = std::min(s.w, std::max<int64_t>(0, s.kw - 1 - s.pad_left));
    const int64_t hi = std::max(lo, std::min(s.w, s.ow - s.pad_left));
    const float* rows_at0[64];
    const float* wrow[64];
    int nr = 0;
    for (int64_t i = 0; i < s.kh; i++) {
      const int64_t oy = iy + s.pad_top - i * s.dh;
      if (oy < 0 || oy >= s.oh) continue;
      rows_at0[nr] = dyn + (oy * s.ow + s.pad_left - (s.kw - 1)) * c;
      wrow[nr] = w + i * s.kw * c;
      nr++;
    }
    int64_t ix = 0;
    for (; ix < lo; ix++) pixel(ix);
    if (hi > lo) {
      run_fast<true>(s.kw, 1, rows_at0, wrow, nr, c, nullptr, lo, hi, dxrow);
      ix = hi;
    }
    for (; ix < s.w; ix++) pixel(ix);
    return;
  }
  for (int64_t ix = 0; ix < s.w; ix++) pixel(ix);
}

// acc[j][ch..] += sum over output columns ox in [lo, hi) of x(column ox * sw + j) * dy(ox) for
// j < K: the K taps of one kernel row share each dy load. x0 is the input at column lo * sw - pad.
template <int K>
inline void filter_taps_row(const float* x0, int64_t xstep, const float* dp0, int64_t c, int64_t n, float* acc) {
  for_channel_blocks(c, [&](auto lanes, int64_t ch) {
    constexpr int N = decltype(lanes)::value;
    V<N> a[K];
    for (int j = 0; j < K; j++) a[j] = V<N>{};
    const float* xp = x0 + ch;
    const float* dp = dp0 + ch;
    for (int64_t q = 0; q < n; q++) {
      const V<N> d = load<N>(dp + q * c);
      for (int j = 0; j < K; j++) a[j] += load<N>(xp + q * xstep + j * c) * d;
    }
    for (int j = 0; j < K; j++) store<N>(acc + j * c + ch, load<N>(acc + j * c + ch) + a[j]);
  });
}

void filter_row(const ConvShape& s, const float* xn, const float* dyrow, int64_t oy, float* acc) {
  const int64_t c = s.c;
  const int64_t xstep = s.sw * c;
  // Output columns whose tap j is inside: 0 <= ox * sw - pad_left + j * dw < w.
  auto cols = [&](int64_t j, int64_t& lo, int64_t& hi) {
    const int64_t first = s.pad_left - j * s.dw;  // ox * sw >= first
    lo = first <= 0 ? 0 : (first + s.sw - 1) / s.sw;
    const int64_t last = s.w - 1 + s.pad_left - j * s.dw;  // ox * sw <= last
    hi = last < 0 ? 0 : std::min(s.ow, last / s.sw + 1);
  };
  const bool fast = s.dw == 1 && (s.kw == 3 || s.kw == 5);
  int64_t in_lo = 0, in_hi = 0;  // columns where every tap of a row is inside (fast path)
  if (fast) {
    int64_t l0, h0, l1, h1;
    cols(0, l0, h0);
    cols(s.kw - 1, l1, h1);
    in_lo = std::max(l0, l1);
    in_hi = std::max(in_lo, std::min(h0, h1));
  }
  for (int64_t i = 0; i < s.kh; i++) {
    const int64_t iy = oy * s.sh - s.pad_top + i * s.dh;
    if (iy < 0 || iy >= s.h) continue;
    const float* xrow = xn + iy * s.w * c;
    float* arow = acc + i * s.kw * c;
    if (fast && in_hi > in_lo) {
      const float* x0 = xrow + (in_lo * s.sw - s.pad_left) * c;
      if (s.kw == 3) filter_taps_row<3>(x0, xstep, dyrow + in_lo * c, c, in_hi - in_lo, arow);
      else filter_taps_row<5>(x0, xstep, dyrow + in_lo * c, c, in_hi - in_lo, arow);
    }
    for (int64_t j = 0; j < s.kw; j++) {
      int64_t lo, hi;
      cols(j, lo, hi);
      // The columns the fast path did not cover: [lo, in_lo) and [in_hi, hi).
      const int64_t skip_lo = fast && in_hi > in_lo ? std::max(lo, in_lo) : hi;
      const int64_t skip_hi = fast && in_hi > in_lo ? std::min(hi, in_hi) : hi;
      float* a = arow + j * c;
      auto range = [&](int64_t q0, int64_t q1) {
        if (q1 <= q0) return;
        const float* x0 = xrow + (q0 * s.sw - s.pad_left + j * s.dw) * c;
        for_channel_blocks(c, [&](auto lanes, int64_t ch) {
          constexpr int N = decltype(lanes)::value;
          V<N> a0{}, a1{}, a2{}, a3{};
          const float* xp = x0 + ch;
          const float* dp = dyrow + q0 * c + ch;
          int64_t q = 0;
          const int64_t n = q1 - q0;
          for (; q + 4 <= n; q += 4) {
            a0 += load<N>(xp + q * xstep) * load<N>(dp + q * c);
            a1 += load<N>(xp + (q + 1) * xstep) * load<N>(dp + (q + 1) * c);
            a2 += load<N>(xp + (q + 2) * xstep) * load<N>(dp + (q + 2) * c);
            a3 += load<N>(xp + (q + 3) * xstep) * load<N>(dp + (q + 3) * c);
          }
          for (; q < n; q++) a0 += load<N>(xp + q * xstep) * load<N>(dp + q * c);
          store<N>(a + ch, load<N>(a + ch) + ((a0 + a1) + (a2 + a3)));
        });
      };
      if (skip_hi > skip_lo) {
        range(lo, skip_lo);
        range(skip_hi, hi);
      } else {
        range(lo, hi);
      }
    }
  }
}

}  // namespace

const DepthwiseKernels& table() {
  static const DepthwiseKernels k{forward_rows, input_row, filter_row};
  return k;
}

}  // namespace tf::kernels::depthwise_detail::TF_ISA_NS
