#pragma once
// Portable GEMM micro-kernel for CPUs without AVX2. Plain C++ that the compiler maps to SSE2 at
// the x86-64 baseline; it exists for correctness on old machines, not for speed.
#include <cstdint>

#include "kernels/gemm/gemm_internal.h"

namespace tf::kernels::gemm_detail::scalar {
namespace {

// 4 x 8: eight 4-wide SSE accumulators, leaving registers for the B row and the broadcast.
constexpr int kMr = 4;
constexpr int kNr = 8;

template <int W>
void pack(const float* src, int64_t ld, bool rows_contiguous, int64_t w, int64_t kc, float* dst) {
  for (int64_t p = 0; p < kc; ++p) {
    float* d = dst + p * W;
    if (rows_contiguous) {
      const float* s = src + p * ld;
      for (int64_t r = 0; r < W; ++r) d[r] = r < w ? s[r] : 0.0f;
    } else {
      for (int64_t r = 0; r < W; ++r) d[r] = r < w ? src[r * ld + p] : 0.0f;
    }
  }
}

void micro_kernel(int64_t kc, const float* pa, int64_t a_rs, int64_t a_ks, const float* pb,
                  int64_t b_ks, float* c, int64_t ldc, int mr, int nr, const TileStore& st) {
  float acc[kMr][kNr] = {};
  const bool packed = b_ks == kNr;
  float brow[kNr];
  for (int64_t p = 0; p < kc; ++p) {
    // B read in place (b_ks != kNr) may end after nr columns: copy the row into a padded one so
    // the inner loop below stays branch-free and vectorisable.
    const float* b = pb;
    if (!packed) {
      for (int j = 0; j < kNr; ++j) brow[j] = j < nr ? pb[j] : 0.0f;
      b = brow;
    }
    for (int i = 0; i < kMr; ++i) {
      // Rows past mr may lie outside an unpacked A; they only feed discarded accumulators.
      const float a = i < mr ? pa[i * a_rs] : 0.0f;
      for (int j = 0; j < kNr; ++j) acc[i][j] += a * b[j];
    }
    pa += a_ks;
    pb += b_ks;
  }
  for (int i = 0; i < mr; ++i) {
    for (int j = 0; j < nr; ++j) {
      float* dst = st.trans_c ? c + j * ldc + i : c + i * ldc + j;
      float x = st.alpha * acc[i][j];
      if (st.beta != 0.0f) x += st.beta * *dst;
      if (st.bias != nullptr) x += st.bias[st.trans_c ? i : j];
      if (st.residual != nullptr) x += st.trans_c ? st.residual[j * st.ld_residual + i] : st.residual[i * st.ld_residual + j];
      if (st.relu) x = x < 0.0f ? 0.0f : x;  // keeps NaN
      *dst = x;
    }
  }
}

void gemv_rows(int64_t n, int64_t k, const float* x, const float* m, int64_t ld, float* y) {
  for (int64_t j = 0; j < n; ++j) y[j] = 0.0f;
  for (int64_t p = 0; p < k; ++p) {
    const float xp = x[p];
    const float* row = m + p * ld;
    for (int64_t j = 0; j < n; ++j) y[j] += xp * row[j];
  }
}

void gemv_dots(int64_t n, int64_t k, const float* x, const float* m, int64_t ld, float* y) {
  for (int64_t j = 0; j < n; ++j) {
    const float* r = m + j * ld;
    // Four partial sums break the add dependency chain and let the compiler use SSE lanes.
    float s[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    int64_t p = 0;
    for (; p + 4 <= k; p += 4)
      for (int q = 0; q < 4; ++q) s[q] += r[p + q] * x[p + q];
    for (; p < k; ++p) s[0] += r[p] * x[p];
    y[j] = (s[0] + s[1]) + (s[2] + s[3]);
  }
}

}  // namespace

const IsaKernels& table() {
  static const IsaKernels k{kMr, kNr, /*kc=*/256, /*mc=*/kMr * 32, /*nc=*/kNr * 256,
                            pack<kMr>, pack<kNr>, micro_kernel, gemv_rows, gemv_dots, 0, nullptr, nullptr,
                            nullptr, nullptr};
  return k;
}

}  // namespace tf::kernels::gemm_detail::scalar
