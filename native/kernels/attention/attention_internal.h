#pragma once
// Private to the attention kernels: the per-ISA table attention.cpp dispatches to. The dispatcher
// owns threading and scratch (attention_body.cpp is compiled once per ISA and must not instantiate
// templates another copy could share), the bodies the arithmetic of one task.
#include "kernels/attention/attention.h"
#include "kernels/common/isa_dispatch.h"

namespace tf::kernels::attention_detail {

// Query rows per forward task and keys per block: a row block reuses each transposed key block for
// all its rows, and the [rows, keys] probability tile stays in L1/L2. 32 rows rather than 16 halve
// the key transposes, which dominate small heads (4x65x16: 58 -> 47 us; 8x128x64: 768 -> 558 us).
// Sequences up to kMaxKeyBlock keys take one key block (a ViT's 65 tokens used to take a block of
// 64 and a second pass over the softmax state for the 65th key), and the rows split into even
// blocks of at most kMaxRowBlock (65 rows: one block, not 32 + 32 + a 1-row block that transposed
// the keys again for one row; the [68, 128] tile is 35 KB, in L2). Heads still split across threads.
constexpr int64_t kRowBlock = 32;
constexpr int64_t kMaxRowBlock = 128;
constexpr int64_t kKeyBlock = 64;
constexpr int64_t kMaxKeyBlock = 256;
// Rows come in register tiles of 4: the scratch rows are rounded up to whole tiles.
constexpr int64_t kRowTile = 4;

struct Blocking {
  int64_t rows;    // query rows per task (the last block may have fewer)
  int64_t blocks;  // row blocks per head
  int64_t keys;    // keys per key block (a multiple of kKeyBlock): the row stride of the tiles
};

inline Blocking forward_blocking(const SdpaShape& s) {
  const int64_t keys = s.tk <= kKeyBlock ? kKeyBlock : s.tk >= kMaxKeyBlock ? kMaxKeyBlock : (s.tk + kKeyBlock - 1) / kKeyBlock * kKeyBlock;
  const int64_t blocks = s.tq <= kRowBlock ? 1 : (s.tq + kMaxRowBlock - 1) / kMaxRowBlock;
  const int64_t rows = blocks == 0 ? 0 : (s.tq + blocks - 1) / blocks;
  return {rows, blocks, keys};
}

// Floats of scratch a forward task needs: the transposed key block, the probability tile, the
// unnormalized outputs, the running max and sum.
inline int64_t forward_scratch(const SdpaShape& s, const Blocking& b) {
  const int64_t rows = (b.rows + kRowTile - 1) / kRowTile * kRowTile;
  return b.keys * (s.d + rows) + rows * (s.dv + 2);
}

struct Kernels {
  // Rows [i0, i1) of head (b, h).
  void (*forward_rows)(const SdpaForward& a, int64_t b, int64_t h, int64_t i0, int64_t i1, int64_t keys, float* scratch);
  // Every row of head (b, h): writes that head's dq, dk, dv.
  void (*backward_head)(const SdpaBackward& a, int64_t b, int64_t h);
};

TF_ISA_TABLE(Kernels)

}  // namespace tf::kernels::attention_detail
