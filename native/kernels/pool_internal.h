#pragma once
#include <cstdint>

#include "kernels/pool.h"

// Max-pool forward rows compiled once per ISA (pool_body.h inside pool.cpp for the SSE2
// baseline, pool_avx2.cpp, pool_avx512.cpp) and picked by CPUID in pool.cpp: at the baseline a
// NaN-propagating max is six SSE2 instructions per 4 floats, the wider ISAs do 8 or 16 floats in
// three.
namespace tf::kernels::pool_detail {

// y rows r0 .. r1 of the [batch * oh] output rows (each ow * c floats).
using MaxRowsFn = void (*)(const Pool2dGeom& g, const float* x, float* y, int64_t r0, int64_t r1);

void max_rows_sse2(const Pool2dGeom& g, const float* x, float* y, int64_t r0, int64_t r1);
void max_rows_avx2(const Pool2dGeom& g, const float* x, float* y, int64_t r0, int64_t r1);
void max_rows_avx512(const Pool2dGeom& g, const float* x, float* y, int64_t r0, int64_t r1);

}  // namespace tf::kernels::pool_detail
