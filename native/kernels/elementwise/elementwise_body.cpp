// The elementwise arithmetic, compiled once per instruction set (tf_kernel_family, see
// common/isa.h): each copy is written against the vector traits S of its level (simd_sse2.h,
// simd_avx2.h, simd_avx512.h) and lives in its own namespace, and each fills one kernel table.
// Builtins rather than std:: inline functions throughout: an inline function emitted in the
// AVX-512 copy could be the one the linker keeps for the whole library.
//
// The traits S provide (W lanes of float):
//   V / M / DV (float vector, lane mask, double vector), W, kFrexpHandlesDenormals,
//   set1 load store load_part(p,n,fill) store_part(p,v,n), add sub mul div sqrt min max,
//   fma(a,b,c)=a*b+c, fnma(a,b,c)=c-a*b, two_prod_lo(a,b,hi)=a*b-hi exactly,
//   band bor bxor bandnot(a,b)=~a&b, round (to nearest), ldexp(p,n)=p*2^n for integral n in
//   [-150,130], split_exp(x,m,e) (m in [1,2), x=m*2^e, positive x), lt le gt ge eq neq(unordered
//   true) unord, sel(m,a,b)=m?a:b, mor, mfalse, any, ones_where(m), dzero dadd dacc(lo,hi,v)
//   dsum dacc_mem(p,v) (p[0..W) += v), hmax hmin, mand.
//
// min/max follow x86 MINPS/MAXPS: when either operand is NaN the SECOND one is returned. The code
// relies on that to propagate NaN (put x second) or to ignore it (put x first).

#include <cmath>
#include "kernels/common/isa.h"
#include "kernels/elementwise/elementwise_internal.h"

#if TF_ISA_LEVEL == TF_ISA_AVX512
#include "kernels/elementwise/simd_avx512.h"
#elif TF_ISA_LEVEL == TF_ISA_AVX2
#include "kernels/elementwise/simd_avx2.h"
#else
#include "kernels/elementwise/simd_sse2.h"
#endif

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>

namespace tf::kernels::ew::TF_ISA_NS {

using V = S::V;
using M = S::M;
using DV = S::DV;
constexpr int W = S::W;

// ---------------------------------------------------------------------------------------------
// Loops. Two vectors per iteration in the main loop so that cheap ops are not limited by loop
// overhead; the tail is one masked vector, never a scalar loop, so every length takes the same
// code path (and x == y aliasing stays safe: each vector is loaded before it is stored).

template <class F>
inline void map1(const float* x, float* y, int64_t n, F f) {
  int64_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    V a = S::load(x + i), b = S::load(x + i + W);
    S::store(y + i, f(a));
    S::store(y + i + W, f(b));
  }
  if (i + W <= n) {
    S::store(y + i, f(S::load(x + i)));
    i += W;
  }
  if (i < n) {
    int r = static_cast<int>(n - i);
    S::store_part(y + i, f(S::load_part(x + i, r, 0.0f)), r);
  }
}

template <class F>
inline void map2(const float* a, const float* b, float* y, int64_t n, F f) {
  int64_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    V r0 = f(S::load(a + i), S::load(b + i));
    V r1 = f(S::load(a + i + W), S::load(b + i + W));
    S::store(y + i, r0);
    S::store(y + i + W, r1);
  }
  if (i + W <= n) {
    S::store(y + i, f(S::load(a + i), S::load(b + i)));
    i += W;
  }
  if (i < n) {
    int r = static_cast<int>(n - i);
    S::store_part(y + i, f(S::load_part(a + i, r, 0.0f), S::load_part(b + i, r, 0.0f)), r);
  }
}

// ---------------------------------------------------------------------------------------------
// Vector math. Polynomials are minimax fits (relative error) made for this file; the comment on
// each gives the interval and the fit's own error, which sits far below the 2e-6 budget so that
// the range reduction's few roundings dominate.

inline V sign_bit() { return S::set1(-0.0f); }
inline V vabs(V x) { return S::bandnot(sign_bit(), x); }
inline V copysign_pos(V mag, V x) { return S::bor(mag, S::band(x, sign_bit())); }  // mag >= 0

// expm1 on r in [-ln2/2, ln2/2] as r + r^2 * P(r); fit error 2.4e-10.
inline V expm1_poly(V r) {
  V p = S::set1(0.000198458773f);
  p = S::fma(p, r, S::set1(0.00139406254f));
  p = S::fma(p, r, S::set1(0.00833338965f));
  p = S::fma(p, r, S::set1(0.0416663624f));
  p = S::fma(p, r, S::set1(0.166666657f));
  p = S::fma(p, r, S::set1(0.5f));
  return S::fma(p, S::mul(r, r), r);
}

