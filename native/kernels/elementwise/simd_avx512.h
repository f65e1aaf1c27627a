#pragma once
// The AVX-512 vector traits S of elementwise_body.cpp's TF_ISA_AVX512 copy, which is reached
// only when simd_level() says the CPU and OS support it.
// GCC 12's own AVX-512 intrinsics seed results with `__m512 __Y = __Y;` (_mm512_undefined_ps),
// which -Wall reports at every inlined use. Nothing here is uninitialized.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "kernels/elementwise/elementwise_internal.h"

namespace tf::kernels::ew::avx512 {

struct S {
  static constexpr int W = 16;
  // getexp/getmant see through subnormals, so log needs no pre-scaling here.
  static constexpr bool kFrexpHandlesDenormals = true;
  using V = __m512;
  using M = __mmask16;
  using DV = __m512d;

  static V set1(float v) { return _mm512_set1_ps(v); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static M tail(int n) { return static_cast<M>((1u << n) - 1u); }
  // Masked-off lanes are never touched in memory, so a tail cannot fault past the array's end.
  static V load_part(const float* p, int n, float fill) {
    return _mm512_mask_loadu_ps(_mm512_set1_ps(fill), tail(n), p);
  }
  static void store_part(float* p, V v, int n) { _mm512_mask_storeu_ps(p, tail(n), v); }

  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V div(V a, V b) { return _mm512_div_ps(a, b); }
  static V sqrt(V a) { return _mm512_sqrt_ps(a); }
  static V min(V a, V b) { return _mm512_min_ps(a, b); }
  static V max(V a, V b) { return _mm512_max_ps(a, b); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V fnma(V a, V b, V c) { return _mm512_fnmadd_ps(a, b, c); }
  static V two_prod_lo(V a, V b, V hi) { return _mm512_fmsub_ps(a, b, hi); }
  static V band(V a, V b) { return _mm512_and_ps(a, b); }
  static V bor(V a, V b) { return _mm512_or_ps(a, b); }
  static V bxor(V a, V b) { return _mm512_xor_ps(a, b); }
  static V bandnot(V a, V b) { return _mm512_andnot_ps(a, b); }
  static V round(V a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  // scalef rounds once, straight into the subnormal range, and saturates to inf / 0 itself.
  static V ldexp(V p, V n) { return _mm512_scalef_ps(p, n); }
  static V pow2_shifted(V t) { return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(t), 23)); }
  static void split_exp(V x, V& m, V& e) {
    m = _mm512_getmant_ps(x, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_zero);
    e = _mm512_getexp_ps(x);
  }

  static M lt(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  static M le(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_LE_OQ); }
  static M gt(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
  static M ge(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
  static M eq(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
  static M neq(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_NEQ_UQ); }
  static M unord(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_UNORD_Q); }
  static V sel(M m, V a, V b) { return _mm512_mask_blend_ps(m, b, a); }
  static M mor(M a, M b) { return static_cast<M>(a | b); }
  static M mand(M a, M b) { return static_cast<M>(a & b); }
  static M mfalse() { return 0; }
  static bool any(M m) { return m != 0; }
  static V ones_where(M m) { return _mm512_maskz_mov_ps(m, _mm512_set1_ps(1.0f)); }

  static constexpr int DW = 8;  // doubles per DV
  static DV dload(const double* p) { return _mm512_loadu_pd(p); }
  static void dstore(double* p, DV d) { _mm512_storeu_pd(p, d); }
  static DV dzero() { return _mm512_setzero_pd(); }
  static DV dadd(DV a, DV b) { return _mm512_add_pd(a, b); }
  static void dacc(DV& lo, DV& hi, V v) {
    lo = _mm512_add_pd(lo, _mm512_cvtps_pd(_mm512_castps512_ps256(v)));
    hi = _mm512_add_pd(hi, _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1)));
  }
  static double dsum(DV d) { return _mm512_reduce_add_pd(d); }
  static void dacc_mem(double* p, V v) {
    DV lo = _mm512_loadu_pd(p), hi = _mm512_loadu_pd(p + 8);
    dacc(lo, hi, v);
    _mm512_storeu_pd(p, lo);
    _mm512_storeu_pd(p + 8, hi);
  }
  static float hmax(V v) { return _mm512_reduce_max_ps(v); }
  static float hmin(V v) { return _mm512_reduce_min_ps(v); }
};
}  // namespace tf::kernels::ew::avx512
