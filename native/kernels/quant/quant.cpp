// Driver of the integer kernels: picks the ISA copy, splits work over the thread pool, lowers
// convolutions to the GEMM core (x itself for 1x1 stride-1 filters, im2col tiles otherwise) or to
// the depthwise taps, and computes dynamic quantization parameters. Baseline x86-64 code only:
// every SIMD instruction lives behind quant_internal.h.
#include "kernels/quant/quant.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/common/cpu_features.h"
#include "kernels/common/thread_pool.h"
#include "kernels/quant/quant_internal.h"

namespace tf::kernels {
namespace {

using quant_detail::QuantKernels;
using quant_detail::RowEpilogue;

const QuantKernels& active_table() {
  switch (simd_level()) {
    case SimdLevel::Avx512:
      return cpu_has_avx512_vnni() ? quant_detail::avx512vnni::table() : quant_detail::avx512::table();
    case SimdLevel::Avx2: return quant_detail::avx2::table();
    default: return quant_detail::scalar::table();
  }
}

// Integer multiply-adds are ~4x cheaper than float ones on VNNI, so a split pays from about four
// times the float GEMM's thresholds (gemm.cpp: 1e6 flops cold, 2e5 with the workers polling).
constexpr double kParallelOps = 4.0e6;
constexpr double kParallelOpsWarm = 8.0e5;
double parallel_ops() { return pool_warm() ? kParallelOpsWarm : kParallelOps; }
// Weight panels kept hot in L2 while the activation strips stream past them.
constexpr int64_t kPanelBlockBytes = 256 * 1024;
// Rows of an im2col tile per task.
constexpr int64_t kConvTileRows = 96;
constexpr int64_t kQuantizeGrain = 1 << 15;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// One GEMM (or one group of a convolution): out[i][j] (row stride ldc) for rows of a (stride lda).
struct GemmJob {
  const uint8_t* a;
  int64_t lda;
  int64_t k;
  uint8_t xor_mask;
  const int8_t* bp;    // packed weights of this GEMM
  int64_t n;           // its columns
  RowEpilogue e;       // arrays offset to this GEMM's first column
  float* out_f32;      // row 0, column 0 of this GEMM's output
  uint8_t* out_u8;
  int64_t ldc;
};

thread_local std::vector<uint8_t> t_pad;
thread_local std::vector<const uint8_t*> t_rows;

// Rows [i0, i1) x panels [p0, p1) of g's output on the calling thread, the depth being `segments`
// runs of `groups` 4-deep groups. fill(i, nrows, rows) points rows[s * mr + r] at the activations
// of output row i + r in segment s (rows past nrows: any valid row) and returns the xor mask.
template <typename Fill>
void tile_block(const QuantKernels& T, const GemmJob& g, int64_t segments, int64_t groups, int64_t i0, int64_t i1,
                int64_t p0, int64_t p1, Fill&& fill) {
  const int64_t ps = segments * groups * 64;
  const int64_t mr = T.mr;
  const int64_t block = std::max<int64_t>(T.max_panels, kPanelBlockBytes / ps / T.max_panels * T.max_panels);
  alignas(64) int32_t acc[quant_detail::kMaxTileRows * 64];
  std::vector<const uint8_t*>& rows = t_rows;
  rows.resize(static_cast<size_t>(segments * mr));
  for (int64_t pb = p0; pb < p1; pb += block) {
    const int64_t pe = std::min(p1, pb + block);
    for (int64_t i = i0; i < i1; i += mr) {
      const int64_t nrows = std::min(mr, i1 - i);
      const uint8_t xm = fill(i, nrows, rows.data());
      for (int64_t p = pb; p < pe; p += T.max_panels) {
        const int panels = static_cast<int>(std::min<int64_t>(T.max_panels, pe - p));
        const int64_t j0 = p * kQuantPanel;
        const int64_t o = i * g.ldc + j0;
        quant_detail::TileOutput out{g.e, g.out_f32 ? g.out_f32 + o : nullptr, g.out_u8 ? g.out_u8 + o : nullptr, g.ldc,
                                     nrows, std::min<int64_t>(panels * kQuantPanel, g.n - j0)};
        out.e.zero_correction += j0;
        out.e.mult += j0;
        out.e.bias += j0;
        T.kernel(segments, groups, rows.data(), xm, g.bp + p * ps, ps, panels, acc, &out);
      }
    }
  }
}

// Rows [i0, i1) x panels [p0, p1) of the GEMM job on the calling thread.
void gemm_block(const QuantKernels& T, const GemmJob& g, int64_t i0, int64_t i1, int64_t p0, int64_t p1) {
  const int64_t groups = ceil_div(g.k, 4);
  const int64_t mr = T.mr;
  // A depth that is not a whole number of 4-deep groups: each strip is copied, zero-padded and
  // already in the uint8 domain, so the kernels only ever read whole groups.
  const bool pad = g.k % 4 != 0;
  const int64_t ld = groups * 4;
  if (pad) t_pad.resize(static_cast<size_t>(mr * ld));
  tile_block(T, g, 1, groups, i0, i1, p0, p1, [&](int64_t i, int64_t nrows, const uint8_t** rows) {
    // Rows past the end repeat the last one: computed, never stored.
    for (int64_t r = 0; r < mr; ++r) rows[r] = g.a + std::min(i + r, i + nrows - 1) * g.lda;
    if (!pad) return g.xor_mask;
    for (int64_t r = 0; r < mr; ++r) {
      uint8_t* d = t_pad.data() + r * ld;
      for (int64_t p = 0; p < g.k; ++p) d[p] = rows[r][p] ^ g.xor_mask;
      std::memset(d + g.k, 0, static_cast<size_t>(ld - g.k));
      rows[r] = d;
    }
    return uint8_t{0};
  });
}

// Splits a GEMM over the pool along rows, or along weight panels when there are too few row tiles.
void gemm_run(const QuantKernels& T, const GemmJob& g, int64_t m) {
  const int64_t panels = ceil_div(g.n, kQuantPanel);
  const int threads = num_threads();
  const double ops = 2.0 * static_cast<double>(m) * static_cast<double>(g.n) * static_cast<double>(g.k);
  if (threads <= 1 || ops < parallel_ops()) {
    gemm_block(T, g, 0, m, 0, panels);
    return;
  }
  const int64_t tiles_m = ceil_div(m, T.mr);
  const int64_t tiles_n = ceil_div(panels, T.max_panels);
  // Each thread reads all the weights when rows are split; prefer that unless rows are too few.
  const bool split_m = tiles_m >= 2 * threads || tiles_m >= tiles_n;
  const int64_t tiles = split_m ? tiles_m : tiles_n;
  const int64_t parts = std::min<int64_t>(threads, tiles);
  if (parts < 2) {
    gemm_block(T, g, 0, m, 0, panels);
    return;
  }
  parallel_for(parts, 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t t0 = tiles * t / parts, t1 = tiles * (t + 1) / parts;
      if (split_m) {
        gemm_block(T, g, t0 * T.mr, std::min(t1 * T.mr, m), 0, panels);
      } else {
        gemm_block(T, g, 0, m, t0 * T.max_panels, std::min(t1 * T.max_panels, panels));
      }
    }
  });
}

