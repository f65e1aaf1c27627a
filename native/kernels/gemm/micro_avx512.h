#pragma once
// AVX-512 GEMM micro-kernel, packing and GEMV: gemm_body.cpp's TF_ISA_AVX512 copy, reached only
// through gemm.cpp's run-time dispatch; everything here has internal linkage so no AVX-512 code
// can be picked up by the linker for a baseline caller.
// GCC 12's AVX-512 headers build results from _mm512_undefined_*() and then warn about it
// (GCC bug 105593) on every max/extract/cast; the warning is about the header, not this code.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>

#include <utility>

#include <cstdint>

#include "kernels/gemm/gemm_internal.h"

namespace tf::kernels::gemm_detail::avx512 {
namespace {

// 14 x 32 tile: 28 zmm accumulators + 2 for the B row + 1 broadcast fills the 32 registers, and
// gives the best FMA-to-load ratio of the shapes that fit (28 FMAs per 2 loads + 14 broadcasts).
constexpr int kMr = 14;
constexpr int kNr = 32;

inline __mmask16 tail_mask(int64_t count) {
  return count >= 16 ? static_cast<__mmask16>(0xFFFF)
                     : static_cast<__mmask16>((1u << count) - 1u);
}

// --------------------------------------------------------------------------------------------
// Packing

// 16x16 in-register transpose: r[i] lane j -> r[j] lane i.
inline void transpose16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  // u[4g + j] holds, in each 128-bit lane L, column 4L + j of rows 4g..4g+3.
  __m512 u[16];
  for (int g = 0; g < 4; ++g) {
    const __m512 lo01 = t[4 * g], hi01 = t[4 * g + 1], lo23 = t[4 * g + 2], hi23 = t[4 * g + 3];
    u[4 * g + 0] = _mm512_shuffle_ps(lo01, lo23, 0x44);
    u[4 * g + 1] = _mm512_shuffle_ps(lo01, lo23, 0xEE);
    u[4 * g + 2] = _mm512_shuffle_ps(hi01, hi23, 0x44);
    u[4 * g + 3] = _mm512_shuffle_ps(hi01, hi23, 0xEE);
  }
  for (int j = 0; j < 4; ++j) {
    const __m512 v0 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0x88);
    const __m512 v1 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0xDD);
    const __m512 w0 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0x88);
    const __m512 w1 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0xDD);
    r[j] = _mm512_shuffle_f32x4(v0, w0, 0x88);
    r[8 + j] = _mm512_shuffle_f32x4(v0, w0, 0xDD);
    r[4 + j] = _mm512_shuffle_f32x4(v1, w1, 0x88);
    r[12 + j] = _mm512_shuffle_f32x4(v1, w1, 0xDD);
  }
}

// dst[p * W + r] = src[r * ld + p]: the strip's rows are strided, so 16x16 blocks are transposed
// in registers; rows past w are zeros so the panel is padded without a separate pass.
template <int W>
void pack_strided(const float* src, int64_t ld, int64_t w, int64_t kc, float* dst) {
  for (int64_t p0 = 0; p0 < kc; p0 += 16) {
    const int64_t pn = kc - p0 < 16 ? kc - p0 : 16;
    const __mmask16 pmask = tail_mask(pn);
    for (int r0 = 0; r0 < W; r0 += 16) {
      const int rn = W - r0 < 16 ? W - r0 : 16;  // lanes of this group inside the panel
      __m512 r[16];
      for (int i = 0; i < 16; ++i) {
        const int64_t row = r0 + i;
        r[i] = row < w ? _mm512_maskz_loadu_ps(pmask, src + row * ld + p0) : _mm512_setzero_ps();
      }
      transpose16(r);
      const __mmask16 store_mask = tail_mask(rn);
      for (int64_t j = 0; j < pn; ++j) {
        _mm512_mask_storeu_ps(dst + (p0 + j) * W + r0, store_mask, r[j]);
      }
    }
  }
}

// dst[p * W + r] = src[p * ld + r]: rows already contiguous, a masked copy with zero fill.
template <int W>
void pack_contiguous(const float* src, int64_t ld, int64_t w, int64_t kc, float* dst) {
  for (int64_t p = 0; p < kc; ++p) {
    const float* s = src + p * ld;
    float* d = dst + p * W;
    for (int r0 = 0; r0 < W; r0 += 16) {
      const int rn = W - r0 < 16 ? W - r0 : 16;
      const int64_t valid = w - r0;
      const __m512 v = valid > 0 ? _mm512_maskz_loadu_ps(tail_mask(valid), s + r0)
                                 : _mm512_setzero_ps();
      _mm512_mask_storeu_ps(d + r0, tail_mask(rn), v);
    }
  }
}

