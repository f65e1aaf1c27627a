#pragma once
// Layer normalization over the last n elements of each row (the normalized axes, contiguous):
// y = (x - mean) * rstd * gamma + beta with rstd = 1 / sqrt(var + eps), var biased. The forward pass
// keeps mean and rstd per row for the backward pass.
#include <cstdint>

#include "kernels/elementwise/elementwise.h"

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

// Batch normalization in training form on x viewed as [outer, c, inner] (channels-first data has
// outer = N and inner = H * W; channels-last data inner = 1): per channel, the batch mean and
// biased variance over outer * inner values, then y = (x - mean) * rstd * gamma + beta. Two passes
// over x: shifted sums (by the channel's first value, accumulated in blocks then in double, so
// no E[x²] - E[x]² cancellation), then the normalization.
struct BatchNormForward {
  int64_t outer, c, inner;
  const float* x;      // [outer, c, inner]
  const float* gamma;  // [c] or null (1)
  const float* beta;   // [c] or null (0)
  float eps;
  float* y;         // [outer, c, inner]
  float* mean;      // [c]
  float* variance;  // [c], biased
  float* rstd;      // [c]
  // A fused activation (training's BatchNorm + ReLU / ReLU6): with clamp, y = min(max(z, lo), hi)
  // for the normalized z. scale_shift (null when unused) receives the per-channel factors z was
  // computed with, [scale[c], shift[c]], so the backward recomputes z bit for bit for its mask.
  bool clamp = false;
  float lo = 0.0f, hi = 0.0f;
  float* scale_shift = nullptr;  // [2 * c] or null
};
void batch_norm_forward(const BatchNormForward& a);

// Its backward in two passes: the per-channel sums of dy and dy * (x - mean), then
// dx = gamma * rstd * (dy - mean(dy) - xhat * mean(dy * xhat)), with xhat = (x - mean) * rstd.
// dgamma = sum of dy * xhat and dbeta = sum of dy (either may be null).
struct BatchNormBackward {
  int64_t outer, c, inner;
  const float* x;
  const float* gamma;  // may be null
  const float* mean;
  const float* rstd;
  const float* dy;
  float* dx;
  float* dgamma;  // may be null
  float* dbeta;   // may be null
  // The fused activation's gradient (z_scale_shift: the forward's scale_shift, or null for none):
  // dy passes where mask_lo <= z <= mask_hi, z recomputed from x, and is 0 elsewhere (ReLU's
  // z > 0 is mask_lo = the smallest positive float).
  const float* z_scale_shift = nullptr;
  float mask_lo = 0.0f, mask_hi = 0.0f;
};
void batch_norm_backward(const BatchNormBackward& a);

// A per-channel affine map then an optional activation, on x viewed as [outer, c, inner]:
// y = act(x * scale[ch] + shift[ch]). Inference batch normalization with its statistics folded
// into scale and shift; the activation is the elementwise family's unary op, applied to each
// block while it is still in cache, so a fused and an unfused BatchNorm + ReLU agree bit for bit.
struct ChannelAffine {
  int64_t outer, c, inner;
  // With inner == 1: x's rows are ldx >= c apart (a channel slice of a wider channels-last tensor:
  // the inference plan's concatenations are such slices of one buffer); else ldx == c * inner.
  int64_t ldx;
  const float* x;      // [outer, c, inner] (rows ldx apart)
  const float* scale;  // [c]
  const float* shift;  // [c]
  float* y;            // [outer, c, inner], not overlapping x
  bool has_activation = false;
  UnaryOp activation = UnaryOp::Relu;
  float p0 = 0.0f, p1 = 0.0f;
};
void channel_affine(const ChannelAffine& a);

}  // namespace tf::kernels
