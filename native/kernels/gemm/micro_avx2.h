#pragma once
// AVX2 + FMA GEMM micro-kernel, packing and GEMV. Compiled with -mavx2 -mfma and reached only
// through gemm.cpp's run-time dispatch; internal linkage keeps these symbols out of baseline code.
#include <immintrin.h>

#include <cstdint>

#include "kernels/gemm/gemm_internal.h"

namespace tf::kernels::gemm_detail::avx2 {
namespace {

// 6 x 16 tile: 12 ymm accumulators + 2 for the B row + 1 broadcast of the 16 registers. Two FMA
// ports with 4-cycle latency need at least 8 independent accumulators; 12 leaves headroom.
constexpr int kMr = 6;
constexpr int kNr = 16;

// Lanes [0, count) set, for maskload/maskstore.
inline __m256i tail_mask(int64_t count) {
  const int c = count >= 8 ? 8 : (count <= 0 ? 0 : static_cast<int>(count));
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(c), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// --------------------------------------------------------------------------------------------
// Packing

inline void transpose8(__m256 r[8]) {
  __m256 t[8];
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  // u[4g + j] holds, in 128-bit lane L, column 4L + j of rows 4g..4g+3.
  __m256 u[8];
  for (int g = 0; g < 2; ++g) {
    u[4 * g + 0] = _mm256_shuffle_ps(t[4 * g], t[4 * g + 2], 0x44);
    u[4 * g + 1] = _mm256_shuffle_ps(t[4 * g], t[4 * g + 2], 0xEE);
    u[4 * g + 2] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
    u[4 * g + 3] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xEE);
  }
  for (int j = 0; j < 4; ++j) {
    r[j] = _mm256_permute2f128_ps(u[j], u[4 + j], 0x20);
    r[4 + j] = _mm256_permute2f128_ps(u[j], u[4 + j], 0x31);
  }
}

// dst[p * W + r] = src[r * ld + p] through 8x8 register transposes; rows past w read as zeros.
template <int W>
void pack_strided(const float* src, int64_t ld, int64_t w, int64_t kc, float* dst) {
  for (int64_t p0 = 0; p0 < kc; p0 += 8) {
    const int64_t pn = kc - p0 < 8 ? kc - p0 : 8;
    const __m256i pmask = tail_mask(pn);
    for (int r0 = 0; r0 < W; r0 += 8) {
      const int rn = W - r0 < 8 ? W - r0 : 8;
      __m256 r[8];
      for (int i = 0; i < 8; ++i) {
        const int64_t row = r0 + i;
        if (row >= w) {
          r[i] = _mm256_setzero_ps();
        } else if (pn == 8) {
          r[i] = _mm256_loadu_ps(src + row * ld + p0);
        } else {
          r[i] = _mm256_maskload_ps(src + row * ld + p0, pmask);
        }
      }
      transpose8(r);
      if (rn == 8) {
        for (int64_t j = 0; j < pn; ++j) _mm256_storeu_ps(dst + (p0 + j) * W + r0, r[j]);
      } else {
        const __m256i smask = tail_mask(rn);
        for (int64_t j = 0; j < pn; ++j) _mm256_maskstore_ps(dst + (p0 + j) * W + r0, smask, r[j]);
      }
    }
  }
}

template <int W>
void pack_contiguous(const float* src, int64_t ld, int64_t w, int64_t kc, float* dst) {
  for (int64_t p = 0; p < kc; ++p) {
    const float* s = src + p * ld;
    float* d = dst + p * W;
    for (int r0 = 0; r0 < W; r0 += 8) {
      const int rn = W - r0 < 8 ? W - r0 : 8;
      const int64_t valid = w - r0;
      __m256 v;
      if (valid >= 8) {
        v = _mm256_loadu_ps(s + r0);
      } else if (valid > 0) {
        v = _mm256_maskload_ps(s + r0, tail_mask(valid));
      } else {
        v = _mm256_setzero_ps();
      }
      if (rn == 8) {
        _mm256_storeu_ps(d + r0, v);
      } else {
        _mm256_maskstore_ps(d + r0, tail_mask(rn), v);
      }
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
__attribute__((noinline)) void store_tile_trans(__m256 (&acc)[R][V], float* c, int64_t ldc, int nr,
                                              const TileStore& st) {
  const __m256 alpha = _mm256_set1_ps(st.alpha);
  const __m256 beta = _mm256_set1_ps(st.beta);
  const __m256 zero = _mm256_setzero_ps();
  const bool scale = st.alpha != 1.0f;
  // Column j of the tile is a contiguous run of R floats of C; a register transpose turns the
  // accumulators into those runs so the epilogue stays vectorised.
  const __m256i rmask = tail_mask(R);
  const __m256 bias = st.bias != nullptr ? _mm256_maskload_ps(st.bias, rmask) : zero;
  // Fully unrolled: a run-time index into acc would force the accumulators into memory.
#pragma GCC unroll 2
  for (int v = 0; v < V; ++v) {
    __m256 t[8];
#pragma GCC unroll 16
    for (int i = 0; i < 8; ++i) t[i] = i < R ? acc[i][v] : zero;
    transpose8(t);
    const int cols = nr - 8 * v < 8 ? nr - 8 * v : 8;
    for (int j = 0; j < cols; ++j) {
      float* cj = c + (8 * v + j) * ldc;
      __m256 x = scale ? _mm256_mul_ps(t[j], alpha) : t[j];
      if (st.beta != 0.0f) x = _mm256_fmadd_ps(_mm256_maskload_ps(cj, rmask), beta, x);
      if (st.bias != nullptr) x = _mm256_add_ps(x, bias);
      if (st.residual != nullptr) x = _mm256_add_ps(x, _mm256_maskload_ps(st.residual + (8 * v + j) * st.ld_residual, rmask));
      if (st.relu) x = _mm256_max_ps(zero, x);
      _mm256_maskstore_ps(cj, rmask, x);
    }
  }
}

template <int R, int V>
void store_tile(__m256 (&acc)[R][V], float* c, int64_t ldc, int nr, const TileStore& st) {
  const __m256 alpha = _mm256_set1_ps(st.alpha);
  const __m256 beta = _mm256_set1_ps(st.beta);
  const __m256 zero = _mm256_setzero_ps();
  // Skipping the multiply for alpha == 1 matters when k is small: then the epilogue is a large
  // share of the FMA-port work of a tile.
  const bool scale = st.alpha != 1.0f;
  if (st.trans_c) return store_tile_trans<R, V>(acc, c, ldc, nr, st);
  const bool full = nr == 8 * V;
  __m256i mask[V];
  __m256 bias[V];
  for (int v = 0; v < V; ++v) {
    mask[v] = tail_mask(nr - 8 * v);
    bias[v] = st.bias != nullptr ? _mm256_maskload_ps(st.bias + 8 * v, mask[v]) : zero;
  }
  for (int i = 0; i < R; ++i) {
    float* ci = c + i * ldc;
    for (int v = 0; v < V; ++v) {
      __m256 x = scale ? _mm256_mul_ps(acc[i][v], alpha) : acc[i][v];
      if (st.beta != 0.0f) {
        const __m256 old = full ? _mm256_loadu_ps(ci + 8 * v) : _mm256_maskload_ps(ci + 8 * v, mask[v]);
        x = _mm256_fmadd_ps(old, beta, x);
      }
      if (st.bias != nullptr) x = _mm256_add_ps(x, bias[v]);
      if (st.residual != nullptr) {
        const float* ri = st.residual + i * st.ld_residual + 8 * v;
        x = _mm256_add_ps(x, full ? _mm256_loadu_ps(ri) : _mm256_maskload_ps(ri, mask[v]));
      }
      if (st.relu) x = _mm256_max_ps(zero, x);  // second operand (x) wins on NaN
      if (full) {
        _mm256_storeu_ps(ci + 8 * v, x);
      } else {
        _mm256_maskstore_ps(ci + 8 * v, mask[v], x);
      }
    }
  }
}

// KContig: A rows are contiguous along k (unpacked row-major A, element (i, p) at
// pa[i * a_stride + p]). Otherwise the R values of one k step are contiguous (a packed panel or
// unpacked transposed A, element (i, p) at pa[i + p * a_stride]).
// B element (p, j) is at pb[p * b_ks + j]: a packed panel (b_ks == kNr, zero-padded) or B read in
// place. Masked: B is read in place and its rows end inside the last vector, which must then be
// loaded with a mask (a plain load could cross into an unmapped page).
template <int R, int V, bool KContig, bool Masked>
void tile_kernel(int64_t kc, const float* pa, int64_t a_stride, const float* pb, int64_t b_ks,
                 float* c, int64_t ldc, int nr, const TileStore& st) {
  __m256 acc[R][V];
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) acc[i][v] = _mm256_setzero_ps();
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

  const __m256i last_mask = tail_mask(nr - 8 * (V - 1));
  // A read in place (st.prefetch_a): the next strip's rows (the next R rows, one strip ahead: ~1000 cycles at
  // kc = 144), a line per row every 16 k steps. Six rows consumed side by side, 4 bytes a step
  // each, are not a stream the hardware prefetchers follow well from memory: a 1x1 convolution
  // over a batch-8 56x56x144 input (14 MB of A) read it at 5 GB/s. The k loop runs in runs of 16
  // so that the prefetches stay out of its body.
  for (int64_t p0 = 0; p0 < kc; p0 += 16) {
    if (KContig && st.prefetch_a) {
#pragma GCC unroll 8
      for (int i = 0; i < R; ++i) _mm_prefetch(reinterpret_cast<const char*>(pa + (R + i) * a_stride), _MM_HINT_T0);
    }
    const int64_t p1 = kc - p0 < 16 ? kc : p0 + 16;
    for (int64_t p = p0; p < p1; ++p) {
      __m256 b[V];
#pragma GCC unroll 2
      for (int v = 0; v < V; ++v)
        b[v] = Masked && v == V - 1 ? _mm256_maskload_ps(pb + 8 * v, last_mask)
                                    : _mm256_loadu_ps(pb + 8 * v);
#pragma GCC unroll 8
      for (int i = 0; i < R; ++i) {
        const __m256 a = _mm256_broadcast_ss(KContig ? pa + i * a_stride : pa + i);
#pragma GCC unroll 2
        for (int v = 0; v < V; ++v) acc[i][v] = _mm256_fmadd_ps(a, b[v], acc[i][v]);
      }
      pa += KContig ? 1 : a_stride;
      pb += b_ks;
    }
  }
  // The store goes through a copy so that acc itself never escapes: GCC treats the masked loads
  // above as possible readers of any escaped array and would then write every accumulator back
  // to the stack on each k step.
  __m256 out[R][V];
#pragma GCC unroll 16
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) out[i][v] = acc[i][v];
  store_tile<R, V>(out, c, ldc, nr, st);
}

template <int V, bool KContig, bool Masked>
void kernel_rows(int64_t kc, const float* pa, int64_t a_stride, const float* pb, int64_t b_ks,
                 float* c, int64_t ldc, int mr, int nr, const TileStore& st) {
  switch (mr) {
    case 1: return tile_kernel<1, V, KContig, Masked>(kc, pa, a_stride, pb, b_ks, c, ldc, nr, st);
    case 2: return tile_kernel<2, V, KContig, Masked>(kc, pa, a_stride, pb, b_ks, c, ldc, nr, st);
    case 3: return tile_kernel<3, V, KContig, Masked>(kc, pa, a_stride, pb, b_ks, c, ldc, nr, st);
    case 4: return tile_kernel<4, V, KContig, Masked>(kc, pa, a_stride, pb, b_ks, c, ldc, nr, st);
    case 5: return tile_kernel<5, V, KContig, Masked>(kc, pa, a_stride, pb, b_ks, c, ldc, nr, st);
    default: return tile_kernel<6, V, KContig, Masked>(kc, pa, a_stride, pb, b_ks, c, ldc, nr, st);
  }
}

template <int V>
void kernel_cols(int64_t kc, const float* pa, int64_t a_rs, int64_t a_ks, const float* pb,
                 int64_t b_ks, float* c, int64_t ldc, int mr, int nr, const TileStore& st) {
  const bool k_contig = a_ks == 1 && mr > 1;
  const int64_t a_stride = k_contig ? a_rs : a_ks;
  // Packed panels are zero-padded, but one mask on an edge panel costs less than a flag.
  const bool masked = nr < 8 * V;
  if (k_contig) {
    if (masked) return kernel_rows<V, true, true>(kc, pa, a_stride, pb, b_ks, c, ldc, mr, nr, st);
    return kernel_rows<V, true, false>(kc, pa, a_stride, pb, b_ks, c, ldc, mr, nr, st);
  }
  if (masked) return kernel_rows<V, false, true>(kc, pa, a_stride, pb, b_ks, c, ldc, mr, nr, st);
  return kernel_rows<V, false, false>(kc, pa, a_stride, pb, b_ks, c, ldc, mr, nr, st);
}

void micro_kernel(int64_t kc, const float* pa, int64_t a_rs, int64_t a_ks, const float* pb,
                  int64_t b_ks, float* c, int64_t ldc, int mr, int nr, const TileStore& st) {
  if (nr > 8) return kernel_cols<2>(kc, pa, a_rs, a_ks, pb, b_ks, c, ldc, mr, nr, st);
  return kernel_cols<1>(kc, pa, a_rs, a_ks, pb, b_ks, c, ldc, mr, nr, st);
}

// Implicit-GEMM tile (SegKernelFn): tile_kernel's k loop over row-contiguous A, split into
// segments that each start at their own offset; B is a packed panel, so no masked loads.
template <int R, int V>
void seg_tile(int64_t segs, int64_t seg_k, int64_t seg_stride, const float* pa, int64_t a_rs, const float* pb,
              float* c, int64_t ldc, int nr, const TileStore& st) {
  __m256 acc[R][V];
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) acc[i][v] = _mm256_setzero_ps();
  for (int64_t s = 0; s < segs; ++s) {
    const float* a = pa + s * seg_stride;
    for (int64_t p = 0; p < seg_k; ++p) {
      __m256 b[V];
#pragma GCC unroll 2
      for (int v = 0; v < V; ++v) b[v] = _mm256_loadu_ps(pb + 8 * v);
#pragma GCC unroll 8
      for (int i = 0; i < R; ++i) {
        const __m256 av = _mm256_broadcast_ss(a + i * a_rs + p);
#pragma GCC unroll 2
        for (int v = 0; v < V; ++v) acc[i][v] = _mm256_fmadd_ps(av, b[v], acc[i][v]);
      }
      pb += kNr;
    }
  }
  __m256 out[R][V];
#pragma GCC unroll 16
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) out[i][v] = acc[i][v];
  store_tile<R, V>(out, c, ldc, nr, st);
}

template <int V>
void seg_rows(int64_t segs, int64_t seg_k, int64_t seg_stride, const float* pa, int64_t a_rs, const float* pb,
              float* c, int64_t ldc, int mr, int nr, const TileStore& st) {
  switch (mr) {
    case 1: return seg_tile<1, V>(segs, seg_k, seg_stride, pa, a_rs, pb, c, ldc, nr, st);
    case 2: return seg_tile<2, V>(segs, seg_k, seg_stride, pa, a_rs, pb, c, ldc, nr, st);
    case 3: return seg_tile<3, V>(segs, seg_k, seg_stride, pa, a_rs, pb, c, ldc, nr, st);
    case 4: return seg_tile<4, V>(segs, seg_k, seg_stride, pa, a_rs, pb, c, ldc, nr, st);
    case 5: return seg_tile<5, V>(segs, seg_k, seg_stride, pa, a_rs, pb, c, ldc, nr, st);
    default: return seg_tile<6, V>(segs, seg_k, seg_stride, pa, a_rs, pb, c, ldc, nr, st);
  }
}

void seg_kernel(int64_t segs, int64_t seg_k, int64_t seg_stride, const float* pa, int64_t a_rs, const float* pb,
                float* c, int64_t ldc, int mr, int nr, const TileStore& st) {
  if (nr > 8) return seg_rows<2>(segs, seg_k, seg_stride, pa, a_rs, pb, c, ldc, mr, nr, st);
  return seg_rows<1>(segs, seg_k, seg_stride, pa, a_rs, pb, c, ldc, mr, nr, st);
}

// --------------------------------------------------------------------------------------------
// GEMV

// NV vectors of y (the last masked by `last`) in registers over the whole k loop; each row of m is
// read once. Every column's value is the same k-ordered chain of FMAs from zero whatever NV and
// wherever the block starts, so a split GEMV gives every column the same bits as an unsplit one.
// Named accumulators rather than an array: with an array GCC kept the accumulators of the
// narrower blocks in memory and stored them on every k step. FULL: no masked last vector.
template <int NV, bool FULL>
__attribute__((always_inline)) inline void gemv_rows_block(int64_t k, const float* x, const float* m, int64_t ld,
                                                           float* y, __m256i last) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
#define TF_GEMV_ACC(v, a)                                                                              \
  if constexpr (NV > v) {                                                                              \
    if constexpr (FULL || v < NV - 1) a = _mm256_fmadd_ps(xp, _mm256_loadu_ps(row + 8 * v), a);      \
    else a = _mm256_fmadd_ps(xp, _mm256_maskload_ps(row + 8 * v, last), a);                          \
  }
  for (int64_t p = 0; p < k; ++p) {
    const __m256 xp = _mm256_broadcast_ss(x + p);
    const float* row = m + p * ld;
    TF_GEMV_ACC(0, a0) TF_GEMV_ACC(1, a1) TF_GEMV_ACC(2, a2) TF_GEMV_ACC(3, a3)
    TF_GEMV_ACC(4, a4) TF_GEMV_ACC(5, a5) TF_GEMV_ACC(6, a6) TF_GEMV_ACC(7, a7)
  }
#undef TF_GEMV_ACC
#define TF_GEMV_STORE(v, a)                                                \
  if constexpr (NV > v) {                                                  \
    if constexpr (FULL || v < NV - 1) _mm256_storeu_ps(y + 8 * v, a);      \
    else _mm256_maskstore_ps(y + 8 * v, last, a);                          \
  }
  TF_GEMV_STORE(0, a0) TF_GEMV_STORE(1, a1) TF_GEMV_STORE(2, a2) TF_GEMV_STORE(3, a3)
  TF_GEMV_STORE(4, a4) TF_GEMV_STORE(5, a5) TF_GEMV_STORE(6, a6) TF_GEMV_STORE(7, a7)
#undef TF_GEMV_STORE
}