// float(scale_a * scale_b[j]) and the bias (zeros without one), per call.
struct CallConsts {
  std::vector<float> mult;
  std::vector<float> bias;
  std::vector<int32_t> zero_correction;
};

thread_local CallConsts t_consts;
thread_local std::vector<uint8_t> t_cols;
thread_local std::vector<int32_t> t_dw_acc;

RowEpilogue make_epilogue(const QuantEpilogue& ep, int64_t n, int32_t a_zero_point) {
  CallConsts& c = t_consts;
  c.mult.resize(static_cast<size_t>(n));
  c.bias.resize(static_cast<size_t>(n));
  c.zero_correction.resize(static_cast<size_t>(n));
  for (int64_t j = 0; j < n; ++j) {
    c.mult[j] = ep.scale_a * ep.scale_b[j];
    c.bias[j] = ep.bias != nullptr ? ep.bias[j] : 0.0f;
    // Wrapping: the product may exceed int32; acc - it is exact (quant.h).
    c.zero_correction[j] = static_cast<int32_t>(static_cast<uint32_t>(a_zero_point) * static_cast<uint32_t>(ep.col_sums[j]));
  }
  return RowEpilogue{c.zero_correction.data(), c.mult.data(), c.bias.data(), static_cast<int>(ep.activation),
                     ep.out_scale, ep.out_zero_point};
}

