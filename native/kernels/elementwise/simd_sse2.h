#pragma once
// The baseline vector traits S of elementwise_body.cpp's TF_ISA_SCALAR copy, for CPUs without
// AVX2 (and for TENSORFORGE_SIMD=scalar). "Scalar" is the dispatch level's name: x86-64 guarantees SSE2, so the
// body runs 4 lanes wide here, without FMA. Other targets get a one-lane version of the same body.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

#include "kernels/elementwise/elementwise_internal.h"

#if defined(__SSE2__) && !defined(TF_EW_GENERIC)
#include <emmintrin.h>
#define TF_EW_SSE2 1
#endif

namespace tf::kernels::ew::scalar {

#if TF_EW_SSE2
struct S {
  static constexpr int W = 4;
  static constexpr bool kFrexpHandlesDenormals = false;
  using V = __m128;
  using M = __m128;
  using DV = __m128d;

  static V set1(float v) { return _mm_set1_ps(v); }
  static V load(const float* p) { return _mm_loadu_ps(p); }
  static void store(float* p, V v) { _mm_storeu_ps(p, v); }
  // No masked moves before AVX: tails bounce through a stack buffer.
  static V load_part(const float* p, int n, float fill) {
    float t[4] = {fill, fill, fill, fill};
    std::memcpy(t, p, sizeof(float) * static_cast<std::size_t>(n));
    return _mm_loadu_ps(t);
  }
  static void store_part(float* p, V v, int n) {
    float t[4];
    _mm_storeu_ps(t, v);
    std::memcpy(p, t, sizeof(float) * static_cast<std::size_t>(n));
  }

  static V add(V a, V b) { return _mm_add_ps(a, b); }
  static V sub(V a, V b) { return _mm_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm_mul_ps(a, b); }
  static V div(V a, V b) { return _mm_div_ps(a, b); }
  static V sqrt(V a) { return _mm_sqrt_ps(a); }
  static V min(V a, V b) { return _mm_min_ps(a, b); }
  static V max(V a, V b) { return _mm_max_ps(a, b); }
  // Two roundings instead of one; every polynomial here has slack for that.
  static V fma(V a, V b, V c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }
  static V fnma(V a, V b, V c) { return _mm_sub_ps(c, _mm_mul_ps(a, b)); }
  // Dekker's exact product without FMA (Veltkamp split into 12-bit halves); |a|,|b| < 2^100 here.
  static V two_prod_lo(V a, V b, V hi) {
    const V split = _mm_set1_ps(4097.0f);
    V ca = _mm_mul_ps(split, a), cb = _mm_mul_ps(split, b);
    V ah = _mm_sub_ps(ca, _mm_sub_ps(ca, a)), al = _mm_sub_ps(a, ah);
    V bh = _mm_sub_ps(cb, _mm_sub_ps(cb, b)), bl = _mm_sub_ps(b, bh);
    V err = _mm_sub_ps(_mm_mul_ps(ah, bh), hi);
    err = _mm_add_ps(err, _mm_mul_ps(ah, bl));
    err = _mm_add_ps(err, _mm_mul_ps(al, bh));
    return _mm_add_ps(err, _mm_mul_ps(al, bl));
  }
  static V band(V a, V b) { return _mm_and_ps(a, b); }
  static V bor(V a, V b) { return _mm_or_ps(a, b); }
  static V bxor(V a, V b) { return _mm_xor_ps(a, b); }
  static V bandnot(V a, V b) { return _mm_andnot_ps(a, b); }
  // Round-to-nearest through int32 (MXCSR default mode); only used on values clamped to |v| < 200.
  static V round(V a) { return _mm_cvtepi32_ps(_mm_cvtps_epi32(a)); }
  static V ldexp(V p, V n) {
    __m128i ni = _mm_cvtps_epi32(n);
    __m128i n1 = _mm_srai_epi32(ni, 1);
    __m128i n2 = _mm_sub_epi32(ni, n1);
    const __m128i bias = _mm_set1_epi32(127);
    V s1 = _mm_castsi128_ps(_mm_slli_epi32(_mm_add_epi32(n1, bias), 23));
    V s2 = _mm_castsi128_ps(_mm_slli_epi32(_mm_add_epi32(n2, bias), 23));
    return _mm_mul_ps(_mm_mul_ps(p, s1), s2);
  }
  static V pow2_shifted(V t) { return _mm_castsi128_ps(_mm_slli_epi32(_mm_castps_si128(t), 23)); }
  static void split_exp(V x, V& m, V& e) {
    __m128i b = _mm_castps_si128(x);
    e = _mm_cvtepi32_ps(_mm_sub_epi32(_mm_srli_epi32(b, 23), _mm_set1_epi32(127)));
    m = _mm_castsi128_ps(_mm_or_si128(_mm_and_si128(b, _mm_set1_epi32(0x007fffff)),
                                      _mm_set1_epi32(0x3f800000)));
  }

