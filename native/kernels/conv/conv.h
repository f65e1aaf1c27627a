#pragma once
#include <cstdint>

#include "kernels/elementwise/elementwise.h"
#include "kernels/gemm/gemm.h"

// 2-d convolution on NHWC activations and HWIO filters ([kh, kw, Cin/groups, Cout]), lowered to
// sgemm through im2col tiles. Group g reads input channels [g*Cin/groups, (g+1)*Cin/groups) and
// writes output channels [g*Cout/groups, (g+1)*Cout/groups). Zero padding: the padded input is 0.
namespace tf::kernels {

struct ConvShape {
  int64_t n, h, w, c;      // input
  int64_t kh, kw, cout;    // filter (its third dim is c / groups)
  int64_t oh, ow;          // output
  int64_t sh, sw, dh, dw;  // strides, dilations (>= 1)
  int64_t pad_top, pad_left;
  int64_t groups;
  // The forward's x: distance between pixels, 0 for c (dense). Wider rows (a channel slice of a
  // wider tensor) only for pointwise ungrouped convolutions, which read x as a GEMM operand.
  int64_t ldx = 0;
  // The forward's y: distance between output pixels, 0 for cout (dense). Wider rows write a
  // channel slice of a wider tensor (an inference plan's Concat part, written in place instead of
  // copied): the pointwise, implicit-GEMM and small-k direct paths store with this stride, any
  // other path (or a residual) computes densely and copies the rows out.
  int64_t ldy = 0;
};

// What the forward does with each output tile while it is still in cache: y = act(conv + bias +
// residual). The activation is the elementwise family's unary kernel (the same vector math as the
// standalone op, so a fused and an unfused graph agree); relu without a residual is folded into
// the GEMM's or the direct kernels' own store.
struct ConvEpilogue {
  const float* bias = nullptr;      // [cout], or null
  const float* residual = nullptr;  // [n, oh, ow, cout] like y, or null
  bool has_activation = false;
  UnaryOp activation = UnaryOp::Relu;
  float p0 = 0.0f, p1 = 0.0f;  // the unary op's parameters
};

// y[n, oh, ow, cout] = act(sum x * w + bias[cout] + residual[n, oh, ow, cout]). `packed`, when
// given, is w as the [kh * kw * Cin, Cout] GEMM operand packed by sgemm_pack_b (ungrouped
// convolutions that go through the GEMM use it instead of packing w per output tile).
void conv2d_forward(const ConvShape& s, const float* x, const float* w, float* y, const ConvEpilogue& ep,
                    const PackedB& packed = {});

// Backward of the fused relu in one pass: out[i] = y[i] > 0 ? dy[i] : 0 (y is the relu output).
void conv2d_relu_grad(int64_t size, const float* dy, const float* y, float* out);

// Backward of clip(x, lo, hi) (relu6: 0, 6) in one pass: out[i] = lo <= x[i] <= hi ? dy[i] : 0.
void clip_grad(int64_t size, const float* dy, const float* x, float lo, float hi, float* out);

// dx[n, h, w, c] = adjoint of conv2d_forward w.r.t. x applied to dy (overwrites dx).
// This is also the forward of the transposed convolution.
void conv2d_backward_input(const ConvShape& s, const float* dy, const float* w, float* dx);

// The transposed convolution whose stride equals its kernel (no padding, no dilation, groups 1:
// a U-Net's 2x2 stride-2 upsampler) in the conv2d_backward_input geometry: dy [n, oh, ow, cout] is
// its input, dx [n, oh * kh, ow * kw, c] its output, w [kh, kw, c, cout]. The kernel's footprints
// do not overlap, so dx[n, kh*i + a, kw*j + b, :] = dy[n, i, j, :] . w[a, b, :, :]^T + bias: one
// GEMM per filter row a whose rows land, kw * c floats each, on dx's output row kh*i + a, written
// once with the bias in the store (no zero fill, no col2im accumulation).
bool conv2d_transpose_is_disjoint(const ConvShape& s);
// Floats of the filter packed for conv2d_transpose_disjoint at the active width: kh GEMM operands
// [cout, kw * c], each as sgemm_pack_b packs it.
int64_t conv2d_transpose_disjoint_packed_size(int64_t kh, int64_t kw, int64_t c, int64_t cout);
void conv2d_transpose_disjoint_pack(int64_t kh, int64_t kw, int64_t c, int64_t cout, const float* w, float* packed);
// `packed`, when its width is the active one, is w packed as above (else w is packed here).
// bias: [c] or null.
void conv2d_transpose_disjoint(const ConvShape& s, const float* dy, const float* w, const float* bias,
                               const PackedB& packed, float* dx);

// dw[kh, kw, c/groups, cout] = gradient of <dy, conv2d(x, w)> w.r.t. w (overwrites dw).
void conv2d_backward_filter(const ConvShape& s, const float* x, const float* dy, float* dw);

// Filter layouts: dst = src moved between [O, I, T] (PyTorch/ONNX OIHW, T = kh * kw taps) and
// [T, I, O] (HWIO, what the kernels read). to_taps_first: OIHW -> HWIO, else HWIO -> OIHW. Blocked
// over 16 output channels so every read and write stream is sequential.
void conv2d_filter_layout(int64_t o, int64_t i, int64_t t, bool to_taps_first, const float* src, float* dst);
}  // namespace tf::kernels