int64_t packed_bytes(int64_t k, int64_t n) { return ceil_div(n, kQuantPanel) * ceil_div(k, 4) * kQuantPanel * 4; }

void depthwise(const QuantKernels& T, const QConvShape& s, const uint8_t* x, uint8_t xm, int32_t zx, const int8_t* w,
               const RowEpilogue& e, const QuantEpilogue& ep) {
  const int64_t mult = s.cout / s.c;
  const int64_t out_rows = s.n * s.oh;
  auto run = [&](int64_t r0, int64_t r1) {
    std::vector<int32_t>& acc = t_dw_acc;
    acc.resize(static_cast<size_t>(s.cout));
    for (int64_t row = r0; row < r1; ++row) {
      const int64_t b = row / s.oh, oy = row % s.oh;
      for (int64_t ox = 0; ox < s.ow; ++ox) {
        std::fill(acc.begin(), acc.end(), 0);
        for (int64_t ky = 0; ky < s.kh; ++ky) {
          const int64_t iy = oy * s.sh - s.pad_top + ky * s.dh;
          if (iy < 0 || iy >= s.h) continue;  // padding reads the zero point: adds nothing
          for (int64_t kx = 0; kx < s.kw; ++kx) {
            const int64_t ix = ox * s.sw - s.pad_left + kx * s.dw;
            if (ix < 0 || ix >= s.w) continue;
            const uint8_t* px = x + ((b * s.h + iy) * s.w + ix) * s.c;
            const int8_t* wt = w + (ky * s.kw + kx) * s.cout;
            if (mult == 1) {
              T.depthwise_tap(s.cout, px, xm, zx, wt, acc.data());
            } else {
              for (int64_t co = 0; co < s.cout; ++co) {
                acc[co] += (static_cast<int32_t>(px[co / mult] ^ xm) - zx) * wt[co];
              }
            }
          }
        }
        const int64_t o = ((b * s.oh + oy) * s.ow + ox) * s.cout;
        T.epilogue(acc.data(), 0, 1, s.cout, e, ep.out_f32 ? ep.out_f32 + o : nullptr, ep.out_u8 ? ep.out_u8 + o : nullptr, 0);
      }
    }
  };
  const double ops = 2.0 * static_cast<double>(out_rows * s.ow) * static_cast<double>(s.cout * s.kh * s.kw);
  if (num_threads() > 1 && out_rows >= 2 && ops >= parallel_ops()) {
    parallel_for(out_rows, 1, run);
  } else {
    run(0, out_rows);
  }
}

// Slots of one filter row (kx, ci) in the depth of a packed convolution: kw * cg rounded up to a
// whole 4-deep group (the weights are zero in the tail), as src/ops/quant-kernels.ts packs them.
int64_t conv_row_length(const QConvShape& s) { return ceil_div(s.kw * (s.c / s.groups), 4) * 4; }

