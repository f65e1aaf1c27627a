// The integer kernels, compiled once per ISA level (tf_kernel_family; the avx512vnni level exists
// for this family only, see common/isa_levels.txt). Each copy defines quant_detail::<level>::table().
//   avx512vnni: vpdpbusd multiplies 4 uint8 activations by 4 int8 weights into each int32 lane.
//   avx2 (and the avx512 level of a CPU without VNNI): vpmaddubsw + vpmaddwd. vpmaddubsw adds two
//     uint8 x int8 products in int16 and saturates (255 * -128 * 2 < -32768), so each activation
//     is split as a = a_lo + 128 * a_hi (a_lo 7 bits, a_hi 1 bit): both vpmaddubsw then stay in
//     int16 range and vpmaddwd by 1 and by 128 widens them to int32. Exact for every uint8
//     activation and int8 weight, with no 7-bit restriction on the weights.
//   scalar: plain loops.
// Every level computes the same integers, and the float epilogue rounds once per step with an
// explicit fma, so all levels give the same bits (quant.h).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/common/isa.h"
#include "kernels/quant/quant_internal.h"

#if TF_ISA_LEVEL >= TF_ISA_AVX2
#include <immintrin.h>
#endif
#if TF_ISA_LEVEL >= TF_ISA_AVX512
// GCC 12's AVX-512 intrinsics seed their unmasked forms with a self-initialised `undefined` vector,
// which -Wmaybe-uninitialized reports at every use (as in gemm/micro_avx512.h).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace tf::kernels::quant_detail::TF_ISA_NS {
namespace {

// ---- scalar pieces, shared by every level (tails, and the whole scalar copy) --------------------

inline float activate(float v, int act) {
  if (act == 0) return v;
  float r = v > 0.0f ? v : 0.0f;  // NaN -> 0, as max_ps(v, 0) gives
  if (act == 2 && !(r < 6.0f)) r = 6.0f;
  return r;
}

inline uint8_t quantize_one(float v, float scale, int32_t zero_point) {
  float q = v / scale;
  // Clamped before the conversion (|q| > 2^31 would not convert); NaN -> -1024 -> 0, as the SIMD
  // max_ps(q, -1024) gives. The bounds are far outside what zero_point + 0..255 can reach.
  q = q > -1024.0f ? q : -1024.0f;
  q = q < 1024.0f ? q : 1024.0f;
  const int32_t r = static_cast<int32_t>(std::nearbyint(q)) + zero_point;
  return static_cast<uint8_t>(r < 0 ? 0 : r > 255 ? 255 : r);
}

inline float epilogue_value(int32_t acc, int64_t j, const RowEpilogue& e) {
  // Wrapping subtraction: the intermediate terms may exceed int32, the true result does not.
  const int32_t c = static_cast<int32_t>(static_cast<uint32_t>(acc) - static_cast<uint32_t>(e.zero_correction[j]));
  return activate(std::fma(static_cast<float>(c), e.mult[j], e.bias[j]), e.activation);
}

[[maybe_unused]] void epilogue_tail(const int32_t* acc, int64_t j0, int64_t cols, const RowEpilogue& e, float* out_f32, uint8_t* out_u8) {
  for (int64_t j = j0; j < cols; ++j) {
    const float v = epilogue_value(acc[j], j, e);
    if (out_f32 != nullptr) {
      out_f32[j] = v;
    } else {
      out_u8[j] = quantize_one(v, e.out_scale, e.out_zero_point);
    }
  }
}

void depthwise_tail(int64_t j0, int64_t count, const uint8_t* x, uint8_t xor_mask, int32_t zero_point, const int8_t* w,
                    int32_t* acc) {
  for (int64_t j = j0; j < count; ++j) acc[j] += (static_cast<int32_t>(x[j] ^ xor_mask) - zero_point) * w[j];
}

void min_max_tail(const float* x, int64_t j0, int64_t count, float* lo, float* hi) {
  float l = *lo, h = *hi;
  for (int64_t j = j0; j < count; ++j) {
    if (x[j] < l) l = x[j];
    if (x[j] > h) h = x[j];
  }
  *lo = l;
  *hi = h;
}

inline uint32_t load_word(const uint8_t* p) {
  uint32_t w;
  std::memcpy(&w, p, 4);
  return w;
}

#if TF_ISA_LEVEL >= TF_ISA_AVX512
// The epilogue of 16 columns [j, j + 16) of one output row, of which `valid` exist (the contract in
// quant.h). Masked only on a partial vector: masked narrowing stores (vpmovdb to memory) are
// microcoded and slow on some CPUs (Zen 4).
inline __attribute__((always_inline)) void epilogue_vec(__m512i acc, int64_t j, int64_t valid, const RowEpilogue& e,
                                                        float* out_f32, uint8_t* out_u8) {
  const bool whole = valid >= 16;
  const __mmask16 m = whole ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << valid) - 1);
  const __m512i c = _mm512_sub_epi32(acc, _mm512_maskz_loadu_epi32(m, e.zero_correction + j));
  __m512 v = _mm512_fmadd_ps(_mm512_cvtepi32_ps(c), _mm512_maskz_loadu_ps(m, e.mult + j), _mm512_maskz_loadu_ps(m, e.bias + j));
  if (e.activation != 0) v = _mm512_max_ps(v, _mm512_setzero_ps());
  if (e.activation == 2) v = _mm512_min_ps(v, _mm512_set1_ps(6.0f));
  if (out_f32 != nullptr) {
    if (whole) {
      _mm512_storeu_ps(out_f32 + j, v);
    } else {
      _mm512_mask_storeu_ps(out_f32 + j, m, v);
    }
    return;
  }
  __m512 q = _mm512_div_ps(v, _mm512_set1_ps(e.out_scale));
  // NaN -> -1024 (max_ps returns its second operand), as quantize_one does.
  q = _mm512_min_ps(_mm512_max_ps(q, _mm512_set1_ps(-1024.0f)), _mm512_set1_ps(1024.0f));
  __m512i r = _mm512_add_epi32(_mm512_cvtps_epi32(q), _mm512_set1_epi32(e.out_zero_point));
  r = _mm512_min_epi32(_mm512_max_epi32(r, _mm512_setzero_si512()), _mm512_set1_epi32(255));
  const __m128i bytes = _mm512_cvtepi32_epi8(r);
  if (whole) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out_u8 + j), bytes);
  } else {
    _mm_mask_storeu_epi8(out_u8 + j, m, bytes);
  }
}
#endif