// exp with IEEE edges: overflow to +inf above ~88.72, gradual underflow to subnormals and 0,
// NaN kept. Returns expm1(r) and n too, so expm1 can reuse the same reduction.
struct ExpParts {
  V e, q, n;
};
// Core for x already in [-104, 89] (or NaN): n stays inside ldexp's range.
inline ExpParts exp_core(V x) {
  V n = S::round(S::mul(x, S::set1(1.44269504088896341f)));
  // Cody-Waite: 0.693359375 has 9 significant bits, so n * it is exact for |n| <= 150.
  V r = S::fnma(n, S::set1(0.693359375f), x);
  r = S::fnma(n, S::set1(-2.12194440e-4f), r);
  V q = expm1_poly(r);
  return {S::ldexp(S::add(q, S::set1(1.0f)), n), q, n};
}
// exp_core for x in [-87.3, 88] (or NaN), where e^x and 2^n are normal floats: n is rounded by
// adding 1.5 * 2^23 + 127, which leaves n's biased exponent in the sum's low bits, so 2^n is one
// shift of those bits and one multiply. exp_core's range needs two factors, a round and a
// conversion; on AVX2 this cut SiLU and sigmoid by a fifth (their other work is the division).
// The results are exp_core's: both scale q + 1 exactly by 2^n.
inline ExpParts exp_core_normal(V x) {
  const V shift = S::set1(12582912.0f + 127.0f);
  V t = S::fma(x, S::set1(1.44269504088896341f), shift);
  V n = S::sub(t, shift);
  V r = S::fnma(n, S::set1(0.693359375f), x);
  r = S::fnma(n, S::set1(-2.12194440e-4f), r);
  V q = expm1_poly(r);
  return {S::mul(S::add(q, S::set1(1.0f)), S::pow2_shifted(t)), q, n};
}
inline ExpParts exp_parts(V x) {
  // Any instruction whose result is subnormal or underflows costs a microcode assist on Intel
  // cores (~150 cycles), so the main path is clamped to stay normal (e^-87 > FLT_MIN). Lanes
  // below that are rare, except -inf: masked-off tails and -inf logits in softmax, which must
  // give 0 at full speed. Above 88, e^x nears FLT_MAX and overflows past 88.72: those lanes take
  // exp_core's two-factor scaling. Operand order keeps NaN (see top of file).
  const V lo_fast = S::set1(-87.0f), hi_fast = S::set1(88.0f);
  ExpParts p = exp_core_normal(S::min(hi_fast, S::max(lo_fast, x)));
  const M below = S::lt(x, lo_fast);
  if (S::any(below)) {
    const V lo_zero = S::set1(-104.0f);  // e^-104 rounds to 0 in float
    const M mid = S::mand(below, S::ge(x, lo_zero));
    if (S::any(mid)) p.e = S::sel(mid, exp_core(S::sel(mid, x, lo_fast)).e, p.e);
    p.e = S::sel(S::lt(x, lo_zero), S::set1(0.0f), p.e);
  }
  const M above = S::gt(x, hi_fast);
  if (S::any(above)) p.e = S::sel(above, exp_core(S::min(S::set1(89.0f), x)).e, p.e);
  return p;
}
inline V vexp(V x) { return exp_parts(x).e; }

// expm1 for x <= ~0.35 accurate relative to the (small) result: near 0 the polynomial is used
// directly (n == 0 means r == x exactly); elsewhere exp(x) - 1 loses at most ~2 bits.
inline V vexpm1(V x) {
  ExpParts p = exp_parts(x);
  return S::sel(S::eq(p.n, S::set1(0.0f)), p.q, S::sub(p.e, S::set1(1.0f)));
}

// log with IEEE edges: log(0) = -inf, log(x<0) = NaN, log(inf) = inf, subnormals exact.
// Mantissa reduced to [0.75, 1.5); log1p(f) = f - f^2/2 + f^3 * P(f) on f in [-0.25, 0.5),
// fit error 4.9e-9.
inline V vlog(V x) {
  V xs = x, eoff = S::set1(0.0f);
  if constexpr (!S::kFrexpHandlesDenormals) {
    M tiny = S::lt(x, S::set1(1.17549435e-38f));
    xs = S::sel(tiny, S::mul(x, S::set1(8388608.0f)), x);
    eoff = S::sel(tiny, S::set1(-23.0f), eoff);
  }
  V m, e;
  S::split_exp(xs, m, e);
  M big = S::ge(m, S::set1(1.5f));
  m = S::sel(big, S::mul(m, S::set1(0.5f)), m);
  e = S::add(S::add(e, eoff), S::sel(big, S::set1(1.0f), S::set1(0.0f)));
  V f = S::sub(m, S::set1(1.0f));
  V f2 = S::mul(f, f);
  V p = S::set1(-0.0450748019f);
  p = S::fma(p, f, S::set1(0.104630224f));
  p = S::fma(p, f, S::set1(-0.131611943f));
  p = S::fma(p, f, S::set1(0.144783944f));
  p = S::fma(p, f, S::set1(-0.16647312f));
  p = S::fma(p, f, S::set1(0.199908614f));
  p = S::fma(p, f, S::set1(-0.250000954f));
  p = S::fma(p, f, S::set1(0.333334506f));
  V y = S::mul(S::mul(f2, f), p);
  y = S::fma(e, S::set1(-2.12194440e-4f), y);
  y = S::fnma(S::set1(0.5f), f2, y);
  y = S::add(f, y);
  y = S::fma(e, S::set1(0.693359375f), y);
  const V inf = S::set1(__builtin_inff());
  y = S::sel(S::eq(x, inf), inf, y);
  y = S::sel(S::eq(x, S::set1(0.0f)), S::set1(-__builtin_inff()), y);
  y = S::sel(S::lt(x, S::set1(0.0f)), S::set1(__builtin_nanf("")), y);
  return S::sel(S::unord(x, x), x, y);
}

