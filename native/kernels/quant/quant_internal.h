#pragma once
#include <cstdint>

#include "kernels/quant/quant.h"

// Contract between the ISA-independent driver (quant.cpp) and the per-ISA kernels (quant_body.cpp,
// compiled once per level of common/isa_levels.txt, including the quant-only avx512vnni level).
namespace tf::kernels::quant_detail {

// One output row's epilogue constants, already offset to the row's first column j0.
struct RowEpilogue {
  // a_zero_point * col_sums[j] in wrapping int32 (0 when acc is already centred), subtracted from acc.
  const int32_t* zero_correction;
  const float* mult;  // float(scale_a * scale_b[j])
  const float* bias;  // zeros when the call has no bias
  int activation;     // QuantActivation
  float out_scale;
  int32_t out_zero_point;
};

// Where a micro tile's results go through the epilogue: rows [0, rows) x columns [0, cols) of the
// output from out_f32 / out_u8 (one null), row stride ldc, e offset to the tile's first column.
struct TileOutput {
  RowEpilogue e;
  float* out_f32;
  uint8_t* out_u8;
  int64_t ldc;
  int64_t rows;
  int64_t cols;
};

// Rows of a micro tile never exceed this (the driver's row-pointer arrays).
constexpr int kMaxTileRows = 8;

// One output row of the direct convolution (quant.h, qconv2d_direct): `count` pixels. With a fused
// pool_h x pool_w max pooling, output pixel i is the max over the accumulators of the convolution
// pixels (dy, dx) of its window, whose filter row ky is the 4 * words bytes at
// lines[dy * kh + ky] + i * pool_step + dx * step (uint8 domain; bytes past the filter's kw * c meet
// zero weights); without, pool_h = pool_w = 1 and pool_step = step. The max is taken before the
// epilogue, which is monotone (mult > 0). w: packed weights, ceil(cout / 16) panels of kh * words
// 4-deep groups.
struct DirectConvRow {
  const uint8_t* const* lines;
  int64_t step;
  int64_t pool_h, pool_w, pool_step;
  int64_t kh;
  int64_t words;
  int64_t count;
  const int8_t* w;
  int64_t cout;
  const int32_t* zero_correction;  // x_zero_point * col_sums[j] (wrapping)
  const float* mult;
  const float* offset;
  float lo, hi;
  uint8_t* out;  // pixel 0, channel 0; pixels cout bytes apart
};

struct QuantKernels {
  const char* name;
  int mr;          // rows of a micro tile (<= kMaxTileRows)
  int max_panels;  // 16-column weight panels per micro tile (<= 4)
  // acc[r * 64 + j] = sum_p a_r[p] * b[p][j] for r < mr and the columns of panels [0, panels)
  // (consecutive panels ps bytes apart from pb). The depth is `segments` runs of `groups` 4-deep
  // groups: in segment s, row r's activations are rows[s * mr + r][0, 4 * groups) (a GEMM has one
  // segment; a convolution one per filter row, read straight from the input). Each byte is xor-ed
  // with xor_mask (0x80 turns int8 into uint8). The weights' groups follow each other in pb.
  // With `out`, the tile then goes through the epilogue into the output instead (acc may be used
  // as scratch).
  void (*kernel)(int64_t segments, int64_t groups, const uint8_t* const* rows, uint8_t xor_mask, const int8_t* pb,
                 int64_t ps, int panels, int32_t* acc, const TileOutput* out);
  // out[r * ldc + j] from acc[r * acc_ld + j] for r < rows, j < cols (float or uint8 output; the
  // other pointer is null).
  void (*epilogue)(const int32_t* acc, int64_t acc_ld, int64_t rows, int64_t cols, const RowEpilogue& e, float* out_f32,
                   uint8_t* out_u8, int64_t ldc);
  // acc[j] += (int(x[j] ^ xor_mask) - zero_point) * w[j] for j < count (the depthwise kernel's tap).
  void (*depthwise_tap)(int64_t count, const uint8_t* x, uint8_t xor_mask, int32_t zero_point, const int8_t* w,
                        int32_t* acc);
  // lo = min(lo, min x), hi = max(hi, max x) over count values; NaNs are skipped.
  void (*min_max)(const float* x, int64_t count, float* lo, float* hi);
  void (*quantize)(const float* x, int64_t count, float scale, int32_t zero_point, uint8_t* out);
  void (*direct_conv_row)(const DirectConvRow& r);
  // out[j] = max over t < taps of (src[t][j] ^ xor_mask), xor-ed back, for j < count.
  void (*max_bytes)(const uint8_t* const* src, int64_t taps, int64_t count, uint8_t xor_mask, uint8_t* out);
};

namespace scalar {
const QuantKernels& table();
}
namespace avx2 {
const QuantKernels& table();
}
namespace avx512 {
const QuantKernels& table();
}
namespace avx512vnni {
const QuantKernels& table();
}

}  // namespace tf::kernels::quant_detail