#if TF_ISA_LEVEL == TF_ISA_AVX512VNNI
// ---- AVX-512 VNNI -------------------------------------------------------------------------------
constexpr int kMr = 6;
constexpr int kMaxPanels = 4;

// The tile: 6 rows x P panels of 16 columns in 6 * P zmm accumulators; per 4-deep group, P weight
// loads and 6 activation broadcasts feed 6 * P vpdpbusd.
// One row's multiply-adds against the P weight vectors b0..b3 (named variables rather than arrays:
// GCC keeps arrays of vectors in memory, spilling every accumulator on every step).
#define TF_QROW(r, word)                                                            \
  {                                                                                 \
    __m512i a = _mm512_set1_epi32(static_cast<int>(word));                          \
    if (flip_now) a = _mm512_xor_si512(a, flip);                                    \
    c##r##0 = _mm512_dpbusd_epi32(c##r##0, a, b0);                                  \
    if constexpr (P > 1) c##r##1 = _mm512_dpbusd_epi32(c##r##1, a, b1);             \
    if constexpr (P > 2) c##r##2 = _mm512_dpbusd_epi32(c##r##2, a, b2);             \
    if constexpr (P > 3) c##r##3 = _mm512_dpbusd_epi32(c##r##3, a, b3);             \
  }
#define TF_QSTORE(r)                                                                   \
  _mm512_storeu_si512(acc + r * 64, c##r##0);                                          \
  if constexpr (P > 1) _mm512_storeu_si512(acc + r * 64 + 16, c##r##1);                \
  if constexpr (P > 2) _mm512_storeu_si512(acc + r * 64 + 32, c##r##2);                \
  if constexpr (P > 3) _mm512_storeu_si512(acc + r * 64 + 48, c##r##3);

// Row r's P vectors through the epilogue straight from the registers (rows < out->rows only).
#define TF_QEMIT(r)                                                                                   \
  if (r < out->rows) {                                                                                \
    float* of = out->out_f32 != nullptr ? out->out_f32 + r * out->ldc : nullptr;                      \
    uint8_t* ou = out->out_u8 != nullptr ? out->out_u8 + r * out->ldc : nullptr;                      \
    epilogue_vec(c##r##0, 0, out->cols, out->e, of, ou);                                              \
    if constexpr (P > 1) if (out->cols > 16) epilogue_vec(c##r##1, 16, out->cols - 16, out->e, of, ou); \
    if constexpr (P > 2) if (out->cols > 32) epilogue_vec(c##r##2, 32, out->cols - 32, out->e, of, ou); \
    if constexpr (P > 3) if (out->cols > 48) epilogue_vec(c##r##3, 48, out->cols - 48, out->e, of, ou); \
  }

template <int P, bool Flip>
void tile(int64_t segments, int64_t groups, const uint8_t* const* rows, const int8_t* pb, int64_t ps, int32_t* acc,
          const TileOutput* out) {
  const __m512i z = _mm512_setzero_si512();
  __m512i c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z, c20 = z, c21 = z, c22 = z, c23 = z;
  __m512i c30 = z, c31 = z, c32 = z, c33 = z, c40 = z, c41 = z, c42 = z, c43 = z, c50 = z, c51 = z, c52 = z, c53 = z;
  const __m512i flip = _mm512_set1_epi32(static_cast<int>(0x80808080u));
  constexpr bool flip_now = Flip;
  const int8_t* bq = pb;
  for (int64_t sg = 0; sg < segments; ++sg) {
    const uint8_t* const* rs = rows + sg * kMr;
    const uint8_t* a0 = rs[0];
    const uint8_t* a1 = rs[1];
    const uint8_t* a2 = rs[2];
    const uint8_t* a3 = rs[3];
    const uint8_t* a4 = rs[4];
    const uint8_t* a5 = rs[5];
    for (int64_t q = 0; q < groups; ++q, bq += 64) {
      const __m512i b0 = _mm512_loadu_si512(bq);
      const __m512i b1 = P > 1 ? _mm512_loadu_si512(bq + ps) : z;
      const __m512i b2 = P > 2 ? _mm512_loadu_si512(bq + 2 * ps) : z;
      const __m512i b3 = P > 3 ? _mm512_loadu_si512(bq + 3 * ps) : z;
      TF_QROW(0, load_word(a0 + 4 * q))
      TF_QROW(1, load_word(a1 + 4 * q))
      TF_QROW(2, load_word(a2 + 4 * q))
      TF_QROW(3, load_word(a3 + 4 * q))
      TF_QROW(4, load_word(a4 + 4 * q))
      TF_QROW(5, load_word(a5 + 4 * q))
    }
  }
  if (out != nullptr) {
    TF_QEMIT(0)
    TF_QEMIT(1)
    TF_QEMIT(2)
    TF_QEMIT(3)
    TF_QEMIT(4)
    TF_QEMIT(5)
    return;
  }
  TF_QSTORE(0)
  TF_QSTORE(1)
  TF_QSTORE(2)
  TF_QSTORE(3)
  TF_QSTORE(4)
  TF_QSTORE(5)
}
#undef TF_QROW
#undef TF_QSTORE
#undef TF_QEMIT

template <bool Flip>
void kernel_flip(int64_t segments, int64_t groups, const uint8_t* const* rows, const int8_t* pb, int64_t ps, int panels,
                 int32_t* acc, const TileOutput* out) {
  switch (panels) {
    case 1: tile<1, Flip>(segments, groups, rows, pb, ps, acc, out); break;
    case 2: tile<2, Flip>(segments, groups, rows, pb, ps, acc, out); break;
    case 3: tile<3, Flip>(segments, groups, rows, pb, ps, acc, out); break;
    default: tile<4, Flip>(segments, groups, rows, pb, ps, acc, out); break;
  }
}
constexpr bool kFusedEpilogue = true;

#elif TF_ISA_LEVEL >= TF_ISA_AVX2
// ---- AVX2: vpmaddubsw on split activations --------------------------------------------------------
constexpr int kMr = 4;
constexpr int kMaxPanels = 1;

constexpr bool kFusedEpilogue = false;

template <bool Flip>
void kernel_flip(int64_t segments, int64_t groups, const uint8_t* const* rows, const int8_t* pb, int64_t ps, int panels,
                 int32_t* acc, const TileOutput*) {
  const __m256i flip = _mm256_set1_epi32(static_cast<int>(0x80808080u));
  const __m256i low7 = _mm256_set1_epi8(0x7f);
  const __m256i bit0 = _mm256_set1_epi8(1);
  const __m256i ones = _mm256_set1_epi16(1);
  const __m256i c128 = _mm256_set1_epi16(128);
  // acc_r += sum of the 4 products per column: (a_lo . b) + 128 (a_hi . b).
  auto madd = [&](__m256i c, __m256i lo, __m256i hi, __m256i b) {
    c = _mm256_add_epi32(c, _mm256_madd_epi16(_mm256_maddubs_epi16(lo, b), ones));
    return _mm256_add_epi32(c, _mm256_madd_epi16(_mm256_maddubs_epi16(hi, b), c128));
  };
  for (int p = 0; p < panels; ++p) {
    const int8_t* bp = pb + p * ps;
    __m256i c[kMr][2];
    for (int r = 0; r < kMr; ++r) c[r][0] = c[r][1] = _mm256_setzero_si256();
    const int8_t* bq = bp;
    for (int64_t sg = 0; sg < segments; ++sg) {
      const uint8_t* const* rs = rows + sg * kMr;
      for (int64_t q = 0; q < groups; ++q, bq += 64) {
        const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bq));
        const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bq + 32));
#pragma GCC unroll 4
        for (int r = 0; r < kMr; ++r) {
          __m256i a = _mm256_set1_epi32(static_cast<int>(load_word(rs[r] + 4 * q)));
          if (Flip) a = _mm256_xor_si256(a, flip);
          const __m256i lo = _mm256_and_si256(a, low7);
          const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(a, 7), bit0);
          c[r][0] = madd(c[r][0], lo, hi, b0);
          c[r][1] = madd(c[r][1], lo, hi, b1);
        }
      }
    }
    for (int r = 0; r < kMr; ++r) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(acc + r * 64 + p * 16), c[r][0]);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(acc + r * 64 + p * 16 + 8), c[r][1]);
    }
  }
}