// log1p(t) for t in [0, 1] (or NaN), accurate for tiny t: with u = 1 + t rounded, log(u) * t/(u-1)
// cancels the rounding of u to first order (u - 1 is exact here).
inline V vlog1p_unit(V t) {
  V u = S::add(S::set1(1.0f), t);
  V d = S::sub(u, S::set1(1.0f));
  V r = S::mul(vlog(u), S::div(t, d));
  return S::sel(S::eq(d, S::set1(0.0f)), t, r);
}

// tanh: odd polynomial x + x^3 * P(x^2) below 0.625 (fit error 4.4e-9), else 1 - 2/(e^2|x| + 1),
// whose cancellation is mild from 0.625 up. e^2|x| = inf gives exactly 1.
inline V vtanh(V x) {
  V a = vabs(x);
  V x2 = S::mul(x, x);
  V p = S::set1(-0.00570498733f);
  p = S::fma(p, x2, S::set1(0.020639088f));
  p = S::fma(p, x2, S::set1(-0.0537397154f));
  p = S::fma(p, x2, S::set1(0.133314416f));
  p = S::fma(p, x2, S::set1(-0.333332807f));
  V small = S::fma(S::mul(x2, x), p, x);
  V e = vexp(S::add(a, a));
  V big = S::sub(S::set1(1.0f), S::div(S::set1(2.0f), S::add(e, S::set1(1.0f))));
  return S::sel(S::lt(a, S::set1(0.625f)), small, copysign_pos(big, x));
}

// sigmoid from t = e^-|x| in (0, 1]: 1/(1+t) for x >= 0 and t/(1+t) below, so large negative x
// keeps full relative accuracy down into the subnormals instead of cancelling.
inline V vsigmoid(V x) {
  V t = vexp(S::bxor(vabs(x), sign_bit()));
  V s = S::div(S::set1(1.0f), S::add(S::set1(1.0f), t));
  return S::sel(S::ge(x, S::set1(0.0f)), s, S::mul(t, s));
}

// erf(x) / x as P(x^2) for |x| < 0.9; fit error 1.2e-8.
inline V erf_small(V x) {
  V x2 = S::mul(x, x);
  V p = S::set1(-0.000609038514f);
  p = S::fma(p, x2, S::set1(0.00501196831f));
  p = S::fma(p, x2, S::set1(-0.026778914f));
  p = S::fma(p, x2, S::set1(0.112821408f));
  p = S::fma(p, x2, S::set1(-0.376125246f));
  p = S::fma(p, x2, S::set1(1.12837911f));
  return S::mul(x, p);
}

// erfc(a) for a in [0.9, 10.5] as e^-(hi+lo) * R(z), z = 1/(1 + 0.47047 a), R a degree-8 polynomial
// (fit error 3.6e-9 relative). hi + lo must equal a^2 exactly: rounding a^2 alone would cost
// a^2 * 6e-8 of relative error, which is 6e-6 at a = 10.
inline V erfc_big(V a, V hi, V lo) {
  V z = S::div(S::set1(1.0f), S::fma(a, S::set1(0.47047f), S::set1(1.0f)));
  V p = S::set1(0.0917485282f);
  p = S::fma(p, z, S::set1(-0.282683611f));
  p = S::fma(p, z, S::set1(0.216253176f));
  p = S::fma(p, z, S::set1(0.00898248889f));
  p = S::fma(p, z, S::set1(0.203122824f));
  p = S::fma(p, z, S::set1(0.231413752f));
  p = S::fma(p, z, S::set1(0.265934289f));
  p = S::fma(p, z, S::set1(0.265405774f));
  p = S::fma(p, z, S::set1(6.17224657e-07f));
  V ex = vexp(S::bxor(hi, sign_bit()));
  ex = S::fnma(ex, lo, ex);  // e^-(hi+lo) ~= e^-hi * (1 - lo); |lo| < 1e-5
  return S::mul(ex, p);
}

inline V verf(V x) {
  V a = vabs(x);
  // erfc(9) ~ 4e-37, far below erf's last bit; clamping there also keeps e^-a^2 normal.
  V ac = S::min(S::set1(9.0f), a);
  V hi = S::mul(ac, ac);
  V big = S::sub(S::set1(1.0f), erfc_big(ac, hi, S::two_prod_lo(ac, ac, hi)));
  return S::sel(S::lt(a, S::set1(0.9f)), erf_small(x), copysign_pos(big, x));
}

// gelu = x/2 * (1 + erf(x/sqrt2)). For x < 0 that sum cancels catastrophically (gelu(-5) is
// ~1e-6), so the negative side uses erfc(|x|/sqrt2) directly, with u^2 = x^2/2 split exactly.
inline V vgelu(V x) {
  V xc = S::min(S::set1(15.0f), S::max(S::set1(-15.0f), x));  // keeps NaN; beyond, Phi is 0 or 1
  V h = S::mul(xc, S::set1(0.5f));
  V hi = S::mul(h, xc);
  V lo = S::two_prod_lo(h, xc, hi);
  V u = S::mul(xc, S::set1(0.707106781186547524f));
  V a = vabs(u);
  V c = erfc_big(a, hi, lo);
  V twophi = S::sel(S::gt(x, S::set1(0.0f)), S::sub(S::set1(2.0f), c), c);
  twophi = S::sel(S::lt(a, S::set1(0.9f)), S::add(S::set1(1.0f), erf_small(u)), twophi);
  return S::mul(S::mul(x, S::set1(0.5f)), twophi);
}

