// AVX-512 GEMM micro-kernel, packing and GEMV. Compiled with -mavx512f/dq/bw/vl and reached only
// through gemm.cpp's run-time dispatch; everything here has internal linkage so no AVX-512 code
// can be picked up by the linker for a baseline caller.
// GCC 12's AVX-512 headers build results from _mm512_undefined_*() and then warn about it
// (GCC bug 105593) on every max/extract/cast; the warning is about the header, not this code.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>

#include <cstdint>

#include "kernels/gemm_internal.h"

namespace tf::kernels::gemm_detail {
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

template <int R, int V>
void store_tile(__m512 (&acc)[R][V], float* c, int64_t ldc, int nr, const TileStore& st) {
  if (st.trans_c) {
    alignas(64) float tile[R][kNr] = {};
    for (int i = 0; i < R; ++i)
      for (int v = 0; v < V; ++v) _mm512_store_ps(&tile[i][16 * v], acc[i][v]);
    for (int j = 0; j < nr; ++j) {
      float* cj = c + j * ldc;
      for (int i = 0; i < R; ++i) {
        float x = st.alpha * tile[i][j];
        if (st.beta != 0.0f) x += st.beta * cj[i];
        if (st.bias != nullptr) x += st.bias[i];
        if (st.relu) x = x < 0.0f ? 0.0f : x;  // keeps NaN, like max(0, x) elsewhere
        cj[i] = x;
      }
    }
    return;
  }
  const __m512 alpha = _mm512_set1_ps(st.alpha);
  const __m512 beta = _mm512_set1_ps(st.beta);
  const __m512 zero = _mm512_setzero_ps();
  __mmask16 mask[V];
  __m512 bias[V];
  for (int v = 0; v < V; ++v) {
    mask[v] = tail_mask(nr - 16 * v);
    bias[v] = st.bias != nullptr ? _mm512_maskz_loadu_ps(mask[v], st.bias + 16 * v) : zero;
  }
  for (int i = 0; i < R; ++i) {
    float* ci = c + i * ldc;
    for (int v = 0; v < V; ++v) {
      __m512 x = _mm512_mul_ps(acc[i][v], alpha);
      if (st.beta != 0.0f) x = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask[v], ci + 16 * v), beta, x);
      x = _mm512_add_ps(x, bias[v]);
      // max(0, x) returns its second operand when either is NaN, so NaN survives the ReLU.
      if (st.relu) x = _mm512_max_ps(zero, x);
      _mm512_mask_storeu_ps(ci + 16 * v, mask[v], x);
    }
  }
}

// KContig: A rows are contiguous along k (unpacked row-major A, element (i, p) at
// pa[i * a_stride + p]). Otherwise the R values of one k step are contiguous (a packed panel or
// unpacked transposed A, element (i, p) at pa[i + p * a_stride]).
template <int R, int V, bool KContig>
void tile_kernel(int64_t kc, const float* pa, int64_t a_stride, const float* pb, float* c,
                 int64_t ldc, int nr, const TileStore& st) {
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
  }

  for (int64_t p = 0; p < kc; ++p) {
    __m512 b[V];
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) b[v] = _mm512_load_ps(pb + 16 * v);
    // A is the next panel's stream from L2; B stays in L1 across the A panels of a block.
    if (!KContig) _mm_prefetch(reinterpret_cast<const char*>(pa + 8 * a_stride), _MM_HINT_T0);
#pragma GCC unroll 16
    for (int i = 0; i < R; ++i) {
      const __m512 a = _mm512_set1_ps(KContig ? pa[i * a_stride] : pa[i]);
#pragma GCC unroll 2
      for (int v = 0; v < V; ++v) acc[i][v] = _mm512_fmadd_ps(a, b[v], acc[i][v]);
    }
    pa += KContig ? 1 : a_stride;
    pb += kNr;
  }
  store_tile<R, V>(acc, c, ldc, nr, st);
}