#else
// ---- scalar ---------------------------------------------------------------------------------------
constexpr int kMr = 4;
constexpr int kMaxPanels = 1;

constexpr bool kFusedEpilogue = false;

template <bool Flip>
void kernel_flip(int64_t segments, int64_t groups, const uint8_t* const* rows, const int8_t* pb, int64_t ps, int panels,
                 int32_t* acc, const TileOutput*) {
  const uint8_t x = Flip ? 0x80 : 0;
  for (int p = 0; p < panels; ++p) {
    const int8_t* bp = pb + p * ps;
    for (int r = 0; r < kMr; ++r) {
      int32_t s[16] = {};
      const int8_t* b = bp;
      for (int64_t sg = 0; sg < segments; ++sg) {
        for (int64_t q = 0; q < groups; ++q, b += 64) {
          const uint8_t* a = rows[sg * kMr + r] + 4 * q;
          for (int j = 0; j < 16; ++j) {
            s[j] += (a[0] ^ x) * b[4 * j] + (a[1] ^ x) * b[4 * j + 1] + (a[2] ^ x) * b[4 * j + 2] + (a[3] ^ x) * b[4 * j + 3];
          }
        }
      }
      std::memcpy(acc + r * 64 + p * 16, s, sizeof s);
    }
  }
}
#endif

void epilogue(const int32_t* acc, int64_t acc_ld, int64_t rows, int64_t cols, const RowEpilogue& e, float* out_f32,
              uint8_t* out_u8, int64_t ldc);

void kernel(int64_t segments, int64_t groups, const uint8_t* const* rows, uint8_t xor_mask, const int8_t* pb, int64_t ps,
            int panels, int32_t* acc, const TileOutput* out) {
  // The VNNI tile runs the epilogue from its registers; the others leave acc to the epilogue.
  const TileOutput* fused = kFusedEpilogue ? out : nullptr;
  if (xor_mask != 0) {
    kernel_flip<true>(segments, groups, rows, pb, ps, panels, acc, fused);
  } else {
    kernel_flip<false>(segments, groups, rows, pb, ps, panels, acc, fused);
  }
  if (out != nullptr && fused == nullptr) {
    epilogue(acc, 64, out->rows, out->cols, out->e, out->out_f32, out->out_u8, out->ldc);
  }
}

// ---- epilogue, depthwise tap, quantization --------------------------------------------------------
#if TF_ISA_LEVEL >= TF_ISA_AVX512
inline __attribute__((always_inline)) void epilogue_row(const int32_t* acc, int64_t cols, const RowEpilogue& e, float* out_f32,
                                                        uint8_t* out_u8) {
  for (int64_t j = 0; j < cols; j += 16) {
    const int64_t valid = cols - j;
    const __mmask16 m = valid >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << valid) - 1);
    epilogue_vec(_mm512_maskz_loadu_epi32(m, acc + j), j, valid, e, out_f32, out_u8);
  }
}