// softplus = max(x, 0) + log1p(e^-|x|): never overflows, tends to x above and to e^x below.
inline V vsoftplus(V x) {
  V t = vexp(S::bxor(vabs(x), sign_bit()));
  return S::add(S::max(x, S::set1(0.0f)), vlog1p_unit(t));
}

// ---------------------------------------------------------------------------------------------
// Unary kernels, one instantiation per op so the op switch happens once per call, not per vector.

// Every line of TF_UNARY_OPS needs one of these: the primary template is deleted, so the table
// below does not compile while an op lacks its vector form.
template <UnaryOp OP>
V unary_v(V x, V p0, V p1) = delete;
#define TF_UNARY_KERNEL(op) template <> inline V unary_v<UnaryOp::op>(V x, V p0, V p1)

TF_UNARY_KERNEL(Neg) { return S::bxor(x, sign_bit()); }
TF_UNARY_KERNEL(Exp) { return vexp(x); }
TF_UNARY_KERNEL(Log) { return vlog(x); }
TF_UNARY_KERNEL(Sqrt) { return S::sqrt(x); }
TF_UNARY_KERNEL(Abs) { return vabs(x); }
TF_UNARY_KERNEL(Relu) { return S::max(S::set1(0.0f), x); }
TF_UNARY_KERNEL(LeakyRelu) { return S::sel(S::gt(x, S::set1(0.0f)), x, S::mul(x, p0)); }
TF_UNARY_KERNEL(Sigmoid) { return vsigmoid(x); }
TF_UNARY_KERNEL(Tanh) { return vtanh(x); }
TF_UNARY_KERNEL(Elu) { return S::sel(S::gt(x, S::set1(0.0f)), x, S::mul(p0, vexpm1(x))); }
TF_UNARY_KERNEL(Gelu) { return vgelu(x); }
TF_UNARY_KERNEL(Softplus) { return vsoftplus(x); }
TF_UNARY_KERNEL(Erf) { return verf(x); }
TF_UNARY_KERNEL(Sign) {
  const V zero = S::set1(0.0f);
  return S::sel(S::gt(x, zero), S::set1(1.0f), S::sel(S::lt(x, zero), S::set1(-1.0f), x));
}
TF_UNARY_KERNEL(Square) { return S::mul(x, x); }
TF_UNARY_KERNEL(Reciprocal) { return S::div(S::set1(1.0f), x); }
TF_UNARY_KERNEL(Clip) { return S::min(p1, S::max(p0, x)); }
// The ramp is scaled to [0, 1] before the product so that huge x cannot overflow. -inf gives
// -inf * 0 = NaN, as the float64 reference does. Operand order keeps NaN.
TF_UNARY_KERNEL(HardSwish) {
  V r6 = S::min(S::set1(6.0f), S::max(S::set1(0.0f), S::add(x, S::set1(3.0f))));
  return S::mul(x, S::mul(r6, S::set1(1.0f / 6.0f)));
}
// x * tanh(softplus(x)) = x * n / (n + 2) with n = e^x (e^x + 2): no cancellation anywhere, and
// above 20 the ratio is 1 in float (e^x is clamped there so n stays finite). Below -80, e^x is
// subnormal and would cost the product its relative accuracy, so it is taken as
// (x * e^(x+32)) * e^-32 there (x + 32 is exact); n / (n + 2) equals e^x to float precision.
// -inf gives -inf * 0 = NaN, as the reference does.
inline V x_times_exp_tiny(V x) {
  return S::mul(S::mul(x, vexp(S::add(x, S::set1(32.0f)))), S::set1(1.26641655e-14f));
}
TF_UNARY_KERNEL(Mish) {
  V u = vexp(S::min(S::set1(20.0f), x));
  V n = S::mul(u, S::add(u, S::set1(2.0f)));
  V r = S::mul(x, S::div(n, S::add(n, S::set1(2.0f))));
  const M tiny = S::lt(x, S::set1(-80.0f));
  if (S::any(tiny)) r = S::sel(tiny, x_times_exp_tiny(x), r);
  return r;
}
// +-inf gives inf / inf = NaN, as the reference does.
TF_UNARY_KERNEL(Softsign) { return S::div(x, S::add(S::set1(1.0f), vabs(x))); }
// p0 x + p1 with one rounding: near z = 0 the sum cancels, so the product's rounding error (from
// the exact two_prod_lo) is added back; where that is not finite (huge |x|) it is not needed.
TF_UNARY_KERNEL(HardSigmoid) {
  V hi = S::mul(p0, x);
  V lo = S::two_prod_lo(p0, x, hi);
  lo = S::sel(S::lt(vabs(lo), S::set1(__builtin_inff())), lo, S::set1(0.0f));
  lo = S::sel(S::lt(vabs(hi), S::set1(__builtin_inff())), lo, S::set1(0.0f));
  V z = S::add(S::add(hi, p1), lo);
  return S::max(S::set1(0.0f), S::min(S::set1(1.0f), z));
}
TF_UNARY_KERNEL(Selu) {
  return S::sel(S::gt(x, S::set1(0.0f)), S::mul(p1, x), S::mul(S::mul(p1, p0), vexpm1(x)));
}
// x * sigmoid(x) with t = e^-|x|: x / (1 + t) for x >= 0, x * t / (1 + t) below, with e^-|x|
// clamped at e^-87 (1 + t rounds to 1 there, so x >= 87 gives x). A vector with an x < -80
// anywhere takes one exp of a per-lane argument instead of the three the IEEE-edged exp and the
// tiny form would cost (randomly initialised networks reach |x| in the hundreds, where SiLU took
// 3.7x its usual time): below -80 e^(x+32) for x * e^x scaled as in mish. Below -120 the result
// rounds to -0, and -inf gives -inf * 0 = NaN, as the reference does.
// Ops that models use rarely and on small tensors (positional encodings, index arithmetic): each
// lane through the double-precision C function, so the result is the correctly rounded float64
// reference's, as in src/ops/unary.ts.
template <class F>
inline V per_lane(V x, F f) {
  alignas(64) float a[S::W];
  S::store(a, x);
  for (int i = 0; i < S::W; i++) a[i] = static_cast<float>(f(static_cast<double>(a[i])));
  return S::load(a);
}
TF_UNARY_KERNEL(Sin) { return per_lane(x, [](double v) { return std::sin(v); }); }
TF_UNARY_KERNEL(Cos) { return per_lane(x, [](double v) { return std::cos(v); }); }
TF_UNARY_KERNEL(Tan) { return per_lane(x, [](double v) { return std::tan(v); }); }
TF_UNARY_KERNEL(Asin) { return per_lane(x, [](double v) { return std::asin(v); }); }
TF_UNARY_KERNEL(Acos) { return per_lane(x, [](double v) { return std::acos(v); }); }
TF_UNARY_KERNEL(Atan) { return per_lane(x, [](double v) { return std::atan(v); }); }
TF_UNARY_KERNEL(Sinh) { return per_lane(x, [](double v) { return std::sinh(v); }); }
TF_UNARY_KERNEL(Cosh) { return per_lane(x, [](double v) { return std::cosh(v); }); }
TF_UNARY_KERNEL(Floor) { return per_lane(x, [](double v) { return std::floor(v); }); }
TF_UNARY_KERNEL(Ceil) { return per_lane(x, [](double v) { return std::ceil(v); }); }
// nearbyint in the default rounding mode: halves to even, as ONNX Round.
TF_UNARY_KERNEL(Round) { return per_lane(x, [](double v) { return std::nearbyint(v); }); }
TF_UNARY_KERNEL(Silu) {
  V a = S::bor(x, sign_bit());  // -|x|
  // Large positive x needs no special case: e^-|x| clamped at e^-87 leaves 1 + t == 1, so x comes
  // out. Only x below -80 does (randomly initialised efficientnet_b0, batch 1: 17.7% of its SiLU
  // vectors held an |x| > 80 and took the slower form, 14.5% an x < -80).
  if (!S::any(S::lt(x, S::set1(-80.0f)))) {
    V t = exp_core_normal(S::max(a, S::set1(-87.0f))).e;
    V s = S::div(S::set1(1.0f), S::add(S::set1(1.0f), t));
    return S::mul(x, S::sel(S::ge(x, S::set1(0.0f)), s, S::mul(t, s)));
  }
  const M tiny = S::lt(x, S::set1(-80.0f));
  V t = exp_core_normal(S::max(S::set1(-87.0f), S::sel(tiny, S::add(x, S::set1(32.0f)), a))).e;
  V s = S::div(S::set1(1.0f), S::add(S::set1(1.0f), t));
  V r = S::mul(x, S::sel(S::ge(x, S::set1(0.0f)), s, S::mul(t, s)));
  r = S::sel(tiny, S::mul(S::mul(x, t), S::set1(1.26641655e-14f)), r);
  r = S::sel(S::lt(x, S::set1(-120.0f)), S::mul(x, S::set1(0.0f)), r);
  return S::sel(S::unord(x, x), x, r);
}
#undef TF_UNARY_KERNEL