template <int W>
void pack(const float* src, int64_t ld, bool rows_contiguous, int64_t w, int64_t kc, float* dst) {
  if (rows_contiguous) {
    pack_contiguous<W>(src, ld, w, kc, dst);
  } else {
    pack_strided<W>(src, ld, w, kc, dst);
  }
}

// --------------------------------------------------------------------------------------------
// Micro-kernel

// Out of line so that the common store stays small enough to inline into the tile kernels.
template <int R, int V>
__attribute__((noinline)) void store_tile_trans(__m512 (&acc)[R][V], float* c, int64_t ldc, int nr,
                                              const TileStore& st) {
  const __m512 alpha = _mm512_set1_ps(st.alpha);
  const __m512 beta = _mm512_set1_ps(st.beta);
  const __m512 zero = _mm512_setzero_ps();
  const bool scale = st.alpha != 1.0f;
  // Column j of the tile is a contiguous run of R floats of C; a register transpose turns the
  // accumulators into those runs so the epilogue stays vectorised.
  const __mmask16 rmask = tail_mask(R);
  const __m512 bias = st.bias != nullptr ? _mm512_maskz_loadu_ps(rmask, st.bias) : zero;
  // Fully unrolled: a run-time index into acc would force the accumulators into memory.
#pragma GCC unroll 2
  for (int v = 0; v < V; ++v) {
    __m512 t[16];
#pragma GCC unroll 16
    for (int i = 0; i < 16; ++i) t[i] = i < R ? acc[i][v] : zero;
    transpose16(t);
    const int cols = nr - 16 * v < 16 ? nr - 16 * v : 16;
    for (int j = 0; j < cols; ++j) {
      float* cj = c + (16 * v + j) * ldc;
      __m512 x = scale ? _mm512_mul_ps(t[j], alpha) : t[j];
      if (st.beta != 0.0f) x = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(rmask, cj), beta, x);
      if (st.bias != nullptr) x = _mm512_add_ps(x, bias);
      if (st.residual != nullptr) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(rmask, st.residual + (16 * v + j) * st.ld_residual));
      if (st.relu) x = _mm512_max_ps(zero, x);
      _mm512_mask_storeu_ps(cj, rmask, x);
    }
  }
}

template <int R, int V>
void store_tile(__m512 (&acc)[R][V], float* c, int64_t ldc, int nr, const TileStore& st) {
  const __m512 alpha = _mm512_set1_ps(st.alpha);
  const __m512 beta = _mm512_set1_ps(st.beta);
  const __m512 zero = _mm512_setzero_ps();
  // Skipping the multiply for alpha == 1 matters when k is small: then the epilogue is a large
  // share of the FMA-port work of a tile.
  const bool scale = st.alpha != 1.0f;
  if (st.trans_c) return store_tile_trans<R, V>(acc, c, ldc, nr, st);
  __mmask16 mask[V];
  __m512 bias[V];
  for (int v = 0; v < V; ++v) {
    mask[v] = tail_mask(nr - 16 * v);
    bias[v] = st.bias != nullptr ? _mm512_maskz_loadu_ps(mask[v], st.bias + 16 * v) : zero;
  }
  for (int i = 0; i < R; ++i) {
    float* ci = c + i * ldc;
    for (int v = 0; v < V; ++v) {
      __m512 x = scale ? _mm512_mul_ps(acc[i][v], alpha) : acc[i][v];
      if (st.beta != 0.0f) x = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask[v], ci + 16 * v), beta, x);
      if (st.bias != nullptr) x = _mm512_add_ps(x, bias[v]);
      if (st.residual != nullptr) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(mask[v], st.residual + i * st.ld_residual + 16 * v));
      // max(0, x) returns its second operand when either is NaN, so NaN survives the ReLU.
      if (st.relu) x = _mm512_max_ps(zero, x);
      _mm512_mask_storeu_ps(ci + 16 * v, mask[v], x);
    }
  }
}