// Rows [r0, r1) of the im2col matrix of group g into dst (row stride ld = kh * row): values in the
// uint8 domain, padding = the zero point; each filter row fills `row` slots, the last ones junk or
// zero (their weights are zero). With one group and no dilation along w, a filter row reads one
// contiguous run of x, copied in 4-byte words (a first layer's 3 bytes of one channel: one word).
void im2col(const QConvShape& s, const uint8_t* x, const uint8_t* x_end, uint8_t xm, uint8_t zx_u8, int64_t g,
            int64_t r0, int64_t r1, int64_t ld, uint8_t* dst) {
  const int64_t cg = s.c / s.groups;
  const int64_t run = s.kw * cg;
  const int64_t row = conv_row_length(s);
  const bool runs = s.groups == 1 && s.dw == 1;
  const uint32_t xw = xm == 0 ? 0u : 0x80808080u;
  int64_t b = r0 / (s.oh * s.ow);
  int64_t oy = (r0 / s.ow) % s.oh, ox = r0 % s.ow;
  for (int64_t r = r0; r < r1; ++r) {
    uint8_t* d = dst + (r - r0) * ld;
    const int64_t ix0 = ox * s.sw - s.pad_left;
    const bool inside_w = ix0 >= 0 && ix0 + (s.kw - 1) * s.dw < s.w;
    for (int64_t ky = 0; ky < s.kh; ++ky, d += row) {
      const int64_t iy = oy * s.sh - s.pad_top + ky * s.dh;
      if (iy < 0 || iy >= s.h) {
        for (int64_t i = 0; i < run; ++i) d[i] = zx_u8;
        for (int64_t i = run; i < row; ++i) d[i] = 0;
        continue;
      }
      const uint8_t* line = x + (b * s.h + iy) * s.w * s.c + g * cg;
      if (runs && inside_w) {
        const uint8_t* src = line + ix0 * s.c;
        if (src + row <= x_end) {
          // The words past the run read the next pixels: junk that meets zero weights.
          for (int64_t i = 0; i < row; i += 4) {
            uint32_t w;
            std::memcpy(&w, src + i, 4);
            w ^= xw;
            std::memcpy(d + i, &w, 4);
          }
          continue;
        }
      }
      for (int64_t kx = 0; kx < s.kw; ++kx) {
        const int64_t ix = ix0 + kx * s.dw;
        uint8_t* dk = d + kx * cg;
        if (ix < 0 || ix >= s.w) {
          for (int64_t ci = 0; ci < cg; ++ci) dk[ci] = zx_u8;
        } else {
          const uint8_t* src = line + ix * s.c;
          for (int64_t ci = 0; ci < cg; ++ci) dk[ci] = src[ci] ^ xm;
        }
      }
      for (int64_t i = run; i < row; ++i) d[i] = 0;
    }
    if (++ox == s.ow) {
      ox = 0;
      if (++oy == s.oh) {
        oy = 0;
        ++b;
      }
    }
  }
}

}  // namespace

void qgemm(int64_t m, int64_t n, int64_t k, const uint8_t* a, bool a_signed, int32_t a_zero_point,
           const int8_t* b_packed, const QuantEpilogue& ep) {
  if (m <= 0 || n <= 0) return;
  const QuantKernels& T = active_table();
  const int32_t za = a_signed ? a_zero_point + 128 : a_zero_point;
  GemmJob g{a, k, k, static_cast<uint8_t>(a_signed ? 0x80 : 0), b_packed, n, make_epilogue(ep, n, za),
            ep.out_f32, ep.out_u8, n};
  gemm_run(T, g, m);
}