template <UnaryOp OP>
void unary_k(const float* x, float* y, int64_t n, float p0, float p1) {
  const V a = S::set1(p0), b = S::set1(p1);
  map1(x, y, n, [a, b](V v) { return unary_v<OP>(v, a, b); });
}

// ---------------------------------------------------------------------------------------------
// Binary kernels.

template <BinaryOp OP>
inline V binary_v(V a, V b) {
  const V one = S::set1(1.0f);
  if constexpr (OP == BinaryOp::Add) return S::add(a, b);
  else if constexpr (OP == BinaryOp::Sub) return S::sub(a, b);
  else if constexpr (OP == BinaryOp::Mul) return S::mul(a, b);
  else if constexpr (OP == BinaryOp::Div) return S::div(a, b);
  else if constexpr (OP == BinaryOp::Maximum) return S::sel(S::unord(a, a), a, S::max(a, b));
  else if constexpr (OP == BinaryOp::Minimum) return S::sel(S::unord(a, a), a, S::min(a, b));
  else if constexpr (OP == BinaryOp::Equal) return S::ones_where(S::eq(a, b));
  else if constexpr (OP == BinaryOp::NotEqual) return S::ones_where(S::neq(a, b));
  else if constexpr (OP == BinaryOp::Greater) return S::ones_where(S::gt(a, b));
  else if constexpr (OP == BinaryOp::GreaterEqual) return S::ones_where(S::ge(a, b));
  else if constexpr (OP == BinaryOp::Less) return S::ones_where(S::lt(a, b));
  else if constexpr (OP == BinaryOp::LessEqual) return S::ones_where(S::le(a, b));
  else {
    static_assert(OP == BinaryOp::Pow, "a BinaryOp without a vector form");
    return one;  // Pow goes through std::pow below
  }
}

