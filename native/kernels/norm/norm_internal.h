#pragma once
// Private to the normalization kernels: the per-ISA table norm.cpp dispatches to (norm_body.cpp is
// compiled once per ISA; the dispatcher owns the threading).
#include "kernels/common/isa_dispatch.h"
#include "kernels/norm/norm.h"

namespace tf::kernels::norm_detail {

// A BatchNorm's fused clamp activation inside its passes. Forward (the affine pass with q null):
// the output is clamped to [lo, hi]. Backward (the sums and the affine pass with p = dy, q = x):
// dy is replaced by 0 where z = za * x + zd (the forward's own factors) is outside [lo, hi].
struct BnAct {
  const float* za;  // [c]
  const float* zd;  // [c]
  float lo, hi;
};

struct Kernels {
  void (*forward_rows)(const LayerNormForward& a, int64_t r0, int64_t r1);
  void (*backward_rows)(const LayerNormBackward& a, int64_t r0, int64_t r1);
  // dgamma and dbeta on columns [c0, c1), summed over every row.
  void (*param_grads)(const LayerNormBackward& a, int64_t c0, int64_t c1);

  // Batch norm, channels-last rows [r0, r1) of [rows, c]: adds sum(u) and sum(u * v) per channel
  // into s1, s2 (double), with u = p - shift[ch], v = q - shift2[ch] (the forward passes q = p,
  // shift2 = shift; the backward p = dy, shift = 0, q = x, shift2 = mean). acc: 2 * c floats.
  void (*bn_sums_rows)(const float* p, const float* q, int64_t c, int64_t r0, int64_t r1, const float* shift,
                       const float* shift2, double* s1, double* s2, float* acc, const BnAct* act);
  // The same over one channel's plane of a channels-first tensor: `outer` rows of `inner` values,
  // `stride` apart; returns the sums in s1, s2.
  void (*bn_sums_plane)(const float* p, const float* q, int64_t outer, int64_t inner, int64_t stride, float shift,
                        float shift2, double* s1, double* s2, const BnAct* act, int64_t ch);
  // out = a * p + b * q + d per channel: rows [r0, r1) of [rows, c] (q may be null: b ignored).
  // act (may be null): the fused activation, see BnAct.
  void (*bn_affine_rows)(const float* p, const float* q, float* out, int64_t c, int64_t r0, int64_t r1, const float* a,
                         const float* b, const float* d, const BnAct* act);
  // The same over one channel's plane (n contiguous values) of channel ch.
  void (*bn_affine_plane)(const float* p, const float* q, float* out, int64_t n, float a, float b, float d, const BnAct* act,
                          int64_t ch);
  // y = x * s[ch] + d[ch] rounded as a multiply then an add (channel_affine): rows [r0, r1) of [rows, c],
  // x's rows ldx apart (a channel slice of a wider tensor), y's dense.
  void (*scale_shift_rows)(const float* x, int64_t ldx, float* y, int64_t c, int64_t r0, int64_t r1, const float* s, const float* d);
  // The same over one channel's plane (n contiguous values).
  void (*scale_shift_plane)(const float* x, float* y, int64_t n, float s, float d);
};

TF_ISA_TABLE(Kernels)

}  // namespace tf::kernels::norm_detail