void qconv2d(const QConvShape& s, const uint8_t* x, bool x_signed, int32_t x_zero_point, const int8_t* w_packed,
             bool depthwise_layout, const QuantEpilogue& ep) {
  if (s.n <= 0 || s.oh <= 0 || s.ow <= 0 || s.cout <= 0) return;
  const QuantKernels& T = active_table();
  const uint8_t xm = x_signed ? 0x80 : 0;
  const int32_t zx = x_signed ? x_zero_point + 128 : x_zero_point;
  if (depthwise_layout) {
    // The taps subtract the zero point themselves.
    const RowEpilogue e = make_epilogue(ep, s.cout, 0);
    depthwise(T, s, x, xm, zx, w_packed, e, ep);
    return;
  }
  const RowEpilogue e0 = make_epilogue(ep, s.cout, zx);
  const int64_t cg = s.c / s.groups, ng = s.cout / s.groups;
  const int64_t k = s.kh * conv_row_length(s);
  const int64_t per_group = packed_bytes(k, ng);
  const int64_t m = s.n * s.oh * s.ow;
  auto job_for = [&](int64_t g) {
    RowEpilogue e = e0;
    e.zero_correction += g * ng;
    e.mult += g * ng;
    e.bias += g * ng;
    return GemmJob{nullptr, 0, k, xm, w_packed + g * per_group, ng, e,
                   ep.out_f32 ? ep.out_f32 + g * ng : nullptr, ep.out_u8 ? ep.out_u8 + g * ng : nullptr, s.cout};
  };
  const bool pointwise = s.kh == 1 && s.kw == 1 && s.sh == 1 && s.sw == 1 && s.pad_top == 0 && s.pad_left == 0 &&
                         s.oh == s.h && s.ow == s.w;
  if (pointwise) {
    // x is the GEMM's activation matrix already: [n * h * w, c], group g at column g * cg.
    for (int64_t g = 0; g < s.groups; ++g) {
      GemmJob j = job_for(g);
      j.a = x + g * cg;
      j.lda = s.c;
      j.k = cg;  // the packed depth is cg rounded up to 4, zero-padded: the same groups
      gemm_run(T, j, m);
    }
    return;
  }
  const int64_t ld = k;
  const uint8_t* x_end = x + s.n * s.h * s.w * s.c;
  const int64_t tiles = ceil_div(m, kConvTileRows);
  const double ops = 2.0 * static_cast<double>(m) * static_cast<double>(s.cout) * static_cast<double>(k);
  const bool split = num_threads() > 1 && tiles >= 2 && ops >= parallel_ops();
  if (s.groups == 1 && s.dw == 1) {
    // Each filter row reads one contiguous run of x: the kernel reads it in place (one depth
    // segment per filter row), so there is no im2col copy. Only a tile's pixels whose filter
    // window leaves x along w get a patched copy (padding = the zero point, in x's own encoding,
    // since the kernel applies the xor).
    const int64_t row = conv_row_length(s);
    const int64_t mr = T.mr;
    const uint8_t zx_raw = static_cast<uint8_t>(x_zero_point);
    const GemmJob j = job_for(0);
    auto run = [&](int64_t t0, int64_t t1) {
      std::vector<uint8_t>& patch = t_cols;
      patch.resize(static_cast<size_t>((s.kh * mr + 1) * row));
      uint8_t* zp_line = patch.data() + s.kh * mr * row;
      std::memset(zp_line, zx_raw, static_cast<size_t>(row));
      const int64_t r0 = t0 * kConvTileRows, r1 = std::min(m, t1 * kConvTileRows);
      // Any strip: pixel by pixel, patching windows that leave x along w.
      auto fill_general = [&](int64_t nrows, const uint8_t** rows, int64_t b, int64_t oy, int64_t ox) {
        for (int64_t r = 0; r < mr; ++r) {
          if (r >= nrows) {
            // Past the end: repeat the last pixel (computed, never stored).
            for (int64_t ky = 0; ky < s.kh; ++ky) rows[ky * mr + r] = rows[ky * mr + nrows - 1];
            continue;
          }
          if (r > 0 && ++ox == s.ow) {
            ox = 0;
            if (++oy == s.oh) {
              oy = 0;
              ++b;
            }
          }
          const int64_t ix0 = ox * s.sw - s.pad_left;
          const bool inside_w = ix0 >= 0 && ix0 + s.kw <= s.w;
          for (int64_t ky = 0; ky < s.kh; ++ky) {
            const int64_t iy = oy * s.sh - s.pad_top + ky * s.dh;
            const uint8_t** slot = rows + ky * mr + r;
            if (iy < 0 || iy >= s.h) {
              *slot = zp_line;
              continue;
            }
            const uint8_t* line = x + ((b * s.h + iy) * s.w) * s.c;
            // The slots past the run read the next pixels (junk that meets zero weights).
            if (inside_w && line + ix0 * s.c + row <= x_end) {
              *slot = line + ix0 * s.c;
              continue;
            }
            uint8_t* d = patch.data() + (ky * mr + r) * row;
            for (int64_t kx = 0; kx < s.kw; ++kx) {
              const int64_t ix = ix0 + kx;
              if (ix < 0 || ix >= s.w) {
                std::memset(d + kx * s.c, zx_raw, static_cast<size_t>(s.c));
              } else {
                std::memcpy(d + kx * s.c, line + ix * s.c, static_cast<size_t>(s.c));
              }
            }
            std::memset(d + s.kw * s.c, 0, static_cast<size_t>(row - s.kw * s.c));
            *slot = d;
          }
        }
        return xm;
      };
      tile_block(T, j, s.kh, row / 4, r0, r1, 0, ceil_div(ng, kQuantPanel), [&](int64_t i, int64_t nrows, const uint8_t** rows) {
        const int64_t b = i / (s.oh * s.ow), oy = (i / s.ow) % s.oh, ox = i % s.ow;
        // The common case: a whole strip inside one output row with every window inside x along
        // w: one pointer per filter row, then steps of sw pixels.
        const int64_t first = ox * s.sw - s.pad_left, last = (ox + mr - 1) * s.sw - s.pad_left;
        const int64_t step = s.sw * s.c;
        bool fast = nrows == mr && ox + mr <= s.ow && first >= 0 && last + s.kw <= s.w;
        for (int64_t ky = 0; fast && ky < s.kh; ++ky) {
          const int64_t iy = oy * s.sh - s.pad_top + ky * s.dh;
          const uint8_t** slot = rows + ky * mr;
          if (iy < 0 || iy >= s.h) {
            for (int64_t r = 0; r < mr; ++r) slot[r] = zp_line;
            continue;
          }
          const uint8_t* p = x + ((b * s.h + iy) * s.w + first) * s.c;
          // The last window's junk tail must stay inside x; at the very end take the general path.
          fast = p + (mr - 1) * step + row <= x_end;
          for (int64_t r = 0; fast && r < mr; ++r) slot[r] = p + r * step;
        }
        return fast ? xm : fill_general(nrows, rows, b, oy, ox);
      });
    };
    if (split) {
      parallel_for(tiles, 1, run);
    } else {
      run(0, tiles);
    }
    return;
  }
  auto run = [&](int64_t t0, int64_t t1) {
    std::vector<uint8_t>& cols = t_cols;
    cols.resize(static_cast<size_t>(kConvTileRows * ld));
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t r0 = t * kConvTileRows, r1 = std::min(m, r0 + kConvTileRows);
      for (int64_t g = 0; g < s.groups; ++g) {
        im2col(s, x, x_end, xm, static_cast<uint8_t>(zx), g, r0, r1, ld, cols.data());
        GemmJob j = job_for(g);
        // The tile is in the uint8 domain, in whole 4-deep groups.
        j.a = cols.data();
        j.lda = ld;
        j.xor_mask = 0;
        if (j.out_f32) j.out_f32 += r0 * s.cout;
        if (j.out_u8) j.out_u8 += r0 * s.cout;
        gemm_block(T, j, 0, r1 - r0, 0, ceil_div(ng, kQuantPanel));
      }
    }
  };
  if (split) {
    parallel_for(tiles, 1, run);
  } else {
    run(0, tiles);
  }
}

