#pragma once
// Private to the attention kernels: the per-ISA table attention.cpp dispatches to. The dispatcher
// owns threading and scratch (attention_body.cpp is compiled once per ISA and must not instantiate
// templates another copy could share), the bodies the arithmetic of one task.
#include "kernels/attention/attention.h"
#include "kernels/common/isa_dispatch.h"

namespace tf::kernels::attention_detail {

// Query rows per forward task and keys per block: a row block reuses each transposed key block
// kRowBlock times, and the [kRowBlock, kKeyBlock] probability tile (8 KB) stays in L1. 32 rows
// rather than 16 halve the key transposes, which dominate small heads (4x65x16: 58 -> 47 us;
// 8x128x64: 768 -> 558 us).
constexpr int64_t kRowBlock = 32;
constexpr int64_t kKeyBlock = 64;

// Floats of scratch a forward task needs.
inline int64_t forward_scratch(const SdpaShape& s) { return kKeyBlock * (s.d + kRowBlock) + kRowBlock * (s.dv + 2); }

struct Kernels {
  // Rows [i0, i1) of head (b, h).
  void (*forward_rows)(const SdpaForward& a, int64_t b, int64_t h, int64_t i0, int64_t i1, float* scratch);
  // Every row of head (b, h): writes that head's dq, dk, dv.
  void (*backward_head)(const SdpaBackward& a, int64_t b, int64_t h);
};

TF_ISA_TABLE(Kernels)

}  // namespace tf::kernels::attention_detail