// KContig: A rows are contiguous along k (unpacked row-major A, element (i, p) at
// pa[i * a_stride + p]). Otherwise the R values of one k step are contiguous (a packed panel or
// unpacked transposed A, element (i, p) at pa[i + p * a_stride]).
// B element (p, j) is at pb[p * b_ks + j]: a packed panel (b_ks == kNr, zero-padded) or B read in
// place. Masked: the rows end inside the last vector (B in place could end at a page boundary).
// Only then are masked loads used: they measured 6% slower in the full-width loop.
// CopyB: B is read in place and each row is also stored to pb_out as a packed kNr-wide panel
// (see MicroKernelCopyBFn); its rows further down are prefetched, since this pass is the first
// to touch them and a row stride of ldb defeats the hardware prefetchers.
// Stream: B is a packed panel coming from memory (TileStore::stream_b); each k step also
// prefetches the lines kStreamAhead steps ahead in the panel (its next depth slice follows
// contiguously, so the prefetches stay inside the packing).
constexpr int64_t kStreamAhead = 64;
template <int R, int V, bool KContig, bool Masked, bool CopyB = false, bool Stream = false>
void tile_kernel(int64_t kc, const float* pa, int64_t a_stride, const float* pb, int64_t b_ks,
                 float* c, int64_t ldc, int nr, const TileStore& st, float* pb_out = nullptr) {
  __m512 acc[R][V];
#pragma GCC unroll 16
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) acc[i][v] = _mm512_setzero_ps();
  // The tile of C is read (beta or a later depth slice) and written once at the end; fetching
  // its lines now hides the miss behind the k loop instead of stalling the store.
  if (!st.trans_c) {
#pragma GCC unroll 16
    for (int i = 0; i < R; ++i) {
      _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + nr - 1), _MM_HINT_T0);
    }
    if (st.residual != nullptr) {
#pragma GCC unroll 16
      for (int i = 0; i < R; ++i) {
        _mm_prefetch(reinterpret_cast<const char*>(st.residual + i * st.ld_residual), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(st.residual + i * st.ld_residual + nr - 1), _MM_HINT_T0);
      }
    }
  }

  const __mmask16 last_mask = tail_mask(nr - 16 * (V - 1));
  const float* next = st.next_b;
  const int64_t next_step = st.next_step;
  for (int64_t p = 0; p < kc; ++p) {
    if (next != nullptr) {
      _mm_prefetch(reinterpret_cast<const char*>(next), _MM_HINT_T1);
      next += next_step;
    }
    __m512 b[V];
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v)
      b[v] = Masked && v == V - 1 ? _mm512_maskz_loadu_ps(last_mask, pb + 16 * v)
                                  : _mm512_loadu_ps(pb + 16 * v);
    // A is the next panel's stream from L2; B stays in L1 across the A panels of a block.
    if (!KContig) _mm_prefetch(reinterpret_cast<const char*>(pa + 8 * a_stride), _MM_HINT_T0);
    if (Stream) {
      // Last float of each row too when B is read in place: its rows need not be aligned.
#pragma GCC unroll 2
      for (int v = 0; v < V; ++v) _mm_prefetch(reinterpret_cast<const char*>(pb + kStreamAhead * b_ks + 16 * v), _MM_HINT_T0);
      if (b_ks != kNr) _mm_prefetch(reinterpret_cast<const char*>(pb + kStreamAhead * b_ks + 16 * V - 1), _MM_HINT_T0);
    }
    if (CopyB) {
      constexpr int kAhead = 16;
      // First and last float of each vector: B need not be 64-byte aligned (a JS ArrayBuffer is
      // usually 16 bytes off), and then a row's 32 floats touch three lines.
      _mm_prefetch(reinterpret_cast<const char*>(pb + kAhead * b_ks), _MM_HINT_T0);
#pragma GCC unroll 2
      for (int v = 0; v < V; ++v)
        _mm_prefetch(reinterpret_cast<const char*>(pb + kAhead * b_ks + 16 * v + 15), _MM_HINT_T0);
      // Masked loads leave zeros past nr: the panel comes out padded.
#pragma GCC unroll 2
      for (int v = 0; v < V; ++v) _mm512_storeu_ps(pb_out + 16 * v, b[v]);
      pb_out += kNr;
    }
#pragma GCC unroll 16
    for (int i = 0; i < R; ++i) {
      const __m512 a = _mm512_set1_ps(KContig ? pa[i * a_stride] : pa[i]);
#pragma GCC unroll 2
      for (int v = 0; v < V; ++v) acc[i][v] = _mm512_fmadd_ps(a, b[v], acc[i][v]);
    }
    pa += KContig ? 1 : a_stride;
    pb += b_ks;
  }
  // The store goes through a copy so that acc itself never escapes: GCC treats the masked loads
  // above as possible readers of any escaped array and would then write every accumulator back
  // to the stack on each k step.
  __m512 out[R][V];
#pragma GCC unroll 16
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) out[i][v] = acc[i][v];
  store_tile<R, V>(out, c, ldc, nr, st);
}