namespace {
thread_local std::vector<uint8_t> t_direct_pad;
thread_local std::vector<int32_t> t_direct_zc;
thread_local std::vector<uint8_t> t_direct_gather;
}  // namespace

void qconv2d_direct(const QConvShape& s, const uint8_t* x, bool x_signed, int32_t x_zero_point, const int8_t* w_packed,
                    const int32_t* col_sums, const float* mult, const float* offset, int32_t lo, int32_t hi,
                    const QDirectPool* pool, uint8_t* out, const float* x_float, float x_scale) {
  if (s.n <= 0 || s.oh <= 0 || s.ow <= 0 || s.cout <= 0) return;
  const QuantKernels& T = active_table();
  const uint8_t xm = x_signed ? 0x80 : 0;
  const int32_t zx = x_signed ? x_zero_point + 128 : x_zero_point;
  const int64_t row = conv_row_length(s);
  const int64_t words = row / 4;
  // The input window of every output pixel, padding included: hp x wp pixels per image, copied once
  // into the uint8 domain with the zero point around x, so no pixel needs a border case.
  const int64_t hp = (s.oh - 1) * s.sh + (s.kh - 1) * s.dh + 1;
  const int64_t wp = std::max((s.ow - 1) * s.sw + (s.kw - 1) * s.dw + 1, s.pad_left + s.w);
  const int64_t image = hp * wp * s.c;
  std::vector<uint8_t>& pad = t_direct_pad;
  // The slack covers the words past the last filter row's run (junk bytes meeting zero weights).
  pad.resize(static_cast<size_t>(s.n * image + row + 64));
  std::memset(pad.data() + s.n * image, 0, static_cast<size_t>(row + 64));
  for (int64_t b = 0; b < s.n; ++b) {
    for (int64_t y = 0; y < hp; ++y) {
      uint8_t* d = pad.data() + (b * hp + y) * wp * s.c;
      const int64_t iy = y - s.pad_top;
      if (iy < 0 || iy >= s.h) {
        std::memset(d, zx, static_cast<size_t>(wp * s.c));
        continue;
      }
      const int64_t left = std::min(s.pad_left, wp) * s.c;
      const int64_t inside = std::min(s.w, wp - s.pad_left) * s.c;
      std::memset(d, zx, static_cast<size_t>(left));
      if (x_float != nullptr) {
        T.quantize(x_float + (b * s.h + iy) * s.w * s.c, inside, x_scale, x_zero_point, d + left);
      } else {
        const uint8_t* src = x + (b * s.h + iy) * s.w * s.c;
        for (int64_t i = 0; i < inside; ++i) d[left + i] = src[i] ^ xm;
      }
      std::memset(d + left + inside, zx, static_cast<size_t>(wp * s.c - left - inside));
    }
  }
  std::vector<int32_t>& zc = t_direct_zc;
  zc.resize(static_cast<size_t>(s.cout));
  for (int64_t j = 0; j < s.cout; ++j) {
    zc[j] = static_cast<int32_t>(static_cast<uint32_t>(zx) * static_cast<uint32_t>(col_sums[j]));
  }
  quant_detail::DirectConvRow base{};
  base.kh = s.kh;
  base.words = words;
  base.count = pool != nullptr ? pool->ow : s.ow;
  base.pool_h = pool != nullptr ? pool->kh : 1;
  base.pool_w = pool != nullptr ? pool->kw : 1;
  const int64_t rows_out = pool != nullptr ? pool->oh : s.oh;
  base.w = w_packed;
  base.cout = s.cout;
  base.zero_correction = zc.data();
  base.mult = mult;
  base.offset = offset;
  base.lo = static_cast<float>(lo);
  base.hi = static_cast<float>(hi);
  const uint8_t* padded = pad.data();
  // With dilation along w a filter row is not one run of bytes: its taps are gathered per pixel.
  const bool gather = s.dw != 1;
  auto run = [&](int64_t r0, int64_t r1) {
    const uint8_t* lines[64];
    std::vector<const uint8_t*> many;
    const uint8_t** lp = lines;
    const int64_t nlines = base.pool_h * s.kh;
    if (nlines > 64) {
      many.resize(static_cast<size_t>(nlines));
      lp = many.data();
    }
    std::vector<uint8_t>& g = t_direct_gather;
    if (gather) g.resize(static_cast<size_t>(s.ow * s.kh * row));
    quant_detail::DirectConvRow r = base;
    r.lines = lp;
    for (int64_t orow = r0; orow < r1; ++orow) {
      const int64_t b = orow / rows_out, oy = orow % rows_out;
      const uint8_t* img = padded + b * image;
      if (pool != nullptr) {
        // Convolution row oy * pool->sh + dy of the window's rows.
        for (int64_t dy = 0; dy < pool->kh; ++dy) {
          const int64_t cy = oy * pool->sh + dy;
          for (int64_t ky = 0; ky < s.kh; ++ky) lp[dy * s.kh + ky] = img + (cy * s.sh + ky * s.dh) * wp * s.c;
        }
        r.step = s.sw * s.c;
        r.pool_step = pool->sw * r.step;
      } else if (!gather) {
        for (int64_t ky = 0; ky < s.kh; ++ky) lp[ky] = img + (oy * s.sh + ky * s.dh) * wp * s.c;
        r.step = s.sw * s.c;
        r.pool_step = r.step;
      } else {
        for (int64_t ox = 0; ox < s.ow; ++ox) {
          for (int64_t ky = 0; ky < s.kh; ++ky) {
            uint8_t* d = g.data() + (ox * s.kh + ky) * row;
            const uint8_t* line = img + ((oy * s.sh + ky * s.dh) * wp + ox * s.sw) * s.c;
            for (int64_t kx = 0; kx < s.kw; ++kx) std::memcpy(d + kx * s.c, line + kx * s.dw * s.c, static_cast<size_t>(s.c));
            std::memset(d + s.kw * s.c, 0, static_cast<size_t>(row - s.kw * s.c));
          }
        }
        for (int64_t ky = 0; ky < s.kh; ++ky) lp[ky] = g.data() + ky * row;
        r.step = s.kh * row;
        r.pool_step = r.step;
      }
      r.out = out + orow * base.count * s.cout;
      T.direct_conv_row(r);
    }
  };
  const int64_t out_rows = s.n * rows_out;
  const double ops = 2.0 * static_cast<double>(out_rows * base.count * base.pool_h * base.pool_w) *
                     static_cast<double>(s.cout * s.kh * row);
  if (num_threads() > 1 && out_rows >= 2 && ops >= parallel_ops()) {
    parallel_for(out_rows, 1, run);
  } else {
    run(0, out_rows);
  }
}

