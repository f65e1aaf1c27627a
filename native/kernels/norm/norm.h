#pragma once
// Layer normalization over the last n elements of each row (the normalized axes, contiguous):
// y = (x - mean) * rstd * gamma + beta with rstd = 1 / sqrt(var + eps), var biased. The forward pass
// keeps mean and rstd per row for the backward pass.
#include <cstdint>

namespace tf::kernels {

struct LayerNormForward {
  int64_t rows, n;
  const float* x;      // [rows, n]
  const float* gamma;  // [n] or null (1)
  const float* beta;   // [n] or null (0)
  float eps;
  float* y;     // [rows, n]
  float* mean;  // [rows]
  float* rstd;  // [rows]
};
void layer_norm_forward(const LayerNormForward& a);

// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * gamma, xhat = (x - mean) * rstd;
// dgamma = sum over rows of dy * xhat, dbeta = sum over rows of dy (either may be null).
struct LayerNormBackward {
  int64_t rows, n;
  const float* x;
  const float* gamma;  // may be null
  const float* mean;
  const float* rstd;
  const float* dy;
  float* dx;
  float* dgamma;  // may be null
  float* dbeta;   // may be null
};
void layer_norm_backward(const LayerNormBackward& a);

}  // namespace tf::kernels