// The tile kernel for a strip of mr rows (a run-time count, 1..kMr) at compile-time height: the
// one kernel whose height R + 1 equals it runs.
template <int V, bool KContig, bool Masked, bool Stream, int... R>
void rows_switch(std::integer_sequence<int, R...>, int64_t kc, const float* pa, int64_t a_stride, const float* pb,
                 int64_t b_ks, float* c, int64_t ldc, int mr, int nr, const TileStore& st) {
  const int rows = mr < 1 ? 1 : mr > kMr ? kMr : mr;
  (void)((rows == R + 1 && (tile_kernel<R + 1, V, KContig, Masked, false, Stream>(kc, pa, a_stride, pb, b_ks, c, ldc, nr, st), true)) || ...);
}
template <int V, bool KContig, bool Masked, bool Stream>
void rows_switch(int64_t kc, const float* pa, int64_t a_stride, const float* pb, int64_t b_ks, float* c, int64_t ldc,
                 int mr, int nr, const TileStore& st) {
  rows_switch<V, KContig, Masked, Stream>(std::make_integer_sequence<int, kMr>{}, kc, pa, a_stride, pb, b_ks, c, ldc, mr, nr, st);
}

template <int V, bool KContig, bool Masked>
void kernel_rows(int64_t kc, const float* pa, int64_t a_stride, const float* pb, int64_t b_ks,
                 float* c, int64_t ldc, int mr, int nr, const TileStore& st) {
  // A packed panel streams in full strips only (the first of its panel's strips; the others find
  // B cached). B read in place streams in a lone strip of any height (a batch-8 classifier head:
  // rows of a 4-5 MB weight a row stride apart, which no hardware prefetcher follows).
  if (st.stream_b) {
    if (mr >= kMr) return tile_kernel<kMr, V, KContig, Masked, false, true>(kc, pa, a_stride, pb, b_ks, c, ldc, nr, st);
    if constexpr (KContig) return rows_switch<V, KContig, Masked, true>(kc, pa, a_stride, pb, b_ks, c, ldc, mr, nr, st);
  }
  return rows_switch<V, KContig, Masked, false>(kc, pa, a_stride, pb, b_ks, c, ldc, mr, nr, st);
}

template <int V>
void kernel_cols(int64_t kc, const float* pa, int64_t a_rs, int64_t a_ks, const float* pb,
                 int64_t b_ks, float* c, int64_t ldc, int mr, int nr, const TileStore& st) {
  const bool k_contig = a_ks == 1 && mr > 1;
  const int64_t a_stride = k_contig ? a_rs : a_ks;
  const bool masked = nr < 16 * V;
  if (k_contig) {
    if (masked) return kernel_rows<V, true, true>(kc, pa, a_stride, pb, b_ks, c, ldc, mr, nr, st);
    return kernel_rows<V, true, false>(kc, pa, a_stride, pb, b_ks, c, ldc, mr, nr, st);
  }
  if (masked) return kernel_rows<V, false, true>(kc, pa, a_stride, pb, b_ks, c, ldc, mr, nr, st);
  return kernel_rows<V, false, false>(kc, pa, a_stride, pb, b_ks, c, ldc, mr, nr, st);
}

// Edge tiles run a kernel sized to the rows that exist, and a one-vector kernel when at most 16
// columns remain, so padding costs no FMAs beyond the last partial vector.
void micro_kernel(int64_t kc, const float* pa, int64_t a_rs, int64_t a_ks, const float* pb,
                  int64_t b_ks, float* c, int64_t ldc, int mr, int nr, const TileStore& st) {
  if (nr > 16) return kernel_cols<2>(kc, pa, a_rs, a_ks, pb, b_ks, c, ldc, mr, nr, st);
  return kernel_cols<1>(kc, pa, a_rs, a_ks, pb, b_ks, c, ldc, mr, nr, st);
}