void qmax_pool2d(const QPoolShape& s, const uint8_t* x, bool x_signed, uint8_t* out) {
  if (s.n <= 0 || s.oh <= 0 || s.ow <= 0 || s.c <= 0) return;
  const QuantKernels& T = active_table();
  const uint8_t xm = x_signed ? 0x80 : 0;
  auto run = [&](int64_t r0, int64_t r1) {
    std::vector<const uint8_t*> taps(static_cast<size_t>(s.kh * s.kw));
    for (int64_t orow = r0; orow < r1; ++orow) {
      const int64_t b = orow / s.oh, oy = orow % s.oh;
      for (int64_t ox = 0; ox < s.ow; ++ox) {
        int64_t t = 0;
        for (int64_t ky = 0; ky < s.kh; ++ky) {
          const int64_t iy = oy * s.sh - s.pad_top + ky;
          if (iy < 0 || iy >= s.h) continue;
          for (int64_t kx = 0; kx < s.kw; ++kx) {
            const int64_t ix = ox * s.sw - s.pad_left + kx;
            if (ix < 0 || ix >= s.w) continue;
            taps[static_cast<size_t>(t++)] = x + ((b * s.h + iy) * s.w + ix) * s.c;
          }
        }
        T.max_bytes(taps.data(), t, s.c, xm, out + (orow * s.ow + ox) * s.c);
      }
    }
  };
  const int64_t out_rows = s.n * s.oh;
  const double ops = static_cast<double>(out_rows * s.ow) * static_cast<double>(s.c * s.kh * s.kw);
  if (num_threads() > 1 && out_rows >= 2 && ops >= 4 * parallel_ops()) {
    parallel_for(out_rows, 1, run);
  } else {
    run(0, out_rows);
  }
}

