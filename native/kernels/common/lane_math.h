#pragma once
// Scalar float helpers that vectorize (a polynomial exp built in the exponent bits, 16-lane row
// sums that need no -ffast-math), shared by the bodies that compile once per ISA. They live in the
// level's own namespace (lane_math::TF_ISA_NS) and are static, so every body keeps the code generated
// for its level and its own options (an inline function shared across copies could be emitted by
// one of them and kept by the linker for all). Include it after any `#pragma GCC optimize`.
#include <cstdint>
#include <cstring>

#include "kernels/common/isa.h"

namespace tf::kernels::lane_math::TF_ISA_NS {

constexpr int kLanes = 16;

static inline uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

static inline float float_of(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// exp(x) within ~2 ulp for x in [-87, 88] (clamped outside): x = n ln2 + r with |r| <= ln2 / 2, a
// degree-7 polynomial in r, 2^n built in the exponent bits. NaN stays NaN.
static inline float fexp(float x) {
  x = x > 88.0f ? 88.0f : x;
  x = x < -87.0f ? -87.0f : x;
  const float round = 12582912.0f;  // 1.5 * 2^23: adding it leaves round(x / ln2) in the low bits
  const float t = x * 1.44269504088896341f + round;
  const float n = t - round;
  const uint32_t ni = bits_of(t) - bits_of(round);
  float r = x - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  return p * float_of((ni + 127u) << 23);
}

// fexp, but exactly 0 below the smallest normal result (so -inf, an excluded key, weighs nothing).
static inline float fexp_or_zero(float x) { return x < -87.33f ? 0.0f : fexp(x); }

// sum of x[0..n) over 16 independent lanes, then the tail.
static inline float lane_sum(const float* x, int64_t n) {
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; l++) acc[l] += x[i + l];
  }
  float s = 0.0f;
  for (; i < n; i++) s += x[i];
  for (int l = 0; l < kLanes; l++) s += acc[l];
  return s;
}

}  // namespace tf::kernels::lane_math::TF_ISA_NS