// pow is rare in models and std::pow's edge cases (negative bases, integer exponents, 0^0, 1^NaN)
// are many; libm's powf is already correctly rounded in practice, so it stays scalar.
// Builtins rather than std:: inline functions throughout this file: an inline function emitted
// in this AVX-512 translation unit could be the copy the linker keeps for the whole library.
inline float powf_std(float a, float b) { return __builtin_powf(a, b); }

template <BinaryOp OP>
void vv_k(const float* a, const float* b, float* out, int64_t n) {
  if constexpr (OP == BinaryOp::Pow) {
    for (int64_t i = 0; i < n; ++i) out[i] = powf_std(a[i], b[i]);
  } else {
    map2(a, b, out, n, [](V x, V y) { return binary_v<OP>(x, y); });
  }
}

template <BinaryOp OP>
void vs_k(const float* a, float b, float* out, int64_t n) {
  if constexpr (OP == BinaryOp::Pow) {
    if (b == 2.0f) {  // x*x is the correctly rounded square, as pow(x, 2) is
      map1(a, out, n, [](V x) { return S::mul(x, x); });
    } else {
      for (int64_t i = 0; i < n; ++i) out[i] = powf_std(a[i], b);
    }
  } else {
    const V bv = S::set1(b);
    map1(a, out, n, [bv](V x) { return binary_v<OP>(x, bv); });
  }
}

template <BinaryOp OP>
void sv_k(float a, const float* b, float* out, int64_t n) {
  if constexpr (OP == BinaryOp::Pow) {
    for (int64_t i = 0; i < n; ++i) out[i] = powf_std(a, b[i]);
  } else {
    const V av = S::set1(a);
    map1(b, out, n, [av](V y) { return binary_v<OP>(av, y); });
  }
}

// ---------------------------------------------------------------------------------------------
// Reductions.

double sum_k(const float* x, int64_t n) {
  DV d0 = S::dzero(), d1 = S::dzero(), d2 = S::dzero(), d3 = S::dzero();
  int64_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    S::dacc(d0, d1, S::load(x + i));
    S::dacc(d2, d3, S::load(x + i + W));
  }
  if (i + W <= n) {
    S::dacc(d0, d1, S::load(x + i));
    i += W;
  }
  if (i < n) S::dacc(d2, d3, S::load_part(x + i, static_cast<int>(n - i), 0.0f));
  return S::dsum(S::dadd(S::dadd(d0, d1), S::dadd(d2, d3)));
}

// Max/min keep NaN out of the running vectors (x first: a NaN lane is ignored) and record
// separately whether one was seen: cheaper than a select per vector and exact.
template <bool IS_MAX>
float extreme_k(const float* x, int64_t n) {
  const float init = IS_MAX ? -__builtin_inff() : __builtin_inff();
  V m0 = S::set1(init), m1 = m0;
  M nan = S::mfalse();
  auto step = [&](V v, V& m) {
    m = IS_MAX ? S::max(v, m) : S::min(v, m);
    nan = S::mor(nan, S::unord(v, v));
  };
  int64_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    step(S::load(x + i), m0);
    step(S::load(x + i + W), m1);
  }
  if (i + W <= n) {
    step(S::load(x + i), m0);
    i += W;
  }
  if (i < n) step(S::load_part(x + i, static_cast<int>(n - i), init), m1);
  if (S::any(nan)) return __builtin_nanf("");
  return IS_MAX ? S::hmax(S::max(m0, m1)) : S::hmin(S::min(m0, m1));
}
float max_k(const float* x, int64_t n) { return extreme_k<true>(x, n); }
float min_k(const float* x, int64_t n) { return extreme_k<false>(x, n); }

inline void dacc_part(double* acc, V v, int r) {
  alignas(64) float t[W];
  S::store(t, v);
  for (int k = 0; k < r; ++k) acc[k] += t[k];
}

void sum_into_k(double* acc, const float* row, int64_t n) {
  int64_t i = 0;
  for (; i + W <= n; i += W) S::dacc_mem(acc + i, S::load(row + i));
  if (i < n) {
    const int r = static_cast<int>(n - i);
    dacc_part(acc + i, S::load_part(row + i, r, 0.0f), r);
  }
}

// Row by row through sum_into, every 8 floats loaded and stored 8 doubles of acc: a global
// average pool over 14x14 or 56x56 pixels ran at a third of the speed of a plain sum.
void sum_rows_into_k(double* acc, const float* x, int64_t stride, int64_t rows, int64_t n) {
  // dacc puts a vector's first DW lanes into lo and the rest (if any) into hi.
  constexpr bool kHi = W > S::DW;
  // Four rows per pass over the columns: the sums stay in registers for four adds each, and the
  // rows are four sequential streams, which the prefetchers follow (a column block walking many
  // rows a row apart was slower on 4 KB strides).
  constexpr int64_t chunk = 4;
  for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
    const int64_t r1 = std::min(rows, r0 + chunk);
    const float* xc = x + r0 * stride;
    int64_t c = 0;
    for (; c + 2 * W <= n; c += 2 * W) {
      typename S::DV a0 = S::dload(acc + c), a1 = kHi ? S::dload(acc + c + S::DW) : S::dzero();
      typename S::DV b0 = S::dload(acc + c + W), b1 = kHi ? S::dload(acc + c + W + S::DW) : S::dzero();
      const float* p = xc + c;
      for (int64_t r = r0; r < r1; ++r, p += stride) {
        S::dacc(a0, a1, S::load(p));
        S::dacc(b0, b1, S::load(p + W));
      }
      S::dstore(acc + c, a0);
      S::dstore(acc + c + W, b0);
      if constexpr (kHi) {
        S::dstore(acc + c + S::DW, a1);
        S::dstore(acc + c + W + S::DW, b1);
      }
    }
    for (; c + W <= n; c += W) {
      typename S::DV a0 = S::dload(acc + c), a1 = kHi ? S::dload(acc + c + S::DW) : S::dzero();
      const float* p = xc + c;
      for (int64_t r = r0; r < r1; ++r, p += stride) S::dacc(a0, a1, S::load(p));
      S::dstore(acc + c, a0);
      if constexpr (kHi) S::dstore(acc + c + S::DW, a1);
    }
    if (c < n)
      for (int64_t r = r0; r < r1; ++r) sum_into_k(acc + c, xc + (r - r0) * stride + c, n - c);
  }
}