// Full kMr-row strip; B in place (b_ks == ldb) and copied out to a packed panel.
void micro_kernel_copy_b(int64_t kc, const float* pa, int64_t a_rs, int64_t a_ks, const float* pb,
                         int64_t b_ks, float* pb_out, float* c, int64_t ldc, int nr,
                         const TileStore& st) {
  const bool k_contig = a_ks == 1;
  const int64_t a_stride = k_contig ? a_rs : a_ks;
  if (nr > 16) {
    if (k_contig) {
      if (nr < 32) return tile_kernel<kMr, 2, true, true, true>(kc, pa, a_stride, pb, b_ks, c, ldc, nr, st, pb_out);
      return tile_kernel<kMr, 2, true, false, true>(kc, pa, a_stride, pb, b_ks, c, ldc, nr, st, pb_out);
    }
    if (nr < 32) return tile_kernel<kMr, 2, false, true, true>(kc, pa, a_stride, pb, b_ks, c, ldc, nr, st, pb_out);
    return tile_kernel<kMr, 2, false, false, true>(kc, pa, a_stride, pb, b_ks, c, ldc, nr, st, pb_out);
  }
  if (k_contig) {
    if (nr < 16) return tile_kernel<kMr, 1, true, true, true>(kc, pa, a_stride, pb, b_ks, c, ldc, nr, st, pb_out);
    return tile_kernel<kMr, 1, true, false, true>(kc, pa, a_stride, pb, b_ks, c, ldc, nr, st, pb_out);
  }
  if (nr < 16) return tile_kernel<kMr, 1, false, true, true>(kc, pa, a_stride, pb, b_ks, c, ldc, nr, st, pb_out);
  return tile_kernel<kMr, 1, false, false, true>(kc, pa, a_stride, pb, b_ks, c, ldc, nr, st, pb_out);
}

// Implicit-GEMM tile (SegKernelFn): tile_kernel's k loop over row-contiguous A, split into
// segments that each start at their own offset; B is a packed (zero-padded) panel, so no masked
// loads. With one B vector (nr <= 16, a 16-channel convolution) each broadcast feeds one FMA and
// folds into it as an embedded broadcast.
template <int R, int V, bool Stream = false>
void seg_tile(int64_t segs, int64_t seg_k, int64_t seg_stride, const float* pa, int64_t a_rs, const float* pb,
              float* c, int64_t ldc, int nr, const TileStore& st) {
  __m512 acc[R][V];
#pragma GCC unroll 16
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) acc[i][v] = _mm512_setzero_ps();
#pragma GCC unroll 16
  for (int i = 0; i < R; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + nr - 1), _MM_HINT_T0);
  }
  const float* next = st.next_b;
  const int64_t next_step = st.next_step;
  for (int64_t s = 0; s < segs; ++s) {
    const float* a = pa + s * seg_stride;
    for (int64_t p = 0; p < seg_k; ++p) {
      if (next != nullptr) {
        _mm_prefetch(reinterpret_cast<const char*>(next), _MM_HINT_T1);
        next += next_step;
      }
      __m512 b[V];
#pragma GCC unroll 2
      for (int v = 0; v < V; ++v) b[v] = _mm512_loadu_ps(pb + 16 * v);
      if (Stream) {
#pragma GCC unroll 2
        for (int v = 0; v < V; ++v) _mm_prefetch(reinterpret_cast<const char*>(pb + kStreamAhead * kNr + 16 * v), _MM_HINT_T0);
      }
#pragma GCC unroll 16
      for (int i = 0; i < R; ++i) {
        const __m512 av = _mm512_set1_ps(a[i * a_rs + p]);
#pragma GCC unroll 2
        for (int v = 0; v < V; ++v) acc[i][v] = _mm512_fmadd_ps(av, b[v], acc[i][v]);
      }
      pb += kNr;
    }
  }
  __m512 out[R][V];
#pragma GCC unroll 16
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) out[i][v] = acc[i][v];
  store_tile<R, V>(out, c, ldc, nr, st);
}

template <int V>
void seg_rows(int64_t segs, int64_t seg_k, int64_t seg_stride, const float* pa, int64_t a_rs, const float* pb,
              float* c, int64_t ldc, int mr, int nr, const TileStore& st) {
  if (st.stream_b && mr >= kMr) return seg_tile<kMr, V, true>(segs, seg_k, seg_stride, pa, a_rs, pb, c, ldc, nr, st);
  switch (mr) {
    case 1: return seg_tile<1, V>(segs, seg_k, seg_stride, pa, a_rs, pb, c, ldc, nr, st);
    case 2: return seg_tile<2, V>(segs, seg_k, seg_stride, pa, a_rs, pb, c, ldc, nr, st);
    case 3: return seg_tile<3, V>(segs, seg_k, seg_stride, pa, a_rs, pb, c, ldc, nr, st);
    case 4: return seg_tile<4, V>(segs, seg_k, seg_stride, pa, a_rs, pb, c, ldc, nr, st);
    case 5: return seg_tile<5, V>(segs, seg_k, seg_stride, pa, a_rs, pb, c, ldc, nr, st);
    case 6: return seg_tile<6, V>(segs, seg_k, seg_stride, pa, a_rs, pb, c, ldc, nr, st);
    case 7: return seg_tile<7, V>(segs, seg_k, seg_stride, pa, a_rs, pb, c, ldc, nr, st);
    case 8: return seg_tile<8, V>(segs, seg_k, seg_stride, pa, a_rs, pb, c, ldc, nr, st);
    case 9: return seg_tile<9, V>(segs, seg_k, seg_stride, pa, a_rs, pb, c, ldc, nr, st);
    case 10: return seg_tile<10, V>(segs, seg_k, seg_stride, pa, a_rs, pb, c, ldc, nr, st);
    case 11: return seg_tile<11, V>(segs, seg_k, seg_stride, pa, a_rs, pb, c, ldc, nr, st);
    case 12: return seg_tile<12, V>(segs, seg_k, seg_stride, pa, a_rs, pb, c, ldc, nr, st);
    case 13: return seg_tile<13, V>(segs, seg_k, seg_stride, pa, a_rs, pb, c, ldc, nr, st);
    default: return seg_tile<14, V>(segs, seg_k, seg_stride, pa, a_rs, pb, c, ldc, nr, st);
  }
}