void depthwise_tap(int64_t count, const uint8_t* x, uint8_t xor_mask, int32_t zero_point, const int8_t* w,
                   int32_t* acc) {
  const __m128i xm = _mm_set1_epi8(static_cast<char>(xor_mask));
  const __m512i zp = _mm512_set1_epi32(zero_point);
  int64_t j = 0;
  for (; j + 16 <= count; j += 16) {
    const __m128i xb = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + j)), xm);
    const __m512i xv = _mm512_sub_epi32(_mm512_cvtepu8_epi32(xb), zp);
    const __m512i wv = _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + j)));
    __m512i* ap = reinterpret_cast<__m512i*>(acc + j);
    _mm512_storeu_si512(ap, _mm512_add_epi32(_mm512_loadu_si512(ap), _mm512_mullo_epi32(xv, wv)));
  }
  depthwise_tail(j, count, x, xor_mask, zero_point, w, acc);
}

void min_max(const float* x, int64_t count, float* lo, float* hi) {
  __m512 l = _mm512_set1_ps(*lo), h = _mm512_set1_ps(*hi);
  int64_t j = 0;
  for (; j + 16 <= count; j += 16) {
    const __m512 v = _mm512_loadu_ps(x + j);
    // min_ps(v, l) returns l when v is NaN: NaNs are skipped, as in the scalar loop.
    l = _mm512_min_ps(v, l);
    h = _mm512_max_ps(v, h);
  }
  float ls[16], hs[16];
  _mm512_storeu_ps(ls, l);
  _mm512_storeu_ps(hs, h);
  min_max_tail(ls, 0, 16, lo, hi);
  min_max_tail(hs, 0, 16, lo, hi);
  min_max_tail(x, j, count, lo, hi);
}

void quantize(const float* x, int64_t count, float scale, int32_t zero_point, uint8_t* out) {
  const __m512 s = _mm512_set1_ps(scale);
  const __m512 inv_lo = _mm512_set1_ps(-1024.0f), inv_hi = _mm512_set1_ps(1024.0f);
  const __m512i zp = _mm512_set1_epi32(zero_point);
  const __m512i q0 = _mm512_setzero_si512(), q255 = _mm512_set1_epi32(255);
  int64_t j = 0;
  for (; j + 16 <= count; j += 16) {
    __m512 q = _mm512_div_ps(_mm512_loadu_ps(x + j), s);
    q = _mm512_min_ps(_mm512_max_ps(q, inv_lo), inv_hi);
    __m512i r = _mm512_add_epi32(_mm512_cvtps_epi32(q), zp);
    r = _mm512_min_epi32(_mm512_max_epi32(r, q0), q255);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + j), _mm512_cvtepi32_epi8(r));
  }
  for (; j < count; ++j) out[j] = quantize_one(x[j], scale, zero_point);
}

#elif TF_ISA_LEVEL == TF_ISA_AVX2
inline __attribute__((always_inline)) void epilogue_row(const int32_t* acc, int64_t cols, const RowEpilogue& e, float* out_f32,
                                                        uint8_t* out_u8) {
  const int32_t* zc = e.zero_correction;
  const float* mult = e.mult;
  const float* bias = e.bias;
  const int act = e.activation;
  const __m256 zero = _mm256_setzero_ps(), six = _mm256_set1_ps(6.0f);
  const __m256 inv_lo = _mm256_set1_ps(-1024.0f), inv_hi = _mm256_set1_ps(1024.0f);
  const __m256 scale = _mm256_set1_ps(e.out_scale);
  const __m256i zp = _mm256_set1_epi32(e.out_zero_point);
  int64_t j = 0;
  for (; j + 8 <= cols; j += 8) {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(acc + j));
    const __m256i c = _mm256_sub_epi32(a, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(zc + j)));
    __m256 v = _mm256_fmadd_ps(_mm256_cvtepi32_ps(c), _mm256_loadu_ps(mult + j), _mm256_loadu_ps(bias + j));
    if (act != 0) v = _mm256_max_ps(v, zero);
    if (act == 2) v = _mm256_min_ps(v, six);
    if (out_f32 != nullptr) {
      _mm256_storeu_ps(out_f32 + j, v);
    } else {
      __m256 q = _mm256_div_ps(v, scale);
      q = _mm256_min_ps(_mm256_max_ps(q, inv_lo), inv_hi);
      const __m256i r = _mm256_add_epi32(_mm256_cvtps_epi32(q), zp);
      // packus saturates to 0..255 on the way down: the clamp of the contract.
      const __m128i w = _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
      _mm_storel_epi64(reinterpret_cast<__m128i*>(out_u8 + j), _mm_packus_epi16(w, w));
    }
  }
  epilogue_tail(acc, j, cols, e, out_f32, out_u8);
}

void depthwise_tap(int64_t count, const uint8_t* x, uint8_t xor_mask, int32_t zero_point, const int8_t* w,
                   int32_t* acc) {
  const __m128i xm = _mm_set1_epi8(static_cast<char>(xor_mask));
  const __m256i zp = _mm256_set1_epi32(zero_point);
  int64_t j = 0;
  for (; j + 8 <= count; j += 8) {
    const __m128i xb = _mm_xor_si128(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(x + j)), xm);
    const __m256i xv = _mm256_sub_epi32(_mm256_cvtepu8_epi32(xb), zp);
    const __m256i wv = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(w + j)));
    __m256i* ap = reinterpret_cast<__m256i*>(acc + j);
    _mm256_storeu_si256(ap, _mm256_add_epi32(_mm256_loadu_si256(ap), _mm256_mullo_epi32(xv, wv)));
  }
  depthwise_tail(j, count, x, xor_mask, zero_point, w, acc);
}

