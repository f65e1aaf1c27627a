#pragma once
#include <cstdint>

#include "kernels/elementwise/op_tables.h"

// Elementwise, reduction and data-movement kernels. Raw pointers, shapes and element strides only:
// callers (the binding layer) validate every shape, index and size before calling.
namespace tf::kernels {

// The op families are declared once, in elementwise/op_tables.h; the enums' order is the wire
// format with the binding, which publishes the names from the same table.
#define TF_OP_ENUMERATOR(e, ...) e,
enum class UnaryOp : int { TF_UNARY_OPS(TF_OP_ENUMERATOR) Count };
enum class BinaryOp : int { TF_BINARY_OPS(TF_OP_ENUMERATOR) Count };
enum class ReduceOp : int { TF_REDUCE_OPS(TF_OP_ENUMERATOR) Count };
enum class ArgReduceOp : int { TF_ARG_REDUCE_OPS(TF_OP_ENUMERATOR) Count };
#undef TF_OP_ENUMERATOR

// y[i] = f(x[i]) over contiguous arrays; x == y is allowed. NaN in gives NaN out (relu, max, clip too).
void unary(UnaryOp op, const float* x, float* y, int64_t n, float p0, float p1);

// out (contiguous, row-major over `shape`) = a op b, with a and b addressed through element strides
// (stride 0 on broadcast dims). ndim may be 0 (one element).
void binary(BinaryOp op, int ndim, const int64_t* shape, const float* a, const int64_t* a_strides,
            const float* b, const int64_t* b_strides, float* out);

// out = cond != 0 ? a : b, all three broadcast through strides like binary().
void where(int ndim, const int64_t* shape, const float* cond, const int64_t* cond_strides,
           const float* a, const int64_t* a_strides, const float* b, const int64_t* b_strides,
           float* out);

// Copies a strided view of 4-byte elements into another strided view (both in elements).
// Used for contiguous(), concat, pad and stack, for float32 and int32 alike.
void strided_copy(int ndim, const int64_t* shape, const void* src, const int64_t* src_strides,
                  void* dst, const int64_t* dst_strides);

void fill(float* y, int64_t n, float value);

// x is contiguous and viewed as [outer, len, inner]; out is [outer, inner]. len == 0 gives
// 0 for Sum, NaN for Mean, -inf/+inf for Max/Min. Max/Min propagate NaN.
void reduce(ReduceOp op, const float* x, int64_t outer, int64_t len, int64_t inner, float* out);
// Index of the first extreme along len (first NaN wins, like NumPy); len >= 1.
void arg_reduce(ArgReduceOp op, const float* x, int64_t outer, int64_t len, int64_t inner,
                int32_t* out);

// Softmax (or log-softmax) along len of a contiguous [outer, len, inner] array, max-subtracted.
void softmax(const float* x, float* y, int64_t outer, int64_t len, int64_t inner, bool log);

// x contiguous [outer, axis_len, inner]; out[o, j, i] = x[o, idx[j], i] for j < nidx.
// Every idx[j] is already checked to lie in [0, axis_len).
void gather(const void* x, int64_t outer, int64_t axis_len, int64_t inner, const int32_t* idx,
            int64_t nidx, void* out);
// The adjoint of gather: out[o, idx[j], i] += g[o, j, i]; out is zeroed by the caller.
void scatter_add(const float* g, int64_t outer, int64_t axis_len, int64_t inner,
                 const int32_t* idx, int64_t nidx, float* out);

// out[i, d] = (idx[i] == d) ? on : off; indices outside [0, depth) give a row of `off` (as tfjs).
void one_hot(const int32_t* idx, int64_t n, int64_t depth, float on, float off, float* out);

}  // namespace tf::kernels
