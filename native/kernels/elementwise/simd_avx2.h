#pragma once
// The AVX2 + FMA vector traits S that elementwise_body.cpp is written against (its TF_ISA_AVX2 copy).
#include <immintrin.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "kernels/elementwise/elementwise_internal.h"

namespace tf::kernels::ew::avx2 {

// Sliding window: loading 8 ints at kTailMask + 8 - n gives -1 in the first n lanes.
alignas(64) constexpr int32_t kTailMask[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

struct S {
  static constexpr int W = 8;
  static constexpr bool kFrexpHandlesDenormals = false;
  using V = __m256;
  using M = __m256;  // all-ones / all-zeros lanes, as the compare instructions produce
  using DV = __m256d;

  static V set1(float v) { return _mm256_set1_ps(v); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static __m256i tail(int n) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kTailMask + 8 - n));
  }
  // vmaskmov suppresses faults on masked-off lanes, so tails never read past the array.
  static V load_part(const float* p, int n, float fill) {
    __m256i m = tail(n);
    return _mm256_blendv_ps(_mm256_set1_ps(fill), _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m));
  }
  static void store_part(float* p, V v, int n) { _mm256_maskstore_ps(p, tail(n), v); }

  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V div(V a, V b) { return _mm256_div_ps(a, b); }
  static V sqrt(V a) { return _mm256_sqrt_ps(a); }
  static V min(V a, V b) { return _mm256_min_ps(a, b); }
  static V max(V a, V b) { return _mm256_max_ps(a, b); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V fnma(V a, V b, V c) { return _mm256_fnmadd_ps(a, b, c); }
  static V two_prod_lo(V a, V b, V hi) { return _mm256_fmsub_ps(a, b, hi); }
  static V band(V a, V b) { return _mm256_and_ps(a, b); }
  static V bor(V a, V b) { return _mm256_or_ps(a, b); }
  static V bxor(V a, V b) { return _mm256_xor_ps(a, b); }
  static V bandnot(V a, V b) { return _mm256_andnot_ps(a, b); }
  static V round(V a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  // 2^n as two factors 2^(n/2) so that n down to -150 and up to 130 needs no special case: both
  // factors are normal floats and the product rounds once, into the subnormals if it must.
  static V ldexp(V p, V n) {
    __m256i ni = _mm256_cvtps_epi32(n);
    __m256i n1 = _mm256_srai_epi32(ni, 1);
    __m256i n2 = _mm256_sub_epi32(ni, n1);
    const __m256i bias = _mm256_set1_epi32(127);
    V s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
    V s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
    return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
  }
  // 2^e for t = 1.5 * 2^23 + 127 + e, e an integer in [-126, 127]: t's low bits are the biased
  // exponent, shifted into place (exp_core_normal).
  static V pow2_shifted(V t) { return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(t), 23)); }
  static void split_exp(V x, V& m, V& e) {
    __m256i b = _mm256_castps_si256(x);
    e = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(b, 23), _mm256_set1_epi32(127)));
    m = _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(b, _mm256_set1_epi32(0x007fffff)),
                                            _mm256_set1_epi32(0x3f800000)));
  }

  static M lt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
  static M le(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_LE_OQ); }
  static M gt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
  static M ge(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
  static M eq(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
  static M neq(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_NEQ_UQ); }
  static M unord(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_UNORD_Q); }
  static V sel(M m, V a, V b) { return _mm256_blendv_ps(b, a, m); }
  static M mor(M a, M b) { return _mm256_or_ps(a, b); }
  static M mand(M a, M b) { return _mm256_and_ps(a, b); }
  static M mfalse() { return _mm256_setzero_ps(); }
  static bool any(M m) { return _mm256_movemask_ps(m) != 0; }
  static V ones_where(M m) { return _mm256_and_ps(m, _mm256_set1_ps(1.0f)); }

  static constexpr int DW = 4;  // doubles per DV
  static DV dload(const double* p) { return _mm256_loadu_pd(p); }
  static void dstore(double* p, DV d) { _mm256_storeu_pd(p, d); }
  static DV dzero() { return _mm256_setzero_pd(); }
  static DV dadd(DV a, DV b) { return _mm256_add_pd(a, b); }
  static void dacc(DV& lo, DV& hi, V v) {
    lo = _mm256_add_pd(lo, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
    hi = _mm256_add_pd(hi, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
  }
  static double dsum(DV d) {
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(d), _mm256_extractf128_pd(d, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
  }
  static void dacc_mem(double* p, V v) {
    DV lo = _mm256_loadu_pd(p), hi = _mm256_loadu_pd(p + 4);
    dacc(lo, hi, v);
    _mm256_storeu_pd(p, lo);
    _mm256_storeu_pd(p + 4, hi);
  }
  static float hmax(V v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    return _mm_cvtss_f32(_mm_max_ss(m, _mm_shuffle_ps(m, m, 1)));
  }
  static float hmin(V v) {
    __m128 m = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_min_ps(m, _mm_movehl_ps(m, m));
    return _mm_cvtss_f32(_mm_min_ss(m, _mm_shuffle_ps(m, m, 1)));
  }
};
}  // namespace tf::kernels::ew::avx2