void min_max(const float* x, int64_t count, float* lo, float* hi) {
  __m256 l = _mm256_set1_ps(*lo), h = _mm256_set1_ps(*hi);
  int64_t j = 0;
  for (; j + 8 <= count; j += 8) {
    const __m256 v = _mm256_loadu_ps(x + j);
    l = _mm256_min_ps(v, l);
    h = _mm256_max_ps(v, h);
  }
  float ls[8], hs[8];
  _mm256_storeu_ps(ls, l);
  _mm256_storeu_ps(hs, h);
  min_max_tail(ls, 0, 8, lo, hi);
  min_max_tail(hs, 0, 8, lo, hi);
  min_max_tail(x, j, count, lo, hi);
}

void quantize(const float* x, int64_t count, float scale, int32_t zero_point, uint8_t* out) {
  const __m256 s = _mm256_set1_ps(scale);
  const __m256 inv_lo = _mm256_set1_ps(-1024.0f), inv_hi = _mm256_set1_ps(1024.0f);
  const __m256i zp = _mm256_set1_epi32(zero_point);
  int64_t j = 0;
  for (; j + 8 <= count; j += 8) {
    __m256 q = _mm256_div_ps(_mm256_loadu_ps(x + j), s);
    q = _mm256_min_ps(_mm256_max_ps(q, inv_lo), inv_hi);
    const __m256i r = _mm256_add_epi32(_mm256_cvtps_epi32(q), zp);
    const __m128i w = _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out + j), _mm_packus_epi16(w, w));
  }
  for (; j < count; ++j) out[j] = quantize_one(x[j], scale, zero_point);
}

#else
inline __attribute__((always_inline)) void epilogue_row(const int32_t* acc, int64_t cols, const RowEpilogue& e, float* out_f32,
                                                        uint8_t* out_u8) {
  epilogue_tail(acc, 0, cols, e, out_f32, out_u8);
}

void depthwise_tap(int64_t count, const uint8_t* x, uint8_t xor_mask, int32_t zero_point, const int8_t* w,
                   int32_t* acc) {
  depthwise_tail(0, count, x, xor_mask, zero_point, w, acc);
}

void min_max(const float* x, int64_t count, float* lo, float* hi) { min_max_tail(x, 0, count, lo, hi); }

void quantize(const float* x, int64_t count, float scale, int32_t zero_point, uint8_t* out) {
  for (int64_t j = 0; j < count; ++j) out[j] = quantize_one(x[j], scale, zero_point);
}
#endif

void epilogue(const int32_t* acc, int64_t acc_ld, int64_t rows, int64_t cols, const RowEpilogue& e, float* out_f32,
              uint8_t* out_u8, int64_t ldc) {
  for (int64_t r = 0; r < rows; ++r) {
    epilogue_row(acc + r * acc_ld, cols, e, out_f32 != nullptr ? out_f32 + r * ldc : nullptr,
                 out_u8 != nullptr ? out_u8 + r * ldc : nullptr);
  }
}

// ---- direct convolution of shallow filters, uint8 max ----------------------------------------------

// The requantized byte of one accumulator (quant.h, qconv2d_direct). max before min: NaN -> lo, as
// max_ps(v, lo) gives (it returns its second operand on NaN).
[[maybe_unused]] inline uint8_t direct_byte(int32_t acc, float mult, float offset, float lo, float hi) {
  float v = std::fma(static_cast<float>(acc), mult, offset);
  v = v > lo ? v : lo;
  v = v < hi ? v : hi;
  return static_cast<uint8_t>(static_cast<int32_t>(std::nearbyint(v)));
}

// Wrapping acc - correction (the true difference fits in int32).
inline int32_t centred(int32_t acc, int32_t correction) {
  return static_cast<int32_t>(static_cast<uint32_t>(acc) - static_cast<uint32_t>(correction));
}

// Pixels per block of the SIMD direct kernels: independent accumulator chains hide vpdpbusd latency.
[[maybe_unused]] constexpr int kDirectPixels = 4;

#if TF_ISA_LEVEL == TF_ISA_AVX512VNNI
// P panels [p0, p0 + P) of 16 channels over the whole row: per 4-deep group, P weight vectors and
// one broadcast word per pixel feed P vpdpbusd per pixel; the epilogue runs from the registers.
template <int P>
void direct_chunk(const DirectConvRow& r, int64_t p0) {
  const int64_t groups = r.kh * r.words;
  const int64_t j0 = p0 * kQuantPanel;
  __m512i zc[P];
  __m512 mu[P], of[P];
  __mmask16 mk[P];
  bool whole[P];
#pragma GCC unroll 4
  for (int p = 0; p < P; ++p) {
    const int64_t valid = std::min<int64_t>(16, r.cout - j0 - 16 * p);
    whole[p] = valid >= 16;
    mk[p] = whole[p] ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << valid) - 1);
    zc[p] = _mm512_maskz_loadu_epi32(mk[p], r.zero_correction + j0 + 16 * p);
    mu[p] = _mm512_maskz_loadu_ps(mk[p], r.mult + j0 + 16 * p);
    of[p] = _mm512_maskz_loadu_ps(mk[p], r.offset + j0 + 16 * p);
  }
  const __m512 lo = _mm512_set1_ps(r.lo), hi = _mm512_set1_ps(r.hi);
  const int8_t* wb = r.w + p0 * groups * 64;
  const int64_t ps = groups * 64;
  for (int64_t i = 0; i < r.count; i += kDirectPixels) {
    int64_t off[kDirectPixels];
    // Pixels past the end repeat the last one: computed, never stored.
#pragma GCC unroll 4
    for (int k = 0; k < kDirectPixels; ++k) off[k] = std::min<int64_t>(i + k, r.count - 1) * r.pool_step;
    __m512i c[kDirectPixels][P];
    for (int64_t dy = 0; dy < r.pool_h; ++dy) {
      for (int64_t dx = 0; dx < r.pool_w; ++dx) {
        __m512i t[kDirectPixels][P];
#pragma GCC unroll 4
        for (int k = 0; k < kDirectPixels; ++k) {
#pragma GCC unroll 4
          for (int p = 0; p < P; ++p) t[k][p] = _mm512_setzero_si512();
        }
        const int8_t* bq = wb;
        for (int64_t ky = 0; ky < r.kh; ++ky) {
          const uint8_t* line = r.lines[dy * r.kh + ky] + dx * r.step;
          for (int64_t q = 0; q < r.words; ++q, bq += 64) {
            __m512i b[P];
#pragma GCC unroll 4
            for (int p = 0; p < P; ++p) b[p] = _mm512_loadu_si512(bq + p * ps);
#pragma GCC unroll 4
            for (int k = 0; k < kDirectPixels; ++k) {
              const __m512i a = _mm512_set1_epi32(static_cast<int>(load_word(line + off[k] + 4 * q)));
#pragma GCC unroll 4
              for (int p = 0; p < P; ++p) t[k][p] = _mm512_dpbusd_epi32(t[k][p], a, b[p]);
            }
          }
        }
        const bool first = dy == 0 && dx == 0;
#pragma GCC unroll 4
        for (int k = 0; k < kDirectPixels; ++k) {
#pragma GCC unroll 4
          for (int p = 0; p < P; ++p) c[k][p] = first ? t[k][p] : _mm512_max_epi32(c[k][p], t[k][p]);
        }
      }
    }
    const int64_t n = std::min<int64_t>(kDirectPixels, r.count - i);
#pragma GCC unroll 4
    for (int k = 0; k < kDirectPixels; ++k) {
      if (k >= n) break;
      uint8_t* o = r.out + (i + k) * r.cout + j0;
#pragma GCC unroll 4
      for (int p = 0; p < P; ++p) {
        const __m512i v = _mm512_sub_epi32(c[k][p], zc[p]);
        __m512 f = _mm512_fmadd_ps(_mm512_cvtepi32_ps(v), mu[p], of[p]);
        f = _mm512_min_ps(_mm512_max_ps(f, lo), hi);
        const __m128i bytes = _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(f));
        if (whole[p]) {
          _mm_storeu_si128(reinterpret_cast<__m128i*>(o + 16 * p), bytes);
        } else {
          _mm_mask_storeu_epi8(o + 16 * p, mk[p], bytes);
        }
      }
    }
  }
}