// ---------------------------------------------------------------------------------------------
// Softmax. Max-subtracted like the reference: max, then e^(x-max) summed in double, then scale.
// A row holding NaN or +inf, or only -inf, comes out all NaN, as the float64 formula gives.

// Rows of at most two vectors (10-class logits, say) stay in registers from load to store. The
// general path below stores e^(x-max) and reloads it, and a masked store followed by a load of
// the same bytes cannot be store-forwarded: that stall alone made short rows ~3x slower.
template <int NV>
inline void softmax_short(const float* x, float* y, int len, bool log) {
  const V ninf = S::set1(-__builtin_inff());
  const int n0 = NV == 1 ? len : W;
  V v0 = NV == 1 ? S::load_part(x, len, -__builtin_inff()) : S::load(x);
  V v1 = NV == 2 ? S::load_part(x + W, len - W, -__builtin_inff()) : ninf;
  float mx;
  if (S::any(S::mor(S::unord(v0, v0), S::unord(v1, v1)))) mx = __builtin_nanf("");
  else mx = S::hmax(S::max(v0, v1));
  const V mv = S::set1(mx);
  V d0 = S::sub(v0, mv), d1 = S::sub(v1, mv);
  V e0 = vexp(d0), e1 = vexp(d1);
  DV lo = S::dzero(), hi = S::dzero();
  S::dacc(lo, hi, e0);
  if (NV == 2) S::dacc(lo, hi, e1);
  const double s = S::dsum(S::dadd(lo, hi));
  V r0, r1;
  if (!log) {
    const V inv = S::set1(static_cast<float>(1.0 / s));
    r0 = S::mul(e0, inv);
    r1 = S::mul(e1, inv);
  } else {
    const V ls = S::set1(static_cast<float>(__builtin_log(s)));
    r0 = S::sub(d0, ls);
    r1 = S::sub(d1, ls);
  }
  if (NV == 1) {
    S::store_part(y, r0, n0);
  } else {
    S::store(y, r0);
    S::store_part(y + W, r1, len - W);
  }
}

void softmax_row_k(const float* x, float* y, int64_t len, bool log) {
  if (len <= W) return softmax_short<1>(x, y, static_cast<int>(len), log);
  if (len <= 2 * W) return softmax_short<2>(x, y, static_cast<int>(len), log);
  const float mx = max_k(x, len);
  const V mv = S::set1(mx);
  DV d0 = S::dzero(), d1 = S::dzero();
  int64_t i = 0;
  for (; i + W <= len; i += W) {
    V e = vexp(S::sub(S::load(x + i), mv));
    if (!log) S::store(y + i, e);
    S::dacc(d0, d1, e);
  }
  const int r = static_cast<int>(len - i);
  if (r > 0) {
    // -inf fill makes the idle lanes contribute exp(-inf) = 0 to the sum.
    V e = vexp(S::sub(S::load_part(x + i, r, -__builtin_inff()), mv));
    if (!log) S::store_part(y + i, e, r);
    S::dacc(d0, d1, e);
  }
  const double s = S::dsum(S::dadd(d0, d1));
  if (!log) {
    const V inv = S::set1(static_cast<float>(1.0 / s));
    map1(y, y, len, [inv](V v) { return S::mul(v, inv); });
  } else {
    const V ls = S::set1(static_cast<float>(__builtin_log(s)));
    map1(x, y, len, [mv, ls](V v) { return S::sub(S::sub(v, mv), ls); });
  }
}

