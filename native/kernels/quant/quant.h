#pragma once
#include <cstdint>

// Integer kernels of int8 quantization: GEMM and convolution with int32 accumulation and a fused
// float epilogue, and float32 -> uint8 quantization. The same contract, with a TypeScript
// reference that gives the same bits, is in src/ops/quant-kernels.ts.
//
// Numbers
//   Activations are uint8 with a zero point (asymmetric). int8 activations are accepted too: the
//   kernels add 128 to every value and to the zero point (xor 0x80), which leaves every
//   difference a - zero_point unchanged. Weights are int8, symmetric (zero point 0), with one
//   float32 scale per output column / channel.
//   acc[i][j] = sum_p (a[i][p] - a_zero_point) * b[p][j], exact in int32 for k <= kQuantMaxDepth
//   (65536 * 255 * 128 < 2^31). The kernels compute sum a * b and subtract
//   a_zero_point * col_sums[j] in wrapping int32 arithmetic, which is exact since the true result fits.
//
// Epilogue of element (i, j), float32 with one rounding per step (so every ISA level and the TS
// reference agree bit for bit):
//   v = fma(float(acc), multiplier[j], bias[j])      multiplier[j] = float(scale_a * scale_b[j])
//   v = activation(v)                                 none | relu: max(v, 0) | relu6: min(max(v, 0), 6)
//   float output:  out = v
//   uint8 output:  out = clamp(round_half_even(v / out_scale) + out_zero_point, 0, 255)
//
// Packed weights (written by src/ops/quant-kernels.ts, the same for every level): a [k, n] int8
// matrix becomes ceil(n / 16) panels of ceil(k / 4) groups of [16 columns][4 depths] int8, zero
// padded: b[p][j] is at ((j / 16) * ceil(k / 4) + p / 4) * 64 + (j % 16) * 4 + p % 4. This is the
// order in which AVX-512 VNNI's vpdpbusd multiplies 4 uint8 activations by 4 int8 weights per
// int32 lane. col_sums[j] = sum_p b[p][j].
namespace tf::kernels {

constexpr int64_t kQuantMaxDepth = 65536;
constexpr int64_t kQuantPanel = 16;

enum class QuantActivation : int { None = 0, Relu = 1, Relu6 = 2 };

// Everything the epilogue needs, indexed by global output column.
struct QuantEpilogue {
  const int32_t* col_sums = nullptr;  // [n]
  const float* scale_b = nullptr;     // [n] weight scales
  const float* bias = nullptr;        // [n] or null
  float scale_a = 1.0f;
  QuantActivation activation = QuantActivation::None;
  // Exactly one of these is set. out_u8 is requantized with out_scale, out_zero_point.
  float* out_f32 = nullptr;
  uint8_t* out_u8 = nullptr;
  float out_scale = 1.0f;
  int32_t out_zero_point = 0;
};

// out[m, n] (row stride n) = epilogue(acc) for a [m, k] row-major (lda = k); a_signed: a holds
// int8 (and a_zero_point is in -128..127), else uint8 (0..255). b_packed as described above.
void qgemm(int64_t m, int64_t n, int64_t k, const uint8_t* a, bool a_signed, int32_t a_zero_point,
           const int8_t* b_packed, const QuantEpilogue& ep);

struct QConvShape {
  int64_t n, h, w, c;      // input, NHWC
  int64_t kh, kw, cout;    // filter
  int64_t oh, ow;          // output, NHWC [n, oh, ow, cout]
  int64_t sh, sw, dh, dw;  // strides, dilations (>= 1)
  int64_t pad_top, pad_left;
  int64_t groups;
};

// Convolution of NHWC x (uint8, or int8 when x_signed) with padding that reads x_zero_point.
// depthwise: groups == c and the weights are [kh * kw][cout] int8 (channel multiplier
// cout / c), run by a direct kernel; otherwise each group's weights are one packed matrix, back to
// back, with n = cout / groups and k = kh * row, row = kw * c / groups rounded up to a multiple of
// 4 (depth index ky * row + kx * c / groups + ci, each filter row's tail zero), run as im2col tiles
// (or, for 1x1 stride-1 unpadded filters, x itself) through the qgemm core. ep.scale_a is x's scale.
void qconv2d(const QConvShape& s, const uint8_t* x, bool x_signed, int32_t x_zero_point, const int8_t* w_packed,
             bool depthwise, const QuantEpilogue& ep);

// Direct convolution with requantization for shallow filters (a first layer: few input channels,
// so an im2col GEMM is all per-pixel overhead), groups == 1, weights packed as for qconv2d. Each
// padded input image is copied once into the uint8 domain (padding = the zero point) and every
// output pixel's kh filter rows are read from it in place. For output (pixel, j):
//   acc = sum (x - x_zero_point) * w                                   (int32, exact)
//   out = round_half_even(min(max(fma(float(acc), mult[j], offset[j]), lo), hi))   (uint8)
// mult and offset fold the input, weight and output scales, the bias and the output zero point
// (src/ops/quant-kernels.ts computes them); lo / hi (integers in 0..255) are the clamps of the
// fused activation on the output grid (relu: lo = output zero point). NaN gives lo.
//
// With `pool` (its windows inside the convolution's output, no dilation along w), the output is
// the max pooling of that result, [n, pool->oh, pool->ow, cout], computed as the max of the
// accumulators of each window before the (monotone) epilogue: the same bytes as pooling after.
struct QDirectPool {
  int64_t kh, kw, sh, sw, oh, ow;
};
//
// With x_float (and x null), the input is float32 and quantized on the fly, row by row into the
// padded copy, with (x_scale, x_zero_point) exactly as quantize_linear does: the same bytes as
// quantizing first, without writing the uint8 input.
void qconv2d_direct(const QConvShape& s, const uint8_t* x, bool x_signed, int32_t x_zero_point, const int8_t* w_packed,
                    const int32_t* col_sums, const float* mult, const float* offset, int32_t lo, int32_t hi,
                    const QDirectPool* pool, uint8_t* out, const float* x_float = nullptr, float x_scale = 1.0f);

struct QPoolShape {
  int64_t n, h, w, c;  // input, NHWC
  int64_t kh, kw;      // window
  int64_t oh, ow;      // output, NHWC [n, oh, ow, c]
  int64_t sh, sw;      // strides
  int64_t pad_top, pad_left;
};

// Max pooling of uint8 (or int8 when x_signed) NHWC x: the largest value of each window's taps
// inside x (taps in the padding are skipped; an empty window gives the type's lowest value).
// Exact for quantized values: quantization is monotone, so the max of the integers is the
// integer of the max.
void qmax_pool2d(const QPoolShape& s, const uint8_t* x, bool x_signed, uint8_t* out);

// Quantizes x[count] with (scale, zero_point): clamp(round_half_even(x / scale) + zero_point, 0, 255).
void quantize_linear(int64_t count, const float* x, float scale, int32_t zero_point, uint8_t* out);

// Dynamic quantization of x [rows, cols]: per row (per_row) or over all of it, lo = min(0, min x),
// hi = max(0, max x), scale = (hi - lo) / 255 (1 when 0), zero_point = clamp(round_half_even(-lo /
// scale), 0, 255) (ONNX DynamicQuantizeLinear), then quantize_linear. Writes rows or 1 pairs.
void quantize_dynamic(int64_t rows, int64_t cols, bool per_row, const float* x, uint8_t* out, float* scales,
                      int32_t* zero_points);

// Name of the integer-kernel copy the current SIMD level runs: "avx512vnni", "avx2" or "scalar".
const char* quant_isa_name();

}  // namespace tf::kernels