void quantize_linear(int64_t count, const float* x, float scale, int32_t zero_point, uint8_t* out) {
  if (count <= 0) return;
  const QuantKernels& T = active_table();
  auto run = [&](int64_t i0, int64_t i1) { T.quantize(x + i0, i1 - i0, scale, zero_point, out + i0); };
  if (num_threads() > 1 && count >= 4 * kQuantizeGrain) {
    parallel_for(count, kQuantizeGrain, run);
  } else {
    run(0, count);
  }
}

void quantize_dynamic(int64_t rows, int64_t cols, bool per_row, const float* x, uint8_t* out, float* scales,
                      int32_t* zero_points) {
  const QuantKernels& T = active_table();
  auto params = [&](const float* v, int64_t count, float* scale, int32_t* zp) {
    float lo = 0.0f, hi = 0.0f;
    T.min_max(v, count, &lo, &hi);
    float sc = (hi - lo) / 255.0f;
    if (sc == 0.0f) sc = 1.0f;
    const float z = std::nearbyint(-lo / sc);
    *scale = sc;
    *zp = static_cast<int32_t>(z < 0.0f ? 0.0f : z > 255.0f ? 255.0f : z);
  };
  if (!per_row) {
    params(x, rows * cols, &scales[0], &zero_points[0]);
    quantize_linear(rows * cols, x, scales[0], zero_points[0], out);
    return;
  }
  auto run = [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      params(x + r * cols, cols, &scales[r], &zero_points[r]);
      T.quantize(x + r * cols, cols, scales[r], zero_points[r], out + r * cols);
    }
  };
  if (num_threads() > 1 && rows >= 2 && rows * cols >= 4 * kQuantizeGrain) {
    parallel_for(rows, std::max<int64_t>(1, kQuantizeGrain / std::max<int64_t>(cols, 1)), run);
  } else {
    run(0, rows);
  }
}

const char* quant_isa_name() { return active_table().name; }

}  // namespace tf::kernels