// direct_chunk for a depth of exactly G 4-deep groups (a first layer's 3x3 on 1-4 channels: G = 3):
// the G * P weight vectors stay in registers for the whole row and every loop over the depth unrolls.
template <int P, int G>
void direct_chunk_fixed(const DirectConvRow& r, int64_t p0) {
  const int64_t j0 = p0 * kQuantPanel;
  // The epilogue constants stay in memory (zero padded): in registers they would push the
  // accumulators out (GCC then spills those on every window).
  alignas(64) int32_t zcl[P * 16] = {};
  alignas(64) float mul[P * 16] = {}, ofl[P * 16] = {};
  __mmask16 mk[P];
  bool whole[P];
#pragma GCC unroll 4
  for (int p = 0; p < P; ++p) {
    const int64_t valid = std::min<int64_t>(16, r.cout - j0 - 16 * p);
    whole[p] = valid >= 16;
    mk[p] = whole[p] ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << valid) - 1);
    for (int64_t j = 0; j < valid; ++j) {
      zcl[p * 16 + j] = r.zero_correction[j0 + 16 * p + j];
      mul[p * 16 + j] = r.mult[j0 + 16 * p + j];
      ofl[p * 16 + j] = r.offset[j0 + 16 * p + j];
    }
  }
  const float lo_s = r.lo, hi_s = r.hi;
  __m512i b[G][P];
#pragma GCC unroll 8
  for (int g = 0; g < G; ++g) {
#pragma GCC unroll 4
    for (int p = 0; p < P; ++p) b[g][p] = _mm512_loadu_si512(r.w + ((p0 + p) * G + g) * 64);
  }
  const int64_t windows = r.pool_h * r.pool_w;
  // Byte offset of group g of window (dy, dx) from pixel 0's, for every window.
  int64_t goff_small[4 * 8 * 2];
  std::vector<int64_t> goff_big;
  int64_t* goff = goff_small;
  if (windows * G > 4 * 8 * 2) {
    goff_big.resize(static_cast<size_t>(windows * G));
    goff = goff_big.data();
  }
  const uint8_t* base = r.lines[0];
  for (int64_t dy = 0, wi = 0; dy < r.pool_h; ++dy) {
    for (int64_t dx = 0; dx < r.pool_w; ++dx, ++wi) {
      for (int g = 0; g < G; ++g) {
        const int64_t ky = g / r.words, q = g % r.words;
        goff[wi * G + g] = (r.lines[dy * r.kh + ky] - base) + dx * r.step + 4 * q;
      }
    }
  }
  for (int64_t i = 0; i < r.count; i += kDirectPixels) {
    const uint8_t* px[kDirectPixels];
#pragma GCC unroll 4
    for (int k = 0; k < kDirectPixels; ++k) px[k] = base + std::min<int64_t>(i + k, r.count - 1) * r.pool_step;
    // The accumulators of one window (G groups for every pixel of the block).
    auto window = [&](const int64_t* go, __m512i (&t)[kDirectPixels][P]) __attribute__((always_inline)) {
#pragma GCC unroll 4
      for (int k = 0; k < kDirectPixels; ++k) {
#pragma GCC unroll 4
        for (int p = 0; p < P; ++p) t[k][p] = _mm512_setzero_si512();
      }
#pragma GCC unroll 8
      for (int g = 0; g < G; ++g) {
#pragma GCC unroll 4
        for (int k = 0; k < kDirectPixels; ++k) {
          const __m512i a = _mm512_set1_epi32(static_cast<int>(load_word(px[k] + go[g])));
#pragma GCC unroll 4
          for (int p = 0; p < P; ++p) t[k][p] = _mm512_dpbusd_epi32(t[k][p], a, b[g][p]);
        }
      }
    };
    __m512i c[kDirectPixels][P];
    window(goff, c);
    for (int64_t wi = 1; wi < windows; ++wi) {
      __m512i t[kDirectPixels][P];
      window(goff + wi * G, t);
#pragma GCC unroll 4
      for (int k = 0; k < kDirectPixels; ++k) {
#pragma GCC unroll 4
        for (int p = 0; p < P; ++p) c[k][p] = _mm512_max_epi32(c[k][p], t[k][p]);
      }
    }
    const __m512 lo = _mm512_set1_ps(lo_s), hi = _mm512_set1_ps(hi_s);
    const int64_t n = std::min<int64_t>(kDirectPixels, r.count - i);
#pragma GCC unroll 4
    for (int k = 0; k < kDirectPixels; ++k) {
      if (k >= n) break;
      uint8_t* o = r.out + (i + k) * r.cout + j0;
#pragma GCC unroll 4
      for (int p = 0; p < P; ++p) {
        const __m512i v = _mm512_sub_epi32(c[k][p], _mm512_load_si512(zcl + 16 * p));
        __m512 f = _mm512_fmadd_ps(_mm512_cvtepi32_ps(v), _mm512_load_ps(mul + 16 * p), _mm512_load_ps(ofl + 16 * p));
        f = _mm512_min_ps(_mm512_max_ps(f, lo), hi);
        const __m128i bytes = _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(f));
        if (whole[p]) {
          _mm_storeu_si128(reinterpret_cast<__m128i*>(o + 16 * p), bytes);
        } else {
          _mm_mask_storeu_epi8(o + 16 * p, mk[p], bytes);
        }
      }
    }
  }
}