void seg_kernel(int64_t segs, int64_t seg_k, int64_t seg_stride, const float* pa, int64_t a_rs, const float* pb,
                float* c, int64_t ldc, int mr, int nr, const TileStore& st) {
  if (nr > 16) return seg_rows<2>(segs, seg_k, seg_stride, pa, a_rs, pb, c, ldc, mr, nr, st);
  return seg_rows<1>(segs, seg_k, seg_stride, pa, a_rs, pb, c, ldc, mr, nr, st);
}

// --------------------------------------------------------------------------------------------
// GEMV

// NV vectors of y (the last masked by `last`) in registers over the whole k loop; each row of m is
// read once. Every column's value is the same k-ordered chain of FMAs from zero whatever NV and
// wherever the block starts, so a column gets the same bits in a 128-wide block, in the tail, or in
// whichever chunk of a split GEMV it falls (the tail used two chains per vector, and columns of a
// chunk starting mid-way took the other path).
// Named accumulators rather than an array: with an array GCC kept the accumulators of the
// narrower blocks in memory and stored them on every k step.
template <int NV>
__attribute__((always_inline)) inline void gemv_rows_block(int64_t k, const float* x, const float* m, int64_t ld,
                                                           float* y, __mmask16 last) {
  constexpr __mmask16 kAll = 0xFFFF;
  __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
#define TF_GEMV_ACC(v, a)                                                                                 \
  if constexpr (NV > v) a = _mm512_fmadd_ps(xp, _mm512_maskz_loadu_ps(v == NV - 1 ? last : kAll, row + 16 * v), a);
  for (int64_t p = 0; p < k; ++p) {
    const __m512 xp = _mm512_set1_ps(x[p]);
    const float* row = m + p * ld;
    TF_GEMV_ACC(0, a0) TF_GEMV_ACC(1, a1) TF_GEMV_ACC(2, a2) TF_GEMV_ACC(3, a3)
    TF_GEMV_ACC(4, a4) TF_GEMV_ACC(5, a5) TF_GEMV_ACC(6, a6) TF_GEMV_ACC(7, a7)
  }
#undef TF_GEMV_ACC
#define TF_GEMV_STORE(v, a) \
  if constexpr (NV > v) _mm512_mask_storeu_ps(y + 16 * v, v == NV - 1 ? last : kAll, a);
  TF_GEMV_STORE(0, a0) TF_GEMV_STORE(1, a1) TF_GEMV_STORE(2, a2) TF_GEMV_STORE(3, a3)
  TF_GEMV_STORE(4, a4) TF_GEMV_STORE(5, a5) TF_GEMV_STORE(6, a6) TF_GEMV_STORE(7, a7)
#undef TF_GEMV_STORE
}

void gemv_rows(int64_t n, int64_t k, const float* x, const float* m, int64_t ld, float* y) {
  constexpr __mmask16 kAll = 0xFFFF;
  int64_t j = 0;
  for (; j + 128 <= n; j += 128) gemv_rows_block<8>(k, x, m + j, ld, y + j, kAll);
  // Whole vectors left, then the partial one on its own (a variable mask in a wider block made GCC
  // keep the accumulators in memory).
  switch ((n - j) / 16) {
    case 1: gemv_rows_block<1>(k, x, m + j, ld, y + j, kAll); break;
    case 2: gemv_rows_block<2>(k, x, m + j, ld, y + j, kAll); break;
    case 3: gemv_rows_block<3>(k, x, m + j, ld, y + j, kAll); break;
    case 4: gemv_rows_block<4>(k, x, m + j, ld, y + j, kAll); break;
    case 5: gemv_rows_block<5>(k, x, m + j, ld, y + j, kAll); break;
    case 6: gemv_rows_block<6>(k, x, m + j, ld, y + j, kAll); break;
    case 7: gemv_rows_block<7>(k, x, m + j, ld, y + j, kAll); break;
    default: break;
  }
  j += (n - j) / 16 * 16;
  if (j < n) gemv_rows_block<1>(k, x, m + j, ld, y + j, tail_mask(n - j));
}

