#pragma once
// The argument blocks of the kernel entry points, declared once by field name.
//
// Every entry point takes its scalars (sizes, offsets, strides, parameters) in one Float64Array:
// one typed array crosses Node-API much faster than a dozen numbers. Each block's fields are listed
// here as an X-macro; TF_LAYOUT turns a list into a struct whose enumerators are the field indices
// (the binding reads `Args<layout::unary>::integer(layout::unary::n)`, never a bare position) and
// whose name list export_entry<L> (or publish_layout<L> for a plain function) publishes as
// `addon.layouts.<function>`. src/backend/binding.ts declares the same names, packs by them and
// refuses an addon whose published lists differ, so the two sides cannot drift.
//
// A block may end in a tail: arrays of equal length, that length being one of the fixed fields
// (TF_LAYOUT_TAIL). They follow the fixed fields back to back and are published as "name[count]".
//
// A new block: a field list and a TF_LAYOUT line here, Args<layout::x> in the entry point,
// export_entry<layout::x> where it is registered, and the same list in binding.ts's `layouts`.
#include <array>
#include <cstddef>

namespace tf::binding::layout {

#define TF_LAYOUT_ENUMERATOR(name) name,
#define TF_LAYOUT_STRING(name) #name,
#define TF_LAYOUT_NO_TAIL(F)

// The struct behind a layout: `Field` indexes the fixed fields, `Tail` the tail arrays.
#define TF_LAYOUT_STRUCT(layout_name, FIELDS, count_field, TAIL)                            \
  struct layout_name {                                                                      \
    enum Field : int { FIELDS(TF_LAYOUT_ENUMERATOR) kFieldCount };                          \
    enum Tail : int { TAIL(TF_LAYOUT_ENUMERATOR) kTailCount };                              \
    static constexpr const char* kName = #layout_name;                                      \
    static constexpr std::array<const char*, kFieldCount> kFields{{FIELDS(TF_LAYOUT_STRING)}}; \
    static constexpr std::array<const char*, kTailCount> kTail{{TAIL(TF_LAYOUT_STRING)}};  \
    static constexpr int kTailLengthField = count_field;                                    \
    static constexpr const char* kTailLengthName = #count_field;                            \
  };

#define TF_LAYOUT(layout_name, FIELDS) TF_LAYOUT_STRUCT(layout_name, FIELDS, -1, TF_LAYOUT_NO_TAIL)
#define TF_LAYOUT_TAIL(layout_name, FIELDS, count_field, TAIL) \
  TF_LAYOUT_STRUCT(layout_name, FIELDS, count_field, TAIL)

// ---- elementwise, reductions, indexing (binding/ops.cpp) ----------------------------------------
// p0, p1: the op's parameters (leakyRelu alpha, elu alpha, clip bounds, ...), 0 when unused.
#define TF_UNARY_FIELDS(F) F(xOffset) F(yOffset) F(n) F(p0) F(p1)
// Broadcast views: out is dense over shape; each operand has its own offset and strides.
#define TF_BINARY_FIELDS(F) F(ndim) F(aOffset) F(bOffset)
#define TF_BINARY_TAIL(F) F(shape) F(aStrides) F(bStrides)
#define TF_WHERE_FIELDS(F) F(ndim) F(condOffset) F(aOffset) F(bOffset)
#define TF_WHERE_TAIL(F) F(shape) F(condStrides) F(aStrides) F(bStrides)
#define TF_STRIDED_COPY_FIELDS(F) F(ndim) F(srcOffset) F(dstOffset)
#define TF_STRIDED_COPY_TAIL(F) F(shape) F(srcStrides) F(dstStrides)
#define TF_FILL_FIELDS(F) F(yOffset) F(n) F(value)
// x is [outer, len, inner], reduced over len; out is [outer, inner] from offset 0.
#define TF_REDUCE_FIELDS(F) F(xOffset) F(outer) F(len) F(inner)
#define TF_SOFTMAX_FIELDS(F) F(xOffset) F(outer) F(len) F(inner) F(log)
#define TF_GATHER_FIELDS(F) F(xOffset) F(outer) F(len) F(inner) F(indicesOffset) F(nidx)
#define TF_SCATTER_ADD_FIELDS(F) F(outer) F(len) F(inner) F(indicesOffset) F(nidx)
#define TF_ONE_HOT_FIELDS(F) F(indicesOffset) F(n) F(depth) F(onValue) F(offValue)
// activation: 0 none, 1 relu. The tail holds the offsets of each batch entry's matrices.
#define TF_GEMM_FIELDS(F) \
  F(transA) F(transB) F(m) F(n) F(k) F(lda) F(ldb) F(ldc) F(alpha) F(beta) F(activation) F(batch)
#define TF_GEMM_TAIL(F) F(aOffsets) F(bOffsets) F(cOffsets)

#define TF_GEMM_PACK_B_FIELDS(F) F(k) F(n) F(ldb) F(bOffset)

TF_LAYOUT(unary, TF_UNARY_FIELDS)
TF_LAYOUT(gemmPackB, TF_GEMM_PACK_B_FIELDS)
TF_LAYOUT_TAIL(binary, TF_BINARY_FIELDS, ndim, TF_BINARY_TAIL)
TF_LAYOUT_TAIL(where, TF_WHERE_FIELDS, ndim, TF_WHERE_TAIL)
TF_LAYOUT_TAIL(stridedCopy, TF_STRIDED_COPY_FIELDS, ndim, TF_STRIDED_COPY_TAIL)
TF_LAYOUT(fill, TF_FILL_FIELDS)
TF_LAYOUT(reduce, TF_REDUCE_FIELDS)
TF_LAYOUT(softmax, TF_SOFTMAX_FIELDS)
TF_LAYOUT(gather, TF_GATHER_FIELDS)
TF_LAYOUT(scatterAdd, TF_SCATTER_ADD_FIELDS)
TF_LAYOUT(oneHot, TF_ONE_HOT_FIELDS)
TF_LAYOUT_TAIL(gemm, TF_GEMM_FIELDS, batch, TF_GEMM_TAIL)

// ---- convolution (binding/conv_ops.cpp) ---------------------------------------------------------
// NHWC x (or its gradient), HWIO w (or its gradient), NHWC y (or its gradient); one block serves the
// forward pass and both backward passes.
#define TF_CONV2D_FIELDS(F)                                                                      \
  F(n) F(h) F(w) F(c) F(kh) F(kw) F(cout) F(oh) F(ow) F(sh) F(sw) F(dh) F(dw) F(padTop) F(padLeft) \
  F(groups) F(xOffset) F(wOffset) F(yOffset) F(xPixelStride) F(yPixelStride)
#define TF_CONV2D_RELU_GRAD_FIELDS(F) F(n) F(dyOffset) F(yOffset) F(outOffset)

TF_LAYOUT(conv2d, TF_CONV2D_FIELDS)
TF_LAYOUT(conv2dReluGrad, TF_CONV2D_RELU_GRAD_FIELDS)
#define TF_CLIP_GRAD_FIELDS(F) F(n) F(dyOffset) F(xOffset) F(outOffset) F(lo) F(hi)
TF_LAYOUT(clipGrad, TF_CLIP_GRAD_FIELDS)
#define TF_CONV2D_FILTER_LAYOUT_FIELDS(F) F(o) F(i) F(t) F(toTapsFirst) F(srcOffset) F(dstOffset)
TF_LAYOUT(conv2dFilterLayout, TF_CONV2D_FILTER_LAYOUT_FIELDS)

// ---- pooling and upsampling, channels-last (binding/pool_ops.cpp) -------------------------------
#define TF_POOL2D_GEOMETRY(F) F(batch) F(h) F(w) F(c) F(oh) F(ow) F(kh) F(kw) F(sh) F(sw) F(padTop) F(padLeft)
#define TF_POOL2D_FIELDS(F) F(xOffset) TF_POOL2D_GEOMETRY(F)
// x is read only for max pooling.
#define TF_POOL2D_BACKWARD_FIELDS(F) F(xOffset) F(gyOffset) TF_POOL2D_GEOMETRY(F)
// h, w: the input's; fh, fw: the integer factors.
#define TF_UPSAMPLE2D_GEOMETRY(F) F(batch) F(h) F(w) F(c) F(fh) F(fw)
#define TF_UPSAMPLE2D_FIELDS(F) F(xOffset) TF_UPSAMPLE2D_GEOMETRY(F)
#define TF_UPSAMPLE2D_BACKWARD_FIELDS(F) F(gyOffset) TF_UPSAMPLE2D_GEOMETRY(F)

TF_LAYOUT(pool2d, TF_POOL2D_FIELDS)
TF_LAYOUT(pool2dBackward, TF_POOL2D_BACKWARD_FIELDS)
TF_LAYOUT(upsample2d, TF_UPSAMPLE2D_FIELDS)
TF_LAYOUT(upsample2dBackward, TF_UPSAMPLE2D_BACKWARD_FIELDS)

// ---- fused recurrent cells (binding/rnn_ops.cpp) -------------------------------------------------
// Each matrix is an offset and a row stride (Ld) into its typed array; gates is dense. The fields of
// an optional matrix passed as null are ignored.
#define TF_LSTM_CELL_FORWARD_FIELDS(F)                                                             \
  F(batch) F(units) F(xpOffset) F(xpLd) F(hpOffset) F(hpLd) F(cPrevOffset) F(cPrevLd) F(hPrevOffset) \
  F(hPrevLd) F(maskOffset) F(maskLd) F(hOffset) F(hLd) F(cOffset) F(cLd) F(gatesOffset)
#define TF_LSTM_CELL_BACKWARD_FIELDS(F)                                                            \
  F(batch) F(units) F(gatesOffset) F(cPrevOffset) F(cPrevLd) F(cOffset) F(cLd) F(dhOffset) F(dhLd)   \
  F(dh2Offset) F(dh2Ld) F(dcOffset) F(dcLd) F(dc2Offset) F(dc2Ld) F(maskOffset) F(maskLd) F(dzOffset) \
  F(dzLd) F(dcPrevOffset) F(dcPrevLd) F(dhPassOffset) F(dhPassLd)
#define TF_GRU_CELL_FORWARD_FIELDS(F)                                                               \
  F(batch) F(units) F(xpOffset) F(xpLd) F(hpOffset) F(hpLd) F(hPrevOffset) F(hPrevLd) F(maskOffset) \
  F(maskLd) F(hOffset) F(hLd) F(gatesOffset)
#define TF_GRU_CELL_BACKWARD_FIELDS(F)                                                              \
  F(batch) F(units) F(gatesOffset) F(hpOffset) F(hpLd) F(hPrevOffset) F(hPrevLd) F(dhOffset) F(dhLd) \
  F(dh2Offset) F(dh2Ld) F(maskOffset) F(maskLd) F(dxpOffset) F(dxpLd) F(dhpOffset) F(dhpLd)          \
  F(dhDirectOffset) F(dhDirectLd)

TF_LAYOUT(lstmCellForward, TF_LSTM_CELL_FORWARD_FIELDS)
TF_LAYOUT(lstmCellBackward, TF_LSTM_CELL_BACKWARD_FIELDS)
TF_LAYOUT(gruCellForward, TF_GRU_CELL_FORWARD_FIELDS)
TF_LAYOUT(gruCellBackward, TF_GRU_CELL_BACKWARD_FIELDS)

// Whole sequences: xp, y, gates, dy, dxp, du and the mask are dense from their offsets; h0 and c0
// have row strides; dh0 and dc0 are dense [batch, units].
#define TF_LSTM_SEQUENCE_FORWARD_FIELDS(F)                                                          \
  F(batch) F(time) F(units) F(xpOffset) F(uOffset) F(h0Offset) F(h0Ld) F(c0Offset) F(c0Ld) F(maskOffset) \
  F(yOffset) F(gatesOffset)
#define TF_LSTM_SEQUENCE_BACKWARD_FIELDS(F)                                                         \
  F(batch) F(time) F(units) F(uOffset) F(h0Offset) F(h0Ld) F(c0Offset) F(c0Ld) F(maskOffset) F(yOffset) \
  F(gatesOffset) F(dyOffset) F(dxpOffset) F(duOffset) F(dh0Offset) F(dc0Offset)
TF_LAYOUT(lstmSequenceForward, TF_LSTM_SEQUENCE_FORWARD_FIELDS)
TF_LAYOUT(lstmSequenceBackward, TF_LSTM_SEQUENCE_BACKWARD_FIELDS)
#define TF_GRU_SEQUENCE_FORWARD_FIELDS(F)                                                           \
  F(batch) F(time) F(units) F(xpOffset) F(uOffset) F(biasOffset) F(h0Offset) F(h0Ld) F(maskOffset)  \
  F(yOffset) F(gatesOffset) F(hpOffset)
#define TF_GRU_SEQUENCE_BACKWARD_FIELDS(F)                                                          \
  F(batch) F(time) F(units) F(uOffset) F(h0Offset) F(h0Ld) F(maskOffset) F(yOffset) F(gatesOffset)  \
  F(hpOffset) F(dyOffset) F(dxpOffset) F(duOffset) F(dbOffset) F(dh0Offset)
TF_LAYOUT(gruSequenceForward, TF_GRU_SEQUENCE_FORWARD_FIELDS)
TF_LAYOUT(gruSequenceBackward, TF_GRU_SEQUENCE_BACKWARD_FIELDS)

// ---- fused attention and layer norm (binding/attention_ops.cpp) ---------------------------------
// q, k, v (and dout) are [batch, heads, time, dim] views: an offset and three strides each, the last
// dim contiguous. maskKind: 0 none, 1 additive, 2 keep (0 = replaced by maskedValue); the mask's
// key index is contiguous, its strides (B, H, query row) may be 0. Outputs are dense from their offset,
// except the forward out: a [batch, heads, tq, dv] view by its strides (distinct elements, the last dim contiguous).
#define TF_ATTN_VIEW(F, x) F(x##Offset) F(x##StrideB) F(x##StrideH) F(x##StrideT)
#define TF_SDPA_SHAPE_FIELDS(F)                                                               \
  F(batch) F(heads) F(tq) F(tk) F(d) F(dv) TF_ATTN_VIEW(F, q) TF_ATTN_VIEW(F, k) TF_ATTN_VIEW(F, v) \
  TF_ATTN_VIEW(F, mask) F(maskKind) F(causal) F(scale) F(maskedValue)
#define TF_SDPA_FORWARD_FIELDS(F) TF_SDPA_SHAPE_FIELDS(F) F(outOffset) F(lseOffset) F(outStrideB) F(outStrideH) F(outStrideT)
#define TF_SDPA_BACKWARD_FIELDS(F)                                                             \
  TF_SDPA_SHAPE_FIELDS(F) F(outOffset) F(lseOffset) TF_ATTN_VIEW(F, dout) F(dqOffset) F(dkOffset) \
  F(dvOffset)
// x, y, dy, dx: [rows, n] dense from their offsets; gamma, beta and their gradients [n]; mean, rstd [rows].
#define TF_LAYER_NORM_FORWARD_FIELDS(F) \
  F(rows) F(n) F(xOffset) F(gammaOffset) F(betaOffset) F(eps) F(yOffset) F(meanOffset) F(rstdOffset)
#define TF_LAYER_NORM_BACKWARD_FIELDS(F)                                                          \
  F(rows) F(n) F(xOffset) F(gammaOffset) F(meanOffset) F(rstdOffset) F(dyOffset) F(dxOffset) \
  F(dgammaOffset) F(dbetaOffset)

TF_LAYOUT(sdpaForward, TF_SDPA_FORWARD_FIELDS)
TF_LAYOUT(sdpaBackward, TF_SDPA_BACKWARD_FIELDS)
TF_LAYOUT(layerNormForward, TF_LAYER_NORM_FORWARD_FIELDS)
TF_LAYOUT(layerNormBackward, TF_LAYER_NORM_BACKWARD_FIELDS)

#define TF_BATCH_NORM_FORWARD_FIELDS(F) \
  F(outer) F(c) F(inner) F(xOffset) F(gammaOffset) F(betaOffset) F(eps) F(yOffset) F(meanOffset) F(varianceOffset) F(rstdOffset) \
  F(clamp) F(lo) F(hi) F(scaleShiftOffset)
#define TF_BATCH_NORM_BACKWARD_FIELDS(F)                                                                 \
  F(outer) F(c) F(inner) F(xOffset) F(gammaOffset) F(meanOffset) F(rstdOffset) F(dyOffset) F(dxOffset) \
  F(dgammaOffset) F(dbetaOffset) F(zOffset) F(maskLo) F(maskHi)

#define TF_CHANNEL_AFFINE_FIELDS(F) \
  F(outer) F(c) F(inner) F(xRowStride) F(xOffset) F(scaleOffset) F(shiftOffset) F(yOffset) F(activation) F(p0) F(p1)

TF_LAYOUT(batchNormForward, TF_BATCH_NORM_FORWARD_FIELDS)
TF_LAYOUT(channelAffine, TF_CHANNEL_AFFINE_FIELDS)
TF_LAYOUT(batchNormBackward, TF_BATCH_NORM_BACKWARD_FIELDS)

}  // namespace tf::binding::layout