template <int V, bool KContig>
void kernel_rows(int64_t kc, const float* pa, int64_t a_stride, const float* pb, float* c,
                 int64_t ldc, int mr, int nr, const TileStore& st) {
  switch (mr) {
    case 1: return tile_kernel<1, V, KContig>(kc, pa, a_stride, pb, c, ldc, nr, st);
    case 2: return tile_kernel<2, V, KContig>(kc, pa, a_stride, pb, c, ldc, nr, st);
    case 3: return tile_kernel<3, V, KContig>(kc, pa, a_stride, pb, c, ldc, nr, st);
    case 4: return tile_kernel<4, V, KContig>(kc, pa, a_stride, pb, c, ldc, nr, st);
    case 5: return tile_kernel<5, V, KContig>(kc, pa, a_stride, pb, c, ldc, nr, st);
    case 6: return tile_kernel<6, V, KContig>(kc, pa, a_stride, pb, c, ldc, nr, st);
    case 7: return tile_kernel<7, V, KContig>(kc, pa, a_stride, pb, c, ldc, nr, st);
    case 8: return tile_kernel<8, V, KContig>(kc, pa, a_stride, pb, c, ldc, nr, st);
    case 9: return tile_kernel<9, V, KContig>(kc, pa, a_stride, pb, c, ldc, nr, st);
    case 10: return tile_kernel<10, V, KContig>(kc, pa, a_stride, pb, c, ldc, nr, st);
    case 11: return tile_kernel<11, V, KContig>(kc, pa, a_stride, pb, c, ldc, nr, st);
    case 12: return tile_kernel<12, V, KContig>(kc, pa, a_stride, pb, c, ldc, nr, st);
    case 13: return tile_kernel<13, V, KContig>(kc, pa, a_stride, pb, c, ldc, nr, st);
    default: return tile_kernel<14, V, KContig>(kc, pa, a_stride, pb, c, ldc, nr, st);
  }
}

// Edge tiles run a kernel sized to the rows that exist, and a one-vector kernel when at most 16
// columns remain, so padding costs no FMAs beyond the last partial vector.
void micro_kernel(int64_t kc, const float* pa, int64_t a_rs, int64_t a_ks, const float* pb,
                  float* c, int64_t ldc, int mr, int nr, const TileStore& st) {
  const bool k_contig = a_ks == 1 && mr > 1;
  const int64_t a_stride = k_contig ? a_rs : a_ks;
  if (nr > 16) {
    if (k_contig) return kernel_rows<2, true>(kc, pa, a_stride, pb, c, ldc, mr, nr, st);
    return kernel_rows<2, false>(kc, pa, a_stride, pb, c, ldc, mr, nr, st);
  }
  if (k_contig) return kernel_rows<1, true>(kc, pa, a_stride, pb, c, ldc, mr, nr, st);
  return kernel_rows<1, false>(kc, pa, a_stride, pb, c, ldc, mr, nr, st);
}

// --------------------------------------------------------------------------------------------
// GEMV

void gemv_rows(int64_t n, int64_t k, const float* x, const float* m, int64_t ld, float* y) {
  int64_t j = 0;
  // 8 vectors of y stay in registers over the whole k loop; each row of m is read once.
  for (; j + 128 <= n; j += 128) {
    __m512 acc[8];
    for (int v = 0; v < 8; ++v) acc[v] = _mm512_setzero_ps();
    for (int64_t p = 0; p < k; ++p) {
      const __m512 xp = _mm512_set1_ps(x[p]);
      const float* row = m + p * ld + j;
      for (int v = 0; v < 8; ++v) acc[v] = _mm512_fmadd_ps(xp, _mm512_loadu_ps(row + 16 * v), acc[v]);
    }
    for (int v = 0; v < 8; ++v) _mm512_storeu_ps(y + j + 16 * v, acc[v]);
  }
  for (; j < n; j += 16) {
    const __mmask16 mask = tail_mask(n - j);
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    int64_t p = 0;
    for (; p + 2 <= k; p += 2) {
      acc0 = _mm512_fmadd_ps(_mm512_set1_ps(x[p]), _mm512_maskz_loadu_ps(mask, m + p * ld + j), acc0);
      acc1 = _mm512_fmadd_ps(_mm512_set1_ps(x[p + 1]),
                             _mm512_maskz_loadu_ps(mask, m + (p + 1) * ld + j), acc1);
    }
    if (p < k) acc0 = _mm512_fmadd_ps(_mm512_set1_ps(x[p]), _mm512_maskz_loadu_ps(mask, m + p * ld + j), acc0);
    _mm512_mask_storeu_ps(y + j, mask, _mm512_add_ps(acc0, acc1));
  }
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

}  // namespace

const IsaKernels& avx512_kernels() {
  static const IsaKernels k{kMr, kNr, /*kc=*/256, /*mc=*/kMr * 24, /*nc=*/kNr * 64,
                            pack<kMr>, pack<kNr>, micro_kernel, gemv_rows, gemv_dots};
  return k;
}

}  // namespace tf::kernels::gemm_detail