void gemv_rows(int64_t n, int64_t k, const float* x, const float* m, int64_t ld, float* y) {
  const __m256i all = tail_mask(8);
  int64_t j = 0;
  for (; j + 64 <= n; j += 64) gemv_rows_block<8, true>(k, x, m + j, ld, y + j, all);
  // Whole vectors left, then the partial one on its own.
  switch ((n - j) / 8) {
    case 1: gemv_rows_block<1, true>(k, x, m + j, ld, y + j, all); break;
    case 2: gemv_rows_block<2, true>(k, x, m + j, ld, y + j, all); break;
    case 3: gemv_rows_block<3, true>(k, x, m + j, ld, y + j, all); break;
    case 4: gemv_rows_block<4, true>(k, x, m + j, ld, y + j, all); break;
    case 5: gemv_rows_block<5, true>(k, x, m + j, ld, y + j, all); break;
    case 6: gemv_rows_block<6, true>(k, x, m + j, ld, y + j, all); break;
    case 7: gemv_rows_block<7, true>(k, x, m + j, ld, y + j, all); break;
    default: break;
  }
  j += (n - j) / 8 * 8;
  if (j < n) gemv_rows_block<1, false>(k, x, m + j, ld, y + j, tail_mask(n - j));
}

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

void gemv_dots(int64_t n, int64_t k, const float* x, const float* m, int64_t ld, float* y) {
  const int64_t k8 = k & ~int64_t{7};
  const __m256i kmask = tail_mask(k - k8);
  int64_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const float* r0 = m + j * ld;
    const float* r1 = r0 + ld;
    const float* r2 = r1 + ld;
    const float* r3 = r2 + ld;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(),
           a3 = _mm256_setzero_ps();
    for (int64_t p = 0; p < k8; p += 8) {
      const __m256 xv = _mm256_loadu_ps(x + p);
      a0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + p), xv, a0);
      a1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + p), xv, a1);
      a2 = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + p), xv, a2);
      a3 = _mm256_fmadd_ps(_mm256_loadu_ps(r3 + p), xv, a3);
    }
    if (k8 < k) {
      const __m256 xv = _mm256_maskload_ps(x + k8, kmask);
      a0 = _mm256_fmadd_ps(_mm256_maskload_ps(r0 + k8, kmask), xv, a0);
      a1 = _mm256_fmadd_ps(_mm256_maskload_ps(r1 + k8, kmask), xv, a1);
      a2 = _mm256_fmadd_ps(_mm256_maskload_ps(r2 + k8, kmask), xv, a2);
      a3 = _mm256_fmadd_ps(_mm256_maskload_ps(r3 + k8, kmask), xv, a3);
    }
    y[j] = hsum(a0);
    y[j + 1] = hsum(a1);
    y[j + 2] = hsum(a2);
    y[j + 3] = hsum(a3);
  }
  for (; j < n; ++j) {
    const float* r = m + j * ld;
    __m256 a = _mm256_setzero_ps();
    for (int64_t p = 0; p < k8; p += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(r + p), _mm256_loadu_ps(x + p), a);
    if (k8 < k) a = _mm256_fmadd_ps(_mm256_maskload_ps(r + k8, kmask), _mm256_maskload_ps(x + k8, kmask), a);
    y[j] = hsum(a);
  }
}

}  // namespace

const IsaKernels& table() {
  // A row-major A is not packed unless its rows alias in L1: six rows read in place measured faster
  // than a packed copy on an AMD EPYC (Zen 3), 1x1-convolution GEMMs most (3136 x 576 x 96 with B
  // prepacked: 45-62 -> 75-79 GFLOP/s). The 14-row AVX-512 strip keeps packing.
  // Depth slices of up to 512 (a 32 KB B panel) rather than 256: each slice stores and reloads
  // every tile of C once more, and on the Zen 3 VM 1-thread GEMMs gained 3-6% (gemm_bench:
  // 512^3 86 -> 92, 64x784x512 76 -> 80, 784x512x128 89 -> 94 GFLOP/s); 1024 was no better.
  static const IsaKernels k{kMr, kNr, /*kc=*/512, /*mc=*/kMr * 24, /*nc=*/kNr * 128,
                            pack<kMr>, pack<kNr>, micro_kernel, gemv_rows, gemv_dots, 0, nullptr, nullptr,
                            nullptr, seg_kernel, /*pack_a_min_panels=*/-1};
  return k;
}

}  // namespace tf::kernels::gemm_detail::avx2