// Own horizontal sum: GCC 12's _mm512_reduce_add_ps trips -Wmaybe-uninitialized in its header.
inline float hsum(__m512 v) {
  const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

void gemv_dots(int64_t n, int64_t k, const float* x, const float* m, int64_t ld, float* y) {
  int64_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const float* r0 = m + j * ld;
    const float* r1 = r0 + ld;
    const float* r2 = r1 + ld;
    const float* r3 = r2 + ld;
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(),
           a3 = _mm512_setzero_ps();
    for (int64_t p = 0; p < k; p += 16) {
      const __mmask16 mask = tail_mask(k - p);
      const __m512 xv = _mm512_maskz_loadu_ps(mask, x + p);
      a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, r0 + p), xv, a0);
      a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, r1 + p), xv, a1);
      a2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, r2 + p), xv, a2);
      a3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, r3 + p), xv, a3);
    }
    y[j] = hsum(a0);
    y[j + 1] = hsum(a1);
    y[j + 2] = hsum(a2);
    y[j + 3] = hsum(a3);
  }
  for (; j < n; ++j) {
    const float* r = m + j * ld;
    __m512 a = _mm512_setzero_ps();
    for (int64_t p = 0; p < k; p += 16) {
      const __mmask16 mask = tail_mask(k - p);
      a = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, r + p), _mm512_maskz_loadu_ps(mask, x + p), a);
    }
    y[j] = hsum(a);
  }
}

// --------------------------------------------------------------------------------------------
// Dot-product kernel for a narrow C

// Lane j of the result is the sum of the lanes of v[j], j < 16. A halving tree (45 shuffles and
// adds for 16 sums) instead of 16 separate horizontal sums (~80).
inline __m512 reduce16(const __m512 v[16]) {
  __m512 t[8];
  for (int i = 0; i < 8; ++i)  // per 128-bit lane: partial sums of v[2i], v[2i+1] interleaved
    t[i] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]),
                         _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]));
  __m512 u[4];
  for (int i = 0; i < 4; ++i)  // per 128-bit lane L: lane-L sums of v[4i..4i+3]
    u[i] = _mm512_add_ps(_mm512_shuffle_ps(t[2 * i], t[2 * i + 1], 0x44),
                         _mm512_shuffle_ps(t[2 * i], t[2 * i + 1], 0xEE));
  __m512 w[2];
  for (int i = 0; i < 2; ++i)  // 128-bit lanes: u[2i] lanes 0+1, 2+3, then u[2i+1] likewise
    w[i] = _mm512_add_ps(_mm512_shuffle_f32x4(u[2 * i], u[2 * i + 1], 0x88),
                         _mm512_shuffle_f32x4(u[2 * i], u[2 * i + 1], 0xDD));
  return _mm512_add_ps(_mm512_shuffle_f32x4(w[0], w[1], 0x88),
                       _mm512_shuffle_f32x4(w[0], w[1], 0xDD));
}