  static M lt(V a, V b) { return _mm_cmplt_ps(a, b); }
  static M le(V a, V b) { return _mm_cmple_ps(a, b); }
  static M gt(V a, V b) { return _mm_cmpgt_ps(a, b); }
  static M ge(V a, V b) { return _mm_cmpge_ps(a, b); }
  static M eq(V a, V b) { return _mm_cmpeq_ps(a, b); }
  static M neq(V a, V b) { return _mm_cmpneq_ps(a, b); }  // true on NaN, as NotEqual needs
  static M unord(V a, V b) { return _mm_cmpunord_ps(a, b); }
  static V sel(M m, V a, V b) { return _mm_or_ps(_mm_and_ps(m, a), _mm_andnot_ps(m, b)); }
  static M mor(M a, M b) { return _mm_or_ps(a, b); }
  static M mand(M a, M b) { return _mm_and_ps(a, b); }
  static M mfalse() { return _mm_setzero_ps(); }
  static bool any(M m) { return _mm_movemask_ps(m) != 0; }
  static V ones_where(M m) { return _mm_and_ps(m, _mm_set1_ps(1.0f)); }

  static constexpr int DW = 2;  // doubles per DV
  static DV dload(const double* p) { return _mm_loadu_pd(p); }
  static void dstore(double* p, DV d) { _mm_storeu_pd(p, d); }
  static DV dzero() { return _mm_setzero_pd(); }
  static DV dadd(DV a, DV b) { return _mm_add_pd(a, b); }
  static void dacc(DV& lo, DV& hi, V v) {
    lo = _mm_add_pd(lo, _mm_cvtps_pd(v));
    hi = _mm_add_pd(hi, _mm_cvtps_pd(_mm_movehl_ps(v, v)));
  }
  static double dsum(DV d) { return _mm_cvtsd_f64(_mm_add_sd(d, _mm_unpackhi_pd(d, d))); }
  static void dacc_mem(double* p, V v) {
    DV lo = _mm_loadu_pd(p), hi = _mm_loadu_pd(p + 2);
    dacc(lo, hi, v);
    _mm_storeu_pd(p, lo);
    _mm_storeu_pd(p + 2, hi);
  }
  static float hmax(V v) {
    V m = _mm_max_ps(v, _mm_movehl_ps(v, v));
    return _mm_cvtss_f32(_mm_max_ss(m, _mm_shuffle_ps(m, m, 1)));
  }
  static float hmin(V v) {
    V m = _mm_min_ps(v, _mm_movehl_ps(v, v));
    return _mm_cvtss_f32(_mm_min_ss(m, _mm_shuffle_ps(m, m, 1)));
  }
};
#else
// One lane, plain C++: the same algorithms, for targets without SSE2 (and, via TF_EW_GENERIC,
// a way to test this fallback on x86).
struct S {
  static constexpr int W = 1;
  static constexpr bool kFrexpHandlesDenormals = false;
  using V = float;
  using M = bool;
  using DV = double;

