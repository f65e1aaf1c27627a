#pragma once
// Fused scaled-dot-product attention: out = softmax(scale * q kᵀ (+ mask) , over keys) v, per batch
// entry and head, without materializing the [Tq, Tk] probability matrix: key blocks are folded into
// each query row with an online softmax (running max and sum), and the per-row log-sum-exp is kept
// so the backward pass can recompute the probabilities instead of storing them.
#include <cstdint>

namespace tf::kernels {

// A [batch, heads, time, dim] operand: element (b, h, t, d) is p[b * sb + h * sh + t * st + d] (the
// last dim is contiguous; any stride may be 0 to broadcast).
struct AttnView {
  const float* p = nullptr;
  int64_t sb = 0, sh = 0, st = 0;
};

// None: no mask. Additive: mask(b, h, i, j) is added to the scaled logit. Keep: where the mask is 0
// the logit is replaced by masked_value (-inf excludes the key; a finite value such as -1e9 makes a
// fully masked row attend uniformly, as Keras does). For a mask, st is the query-row stride and the
// key index is contiguous.
enum class AttnMask : int { None = 0, Additive = 1, Keep = 2 };

struct SdpaShape {
  int64_t batch, heads, tq, tk, d, dv;
  AttnView q, k, v, mask;
  AttnMask mask_kind;
  // Query i sees key j only when j <= i (PyTorch's is_causal: top-left aligned).
  bool causal;
  float scale, masked_value;
};

// out: element (b, h, i, e) at out[b out_sb + h out_sh + i out_st + e] (dense [B, H, Tq, Dv] for the
// backward pass; an inference plan writes [B, Tq, H, Dv], the layout the projection after attention
// reads, instead of transposing afterwards); lse: dense [B, H, Tq], each row's log-sum-exp.
struct SdpaForward {
  SdpaShape s;
  float* out;
  int64_t out_sb, out_sh, out_st;
  float* lse;
};
void sdpa_forward(const SdpaForward& a);

// Gradients of q, k, v (dense, shaped like q, k, v) from dout (a view like out), out and lse of the
// forward pass. The mask gets no gradient.
struct SdpaBackward {
  SdpaShape s;
  const float* out;  // dense [B, H, Tq, Dv]
  AttnView dout;
  const float* lse;  // dense [B, H, Tq]
  float* dq;
  float* dk;
  float* dv;
};
void sdpa_backward(const SdpaBackward& a);

}  // namespace tf::kernels