template <int P>
bool direct_fixed(const DirectConvRow& r, int64_t p0) {
  switch (r.kh * r.words) {
    case 1: direct_chunk_fixed<P, 1>(r, p0); return true;
    case 2: direct_chunk_fixed<P, 2>(r, p0); return true;
    case 3: direct_chunk_fixed<P, 3>(r, p0); return true;
    case 4: direct_chunk_fixed<P, 4>(r, p0); return true;
    case 6: direct_chunk_fixed<P, 6>(r, p0); return true;
    default: return false;
  }
}

void direct_conv_row(const DirectConvRow& r) {
  const int64_t panels = (r.cout + kQuantPanel - 1) / kQuantPanel;
  int64_t p = 0;
  for (; p + 2 <= panels; p += 2) {
    if (!direct_fixed<2>(r, p)) direct_chunk<2>(r, p);
  }
  if (p < panels && !direct_fixed<1>(r, p)) direct_chunk<1>(r, p);
}

#elif TF_ISA_LEVEL >= TF_ISA_AVX2
// One panel of 16 channels over the whole row, 2 pixels at a time, on vpmaddwd of widened values:
// a 4-deep group's activations a0..a3 become the int16 pairs (a0, a1), (a2, a3) repeated in every
// 64-bit lane, and the weights of 4 columns the int16 pairs (w0, w1), (w2, w3) per column, so one
// vpmaddwd gives 2 partial sums for each of 4 columns (255 * 127 * 2 fits easily: no saturation,
// no split of the activations). The partial pairs are added once per pixel (vphaddd).
void direct_panel(const DirectConvRow& r, int64_t p0) {
  constexpr int kPx = 2;
  const int64_t groups = r.kh * r.words;
  const int64_t j0 = p0 * kQuantPanel;
  const int64_t valid = std::min<int64_t>(16, r.cout - j0);
  alignas(32) int32_t zcl[16] = {};
  alignas(32) float mul[16] = {}, ofl[16] = {};
  for (int64_t j = 0; j < valid; ++j) {
    zcl[j] = r.zero_correction[j0 + j];
    mul[j] = r.mult[j0 + j];
    ofl[j] = r.offset[j0 + j];
  }
  // Widened weights: per group, 4 vectors of 4 columns x (w0 w1 w2 w3) int16.
  std::vector<int16_t> wide(static_cast<size_t>(groups * 64));
  const int8_t* wb = r.w + p0 * groups * 64;
  for (int64_t g = 0; g < groups; ++g) {
    for (int c = 0; c < 4; ++c) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(wide.data() + g * 64 + c * 16),
                          _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wb + g * 64 + c * 16))));
    }
  }
  const int64_t windows = r.pool_h * r.pool_w;
  const __m256 lo = _mm256_set1_ps(r.lo), hi = _mm256_set1_ps(r.hi);
  // Column sums of the 4 partial-pair vectors (columns 0-3, 4-7, 8-11, 12-15): two vectors of 8 in order.
  auto reduce = [](const __m256i* t, __m256i* out) __attribute__((always_inline)) {
    out[0] = _mm256_permute4x64_epi64(_mm256_hadd_epi32(t[0], t[1]), 0xD8);
    out[1] = _mm256_permute4x64_epi64(_mm256_hadd_epi32(t[2], t[3]), 0xD8);
  };
  auto emit = [&](__m256i c, int h, uint8_t* o, int64_t n) {
    __m256 f = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(c, _mm256_load_si256(reinterpret_cast<const __m256i*>(zcl + 8 * h)))),
                               _mm256_load_ps(mul + 8 * h), _mm256_load_ps(ofl + 8 * h));
    f = _mm256_min_ps(_mm256_max_ps(f, lo), hi);
    const __m256i q = _mm256_cvtps_epi32(f);
    const __m128i w = _mm_packus_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
    const __m128i b = _mm_packus_epi16(w, w);
    if (n >= 8) {
      _mm_storel_epi64(reinterpret_cast<__m128i*>(o), b);
    } else if (n > 0) {
      alignas(16) uint8_t t[16];
      _mm_store_si128(reinterpret_cast<__m128i*>(t), b);
      std::memcpy(o, t, static_cast<size_t>(n));
    }
  };
  for (int64_t i = 0; i < r.count; i += kPx) {
    int64_t off[kPx];
    for (int k = 0; k < kPx; ++k) off[k] = std::min<int64_t>(i + k, r.count - 1) * r.pool_step;
    __m256i c[kPx][2];
    for (int64_t wi = 0; wi < windows; ++wi) {
      const int64_t dy = wi / r.pool_w, dx = wi % r.pool_w;
      __m256i t[kPx][4];
      for (int k = 0; k < kPx; ++k) t[k][0] = t[k][1] = t[k][2] = t[k][3] = _mm256_setzero_si256();
      const int16_t* wq = wide.data();
      for (int64_t ky = 0; ky < r.kh; ++ky) {
        const uint8_t* line = r.lines[dy * r.kh + ky] + dx * r.step;
        for (int64_t q = 0; q < r.words; ++q, wq += 64) {
          const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wq));
          const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wq + 16));
          const __m256i w2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wq + 32));
          const __m256i w3 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wq + 48));