  static uint32_t bits(float v) { uint32_t u; std::memcpy(&u, &v, 4); return u; }
  static float from_bits(uint32_t u) { float v; std::memcpy(&v, &u, 4); return v; }

  static V set1(float v) { return v; }
  static V load(const float* p) { return *p; }
  static void store(float* p, V v) { *p = v; }
  static V load_part(const float* p, int n, float fill) { return n > 0 ? *p : fill; }
  static void store_part(float* p, V v, int n) { if (n > 0) *p = v; }

  static V add(V a, V b) { return a + b; }
  static V sub(V a, V b) { return a - b; }
  static V mul(V a, V b) { return a * b; }
  static V div(V a, V b) { return a / b; }
  static V sqrt(V a) { return __builtin_sqrtf(a); }
  static V min(V a, V b) { return a < b ? a : b; }  // MINPS semantics: NaN gives b
  static V max(V a, V b) { return a > b ? a : b; }
  static V fma(V a, V b, V c) { return a * b + c; }
  static V fnma(V a, V b, V c) { return c - a * b; }
  static V two_prod_lo(V a, V b, V hi) {
    float ca = 4097.0f * a, cb = 4097.0f * b;
    float ah = ca - (ca - a), al = a - ah, bh = cb - (cb - b), bl = b - bh;
    return (((ah * bh - hi) + ah * bl) + al * bh) + al * bl;
  }
  static V band(V a, V b) { return from_bits(bits(a) & bits(b)); }
  static V bor(V a, V b) { return from_bits(bits(a) | bits(b)); }
  static V bxor(V a, V b) { return from_bits(bits(a) ^ bits(b)); }
  static V bandnot(V a, V b) { return from_bits(~bits(a) & bits(b)); }
  static V round(V a) { return __builtin_rintf(a); }
  static V ldexp(V p, V n) {
    int32_t ni = static_cast<int32_t>(n == n ? n : 0.0f);
    int32_t n1 = ni >> 1, n2 = ni - n1;
    return p * from_bits(static_cast<uint32_t>(n1 + 127) << 23) *
           from_bits(static_cast<uint32_t>(n2 + 127) << 23);
  }
  static V pow2_shifted(V t) { return from_bits(bits(t) << 23); }
  static void split_exp(V x, V& m, V& e) {
    uint32_t b = bits(x);
    e = static_cast<float>(static_cast<int32_t>(b >> 23) - 127);
    m = from_bits((b & 0x007fffffu) | 0x3f800000u);
  }

  static M lt(V a, V b) { return a < b; }
  static M le(V a, V b) { return a <= b; }
  static M gt(V a, V b) { return a > b; }
  static M ge(V a, V b) { return a >= b; }
  static M eq(V a, V b) { return a == b; }
  static M neq(V a, V b) { return a != b; }
  static M unord(V a, V b) { return a != a || b != b; }
  static V sel(M m, V a, V b) { return m ? a : b; }
  static M mor(M a, M b) { return a || b; }
  static M mand(M a, M b) { return a && b; }
  static M mfalse() { return false; }
  static bool any(M m) { return m; }
  static V ones_where(M m) { return m ? 1.0f : 0.0f; }

  static constexpr int DW = 1;  // doubles per DV; dacc adds into lo only
  static DV dload(const double* p) { return *p; }
  static void dstore(double* p, DV d) { *p = d; }
  static DV dzero() { return 0.0; }
  static DV dadd(DV a, DV b) { return a + b; }
  static void dacc(DV& lo, DV& hi, V v) { lo += v; (void)hi; }
  static double dsum(DV d) { return d; }
  static void dacc_mem(double* p, V v) { *p += v; }
  static float hmax(V v) { return v; }
  static float hmin(V v) { return v; }
};
#endif
}  // namespace tf::kernels::ew::scalar