// R rows of A against all N columns: R*N accumulators plus R A vectors and one B^T vector fit in
// the 32 registers, and each B^T vector loaded from L1 feeds R FMAs.
template <int R, int N>
void dots_rows(int64_t k, const float* a, int64_t lda, const float* bt, int64_t bt_js,
               int64_t bt_cs, float* c, int64_t ldc, const TileStore& st) {
  __m512 acc[R][N];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 16
    for (int j = 0; j < N; ++j) acc[r][j] = _mm512_setzero_ps();
  const int64_t k16 = k & ~int64_t{15};
  // Masking A alone is enough in the tail: its zero lanes cancel whatever B holds there.
  auto step = [&](int64_t p, __mmask16 mask, const float* bp) {
    __m512 av[R];
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      // A streams from L2 once per call, R rows at a time; the hardware prefetcher does not
      // run far enough ahead on R interleaved streams.
      _mm_prefetch(reinterpret_cast<const char*>(a + r * lda + p + 256), _MM_HINT_T0);
      av[r] = _mm512_maskz_loadu_ps(mask, a + r * lda + p);
    }
#pragma GCC unroll 16
    for (int j = 0; j < N; ++j) {
      const __m512 b = _mm512_maskz_loadu_ps(mask, bp + j * bt_js);
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) acc[r][j] = _mm512_fmadd_ps(av[r], b, acc[r][j]);
    }
  };
  const float* bp = bt;
  for (int64_t p = 0; p < k16; p += 16, bp += bt_cs) step(p, static_cast<__mmask16>(0xFFFF), bp);
  if (k16 < k) step(k16, tail_mask(k - k16), bp);

  const __mmask16 nmask = tail_mask(N);
  const __m512 zero = _mm512_setzero_ps();
  const __m512 bias = st.bias != nullptr ? _mm512_maskz_loadu_ps(nmask, st.bias) : zero;
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    __m512 v[16];
#pragma GCC unroll 16
    for (int j = 0; j < 16; ++j) v[j] = j < N ? acc[r][j] : zero;
    __m512 x = reduce16(v);
    float* cr = c + r * ldc;
    if (st.alpha != 1.0f) x = _mm512_mul_ps(x, _mm512_set1_ps(st.alpha));
    if (st.beta != 0.0f)
      x = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(nmask, cr), _mm512_set1_ps(st.beta), x);
    if (st.bias != nullptr) x = _mm512_add_ps(x, bias);
    if (st.relu) x = _mm512_max_ps(zero, x);  // keeps NaN
    _mm512_mask_storeu_ps(cr, nmask, x);
  }
}

template <int N>
void dots_n(int64_t m, int64_t k, const float* a, int64_t lda, const float* bt, int64_t bt_js,
            int64_t bt_cs, float* c, int64_t ldc, const TileStore& st) {
  constexpr int R = 24 / N < 6 ? (24 / N < 1 ? 1 : 24 / N) : 6;
  int64_t i = 0;
  for (; i + R <= m; i += R) dots_rows<R, N>(k, a + i * lda, lda, bt, bt_js, bt_cs, c + i * ldc, ldc, st);
  for (; i < m; ++i) dots_rows<1, N>(k, a + i * lda, lda, bt, bt_js, bt_cs, c + i * ldc, ldc, st);
}

constexpr int kDotsMaxN = 12;

// Each 16-deep block is the 16 x n strip of B transposed by pack_strided, which zero-fills the
// rows past kc.
void dots_pack(const float* b, int64_t ldb, int64_t n, int64_t kc, float* dst) {
  for (int64_t p0 = 0; p0 < kc; p0 += 16)
    pack_strided<16>(b + p0 * ldb, ldb, kc - p0 < 16 ? kc - p0 : 16, n, dst + p0 * n);
}

void dots(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* bt,
          int64_t bt_js, int64_t bt_cs, float* c, int64_t ldc, const TileStore& st) {
  switch (n) {
    case 1: return dots_n<1>(m, k, a, lda, bt, bt_js, bt_cs, c, ldc, st);
    case 2: return dots_n<2>(m, k, a, lda, bt, bt_js, bt_cs, c, ldc, st);
    case 3: return dots_n<3>(m, k, a, lda, bt, bt_js, bt_cs, c, ldc, st);
    case 4: return dots_n<4>(m, k, a, lda, bt, bt_js, bt_cs, c, ldc, st);
    case 5: return dots_n<5>(m, k, a, lda, bt, bt_js, bt_cs, c, ldc, st);
    case 6: return dots_n<6>(m, k, a, lda, bt, bt_js, bt_cs, c, ldc, st);
    case 7: return dots_n<7>(m, k, a, lda, bt, bt_js, bt_cs, c, ldc, st);
    case 8: return dots_n<8>(m, k, a, lda, bt, bt_js, bt_cs, c, ldc, st);
    case 9: return dots_n<9>(m, k, a, lda, bt, bt_js, bt_cs, c, ldc, st);
    case 10: return dots_n<10>(m, k, a, lda, bt, bt_js, bt_cs, c, ldc, st);
    case 11: return dots_n<11>(m, k, a, lda, bt, bt_js, bt_cs, c, ldc, st);
    default: return dots_n<12>(m, k, a, lda, bt, bt_js, bt_cs, c, ldc, st);
  }
}

}  // namespace

const IsaKernels& table() {
  static const IsaKernels k{kMr, kNr, /*kc=*/256, /*mc=*/kMr * 24, /*nc=*/kNr * 64,
                            pack<kMr>, pack<kNr>, micro_kernel, gemv_rows, gemv_dots,
                            kDotsMaxN, dots, dots_pack, micro_kernel_copy_b, seg_kernel};
  return k;
}

}  // namespace tf::kernels::gemm_detail::avx512
