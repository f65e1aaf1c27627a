#pragma once
// 2-d pooling and upsampling over channels-last data [batch, h, w, c]. Channels-first callers
// (NCHW) pass batch = N * C and c = 1: every (n, c) plane is then one "image" with one channel.
#include <cstdint>

namespace tf::kernels {

enum class PoolKind : int { Max = 0, Avg = 1, Count = 2 };

struct Pool2dGeom {
  int64_t batch, h, w, c;  // input
  int64_t oh, ow;          // output
  int64_t kh, kw;          // window
  int64_t sh, sw;          // strides
  int64_t pt, pl;          // padding before (top, left); padded cells are skipped, never read
};

// y[b, i, j, c] = max / mean over the valid cells of the window at (i * sh - pt, j * sw - pl).
// Max: NaN wins; the average divides by the number of valid (unpadded) cells. Every window must
// hold at least one valid cell (the binding checks this).
void pool2d_forward(PoolKind kind, const float* x, const Pool2dGeom& g, float* y);
// gx = d(sum(y * gy)) / dx, written in full (gx need not be zeroed). Max routes each output's
// gradient to its window's arg-max (the first maximum in row-major window order, or the last NaN),
// recomputed from x; avg spreads it evenly over the valid cells. x is unused for avg.
void pool2d_backward(PoolKind kind, const float* x, const float* gy, const Pool2dGeom& g, float* gx);

enum class UpsampleMode : int { Nearest = 0, Bilinear = 1, Count = 2 };

struct Upsample2dGeom {
  int64_t batch, h, w, c;  // input; the output is [batch, h * fh, w * fw, c]
  int64_t fh, fw;          // integer scale factors
};

// Nearest: y[b, i, j] = x[b, i / fh, j / fw]. Bilinear: half-pixel centres, edges clamped
// (tf.image.resize bilinear with half_pixel_centers, as Keras UpSampling2D does).
void upsample2d_forward(UpsampleMode mode, const float* x, const Upsample2dGeom& g, float* y);
// gx = d(sum(y * gy)) / dx, written in full.
void upsample2d_backward(UpsampleMode mode, const float* gy, const Upsample2dGeom& g, float* gx);

}  // namespace tf::kernels