#pragma GCC unroll 2
          for (int k = 0; k < kPx; ++k) {
            const __m128i a16 = _mm_cvtepu8_epi16(_mm_cvtsi32_si128(static_cast<int>(load_word(line + off[k] + 4 * q))));
            const __m256i a = _mm256_broadcastq_epi64(a16);
            t[k][0] = _mm256_add_epi32(t[k][0], _mm256_madd_epi16(a, w0));
            t[k][1] = _mm256_add_epi32(t[k][1], _mm256_madd_epi16(a, w1));
            t[k][2] = _mm256_add_epi32(t[k][2], _mm256_madd_epi16(a, w2));
            t[k][3] = _mm256_add_epi32(t[k][3], _mm256_madd_epi16(a, w3));
          }
        }
      }
      for (int k = 0; k < kPx; ++k) {
        __m256i s[2];
        reduce(t[k], s);
        c[k][0] = wi == 0 ? s[0] : _mm256_max_epi32(c[k][0], s[0]);
        c[k][1] = wi == 0 ? s[1] : _mm256_max_epi32(c[k][1], s[1]);
      }
    }
    const int64_t n = std::min<int64_t>(kPx, r.count - i);
    for (int64_t k = 0; k < n; ++k) {
      uint8_t* o = r.out + (i + k) * r.cout + j0;
      emit(c[k][0], 0, o, valid);
      emit(c[k][1], 1, o + 8, valid - 8);
    }
  }
}

void direct_conv_row(const DirectConvRow& r) {
  const int64_t panels = (r.cout + kQuantPanel - 1) / kQuantPanel;
  for (int64_t p = 0; p < panels; ++p) direct_panel(r, p);
}

#else
void direct_conv_row(const DirectConvRow& r) {
  const int64_t groups = r.kh * r.words;
  for (int64_t i = 0; i < r.count; ++i) {
    for (int64_t j = 0; j < r.cout; ++j) {
      int32_t acc = 0;
      for (int64_t dy = 0; dy < r.pool_h; ++dy) {
        for (int64_t dx = 0; dx < r.pool_w; ++dx) {
          const int8_t* b = r.w + (j / kQuantPanel) * groups * 64 + (j % kQuantPanel) * 4;
          int32_t t = 0;
          for (int64_t ky = 0; ky < r.kh; ++ky) {
            const uint8_t* a = r.lines[dy * r.kh + ky] + i * r.pool_step + dx * r.step;
            for (int64_t q = 0; q < r.words; ++q, b += 64) {
              t += a[4 * q] * b[0] + a[4 * q + 1] * b[1] + a[4 * q + 2] * b[2] + a[4 * q + 3] * b[3];
            }
          }
          acc = (dy == 0 && dx == 0) || t > acc ? t : acc;
        }
      }
      r.out[i * r.cout + j] = direct_byte(centred(acc, r.zero_correction[j]), r.mult[j], r.offset[j], r.lo, r.hi);
    }
  }
}
#endif

void max_bytes(const uint8_t* const* src, int64_t taps, int64_t count, uint8_t xor_mask, uint8_t* out) {
  int64_t j = 0;
#if TF_ISA_LEVEL >= TF_ISA_AVX512
  const __m512i xm = _mm512_set1_epi8(static_cast<char>(xor_mask));
  for (; j < count; j += 64) {
    const int64_t valid = count - j;
    const __mmask64 m = valid >= 64 ? ~__mmask64{0} : ((__mmask64{1} << valid) - 1);
    __m512i v = _mm512_setzero_si512();
    for (int64_t t = 0; t < taps; ++t) v = _mm512_max_epu8(v, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, src[t] + j), xm));
    _mm512_mask_storeu_epi8(out + j, m, _mm512_xor_si512(v, xm));
  }
#elif TF_ISA_LEVEL >= TF_ISA_AVX2
  const __m256i xm = _mm256_set1_epi8(static_cast<char>(xor_mask));
  for (; j + 32 <= count; j += 32) {
    __m256i v = _mm256_setzero_si256();
    for (int64_t t = 0; t < taps; ++t) {
      v = _mm256_max_epu8(v, _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(src[t] + j)), xm));
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + j), _mm256_xor_si256(v, xm));
  }
#endif
  for (; j < count; ++j) {
    uint8_t v = 0;
    for (int64_t t = 0; t < taps; ++t) {
      const uint8_t b = src[t][j] ^ xor_mask;
      if (b > v) v = b;
    }
    out[j] = v ^ xor_mask;
  }
}

}  // namespace

const QuantKernels& table() {
#if TF_ISA_LEVEL == TF_ISA_AVX512VNNI
  static constexpr const char* kName = "avx512vnni";
#elif TF_ISA_LEVEL >= TF_ISA_AVX2
  static constexpr const char* kName = "avx2";
#else
  static constexpr const char* kName = "scalar";
#endif
  static const QuantKernels t{kName, kMr, kMaxPanels, kernel, epilogue, depthwise_tap, min_max, quantize, direct_conv_row, max_bytes};
  return t;
}

}  // namespace tf::kernels::quant_detail::TF_ISA_NS
