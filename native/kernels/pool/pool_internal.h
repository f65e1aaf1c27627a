#pragma once
#include <cstdint>

#include "kernels/common/isa_dispatch.h"
#include "kernels/pool/pool.h"

// Max-pool forward rows compiled once per ISA (pool_body.cpp, see tf_kernel_family) and picked
// by CPUID in pool.cpp: at the baseline a
// NaN-propagating max is six SSE2 instructions per 4 floats, the wider ISAs do 8 or 16 floats in
// three.
namespace tf::kernels::pool_detail {

// y rows r0 .. r1 of the [batch * oh] output rows (each ow * c floats).
using MaxRowsFn = void (*)(const Pool2dGeom& g, const float* x, float* y, int64_t r0, int64_t r1);

// The same rows for channels-first planes (c == 1); scratch holds plane_scratch(g) floats.
using MaxPlaneRowsFn = void (*)(const Pool2dGeom& g, const float* x, float* y, int64_t r0, int64_t r1, float* scratch);

inline int64_t plane_scratch(const Pool2dGeom& g) {
  const int64_t span = (g.ow - 1) * g.sw + g.kw;
  const int64_t padded = span > g.pl + g.w ? span : g.pl + g.w;
  return padded + span;
}

// Input-gradient rows of a max pool whose windows do not overlap: output rows r0 .. r1 of the
// [batch * oh] rows, each writing its band of gx rows in full (see max_backward_rows).
using MaxBackwardRowsFn = void (*)(const Pool2dGeom& g, const float* x, const float* gy, float* gx, int64_t r0, int64_t r1);

struct Kernels {
  MaxRowsFn max_rows;
  MaxPlaneRowsFn max_plane_rows;
  MaxBackwardRowsFn max_backward_rows;
};

TF_ISA_TABLE(Kernels)

}  // namespace tf::kernels::pool_detail