void softmax_cols_k(const float* x, float* y, int64_t len, int64_t stride, int64_t cols,
                    bool log) {
  alignas(64) float mx[kTile];
  alignas(64) double acc[kTile];
  for (int64_t c = 0; c < cols; ++c) {
    mx[c] = x[c];
    acc[c] = 0.0;
  }
  for (int64_t j = 1; j < len; ++j)
    vv_k<BinaryOp::Maximum>(mx, x + j * stride, mx, cols);
  const int64_t full = cols / W * W;
  const int rem = static_cast<int>(cols - full);
  for (int64_t j = 0; j < len; ++j) {
    const float* xr = x + j * stride;
    float* yr = y + j * stride;
    for (int64_t c = 0; c < full; c += W) {
      V e = vexp(S::sub(S::load(xr + c), S::load(mx + c)));
      if (!log) S::store(yr + c, e);
      S::dacc_mem(acc + c, e);
    }
    if (rem) {
      V e = vexp(S::sub(S::load_part(xr + full, rem, 0.0f), S::load_part(mx + full, rem, 0.0f)));
      if (!log) S::store_part(yr + full, e, rem);
      dacc_part(acc + full, e, rem);
    }
  }
  alignas(64) float k[kTile];
  if (!log) {
    for (int64_t c = 0; c < cols; ++c) k[c] = static_cast<float>(1.0 / acc[c]);
    for (int64_t j = 0; j < len; ++j) vv_k<BinaryOp::Mul>(y + j * stride, k, y + j * stride, cols);
  } else {
    for (int64_t c = 0; c < cols; ++c) k[c] = static_cast<float>(__builtin_log(acc[c]));
    for (int64_t j = 0; j < len; ++j) {
      const float* xr = x + j * stride;
      float* yr = y + j * stride;
      map2(xr, mx, yr, cols, [](V a, V b) { return S::sub(a, b); });
      vv_k<BinaryOp::Sub>(yr, k, yr, cols);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Three planes into pixels. Scalar, each pixel three loads 'plane' apart, it ran at ~5 GB/s: 1 ms
// of a batch-8 224x224 forward pass, as much as a whole ShuffleNet layer. With AVX-512, 16 pixels
// at a time: one vector per plane, three two-source permutes per output vector.

#if TF_ISA_LEVEL == TF_ISA_AVX512
struct Interleave3Index {
  // For output vector k: first a/b (channel 2 left as a placeholder), then that result with c.
  int32_t ab[3][16];
  int32_t abc[3][16];
};
constexpr Interleave3Index make_interleave3_index() {
  Interleave3Index t{};
  for (int k = 0; k < 3; ++k) {
    for (int j = 0; j < 16; ++j) {
      const int q = 16 * k + j, pixel = q / 3, ch = q % 3;
      t.ab[k][j] = ch == 0 ? pixel : ch == 1 ? 16 + pixel : 0;
      t.abc[k][j] = ch == 2 ? 16 + pixel : j;
    }
  }
  return t;
}
constexpr Interleave3Index kInterleave3 = make_interleave3_index();
#endif

void interleave3_k(const uint32_t* src, int64_t plane, int64_t n, uint32_t* dst) {
  int64_t w = 0;
#if TF_ISA_LEVEL == TF_ISA_AVX512
  const float* s0 = reinterpret_cast<const float*>(src);
  const float* s1 = s0 + plane;
  const float* s2 = s1 + plane;
  float* d = reinterpret_cast<float*>(dst);
  __m512i ab[3], abc[3];
  for (int k = 0; k < 3; ++k) {
    ab[k] = _mm512_loadu_si512(kInterleave3.ab[k]);
    abc[k] = _mm512_loadu_si512(kInterleave3.abc[k]);
  }
  // Permutes move bits: NaN payloads and int32 words pass through unchanged.
  for (; w + 16 <= n; w += 16) {
    const __m512 a = _mm512_loadu_ps(s0 + w), b = _mm512_loadu_ps(s1 + w), c = _mm512_loadu_ps(s2 + w);
    for (int k = 0; k < 3; ++k) {
      const __m512 t = _mm512_permutex2var_ps(a, ab[k], b);
      _mm512_storeu_ps(d + 3 * w + 16 * k, _mm512_permutex2var_ps(t, abc[k], c));
    }
  }
#endif
  for (; w < n; ++w) {
    dst[w * 3] = src[w];
    dst[w * 3 + 1] = src[plane + w];
    dst[w * 3 + 2] = src[2 * plane + w];
  }
}

// ---------------------------------------------------------------------------------------------
// The table. Built by index so it always matches the enum order; constant-initialized, so there
// is no static-init guard on the dispatch path.

template <std::size_t... I>
constexpr std::array<UnaryFn, sizeof...(I)> make_unary(std::index_sequence<I...>) {
  return {{&unary_k<static_cast<UnaryOp>(I)>...}};
}
template <std::size_t... I>
constexpr std::array<BinVVFn, sizeof...(I)> make_vv(std::index_sequence<I...>) {
  return {{&vv_k<static_cast<BinaryOp>(I)>...}};
}
template <std::size_t... I>
constexpr std::array<BinVSFn, sizeof...(I)> make_vs(std::index_sequence<I...>) {
  return {{&vs_k<static_cast<BinaryOp>(I)>...}};
}
template <std::size_t... I>
constexpr std::array<BinSVFn, sizeof...(I)> make_sv(std::index_sequence<I...>) {
  return {{&sv_k<static_cast<BinaryOp>(I)>...}};
}

constexpr std::size_t kNumUnary = static_cast<std::size_t>(UnaryOp::Count);
constexpr std::size_t kNumBinary = static_cast<std::size_t>(BinaryOp::Count);

constexpr Kernels kTable = {
    make_unary(std::make_index_sequence<kNumUnary>{}),
    make_vv(std::make_index_sequence<kNumBinary>{}),
    make_vs(std::make_index_sequence<kNumBinary>{}),
    make_sv(std::make_index_sequence<kNumBinary>{}),
    &sum_k,
    &max_k,
    &min_k,
    &sum_into_k,
    &sum_rows_into_k,
    &softmax_row_k,
    &softmax_cols_k,
    &interleave3_k,
};

const Kernels& table() { return kTable; }

}  // namespace tf::kernels::ew::TF_ISA_NS
