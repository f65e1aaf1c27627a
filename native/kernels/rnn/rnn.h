#pragma once
// Fused gate math of the recurrent cells (LSTM, GRU with reset_after), one pass over [batch, units]
// per step. Every matrix is row-major with its own row stride (ld*), so the callers can read and
// write time slices of [batch, time, features] sequences in place. The GEMMs of the projections
// (x W and h U) are done by the caller; these kernels sum them and apply the activations.
#include <cstdint>

namespace tf::kernels {

// Optional per-row mask: rows with mask[b * ld] == 0 are padded steps: the state passes through.
struct RowMask {
  const float* m = nullptr;
  int64_t ld = 0;
};

// LSTM, Keras gate order i, f, c (g), o: z = xp + hp (hp may be null);
// i, f, o = sigmoid, g = tanh; c = f * c_prev + i * g; h = o * tanh(c).
// gates [batch, 4H] (row stride 4H) receives the activated i, f, g, o for the backward pass.
// Masked rows: h = h_prev, c = c_prev (h_prev may be null without a mask), gates = 0.
struct LstmForward {
  int64_t batch, units;
  const float* xp; int64_t ldxp;
  const float* hp; int64_t ldhp;  // may be null
  const float* c_prev; int64_t ldcp;
  const float* h_prev; int64_t ldhprev;  // read only for masked rows
  RowMask mask;
  float* h; int64_t ldh;
  float* c; int64_t ldc;
  float* gates;  // [batch, 4H], contiguous
};
void lstm_cell_forward(const LstmForward& a);

// dh = dh1 (+ dh2), dc = dc1 (+ dc2); writes dz [batch, 4H] (the gradient of xp and hp),
// dc_prev, and dh_pass (the part of dh_prev not flowing through hp: dh itself for masked rows, else 0).
// dc_prev / dh_pass may alias dc1 / dh1 element for element (each element is read before it is written).
struct LstmBackward {
  int64_t batch, units;
  const float* gates;  // [batch, 4H] contiguous
  const float* c_prev; int64_t ldcp;
  const float* c; int64_t ldc;
  const float* dh1; int64_t lddh1;
  const float* dh2; int64_t lddh2;  // may be null
  const float* dc1; int64_t lddc1;  // may be null (no gradient of c)
  const float* dc2; int64_t lddc2;  // may be null
  RowMask mask;
  float* dz; int64_t lddz;
  float* dc_prev; int64_t lddcp;
  float* dh_pass; int64_t lddhp;  // may be null
};
void lstm_cell_backward(const LstmBackward& a);

// GRU with reset_after (Keras default), gate order z, r, h:
// z = sigmoid(xz + hz), r = sigmoid(xr + hr), hh = tanh(xh + r * hh_rec), h = z * h_prev + (1 - z) * hh,
// where xp = x W + b_in and hp = h_prev U + b_rec, both [batch, 3H]. gates [batch, 3H] receives z, r, hh.
// Masked rows: h = h_prev, gates = 0.
struct GruForward {
  int64_t batch, units;
  const float* xp; int64_t ldxp;
  const float* hp; int64_t ldhp;
  const float* h_prev; int64_t ldhprev;
  RowMask mask;
  float* h; int64_t ldh;
  float* gates;  // [batch, 3H], contiguous
};
void gru_cell_forward(const GruForward& a);

// dh = dh1 (+ dh2); writes dxp, dhp [batch, 3H] and dh_direct = the gradient of h_prev not flowing
// through hp (dh * z, or dh for masked rows). dh_direct may alias dh1 element for element.
struct GruBackward {
  int64_t batch, units;
  const float* gates;  // [batch, 3H] contiguous
  const float* hp; int64_t ldhp;
  const float* h_prev; int64_t ldhprev;
  const float* dh1; int64_t lddh1;
  const float* dh2; int64_t lddh2;  // may be null
  RowMask mask;
  float* dxp; int64_t lddxp;
  float* dhp; int64_t lddhp;
  float* dh_direct; int64_t lddhd;
};
void gru_cell_backward(const GruBackward& a);


// Whole sequences. Batch rows are independent through time, so the recurrence splits over rows:
// each thread runs every step for its own rows (one GEMM with the recurrent kernel packed once for
// the whole sequence, then the fused cell), with no hand-off per step. Sequences are row-major
// [batch, time, features]; per-step gates are [time, batch, gates * units]; mask is [batch, time]
// (0 = padded step) or null. Both kernels allocate their own packing and per-thread scratch.

// y [batch, time, 2H] receives h then c after every step.
struct LstmSequenceForward {
  int64_t batch, time, units;
  const float* xp;  // [batch, time, 4H]: x W + b
  const float* u;   // [H, 4H]
  const float* h0; int64_t ldh0;
  const float* c0; int64_t ldc0;
  const float* mask;
  float* y;
  float* gates;  // [time, batch, 4H]
};
void lstm_sequence_forward(const LstmSequenceForward& a);

// Backpropagation through time from dy [batch, time, 2H] (the gradients of h and c at every step):
// dxp [batch, time, 4H], du [H, 4H] (written, one GEMM over every step and row at the end), and the
// gradients of the initial state dh0, dc0 [batch, H] (dense).
struct LstmSequenceBackward {
  int64_t batch, time, units;
  const float* u;
  const float* h0; int64_t ldh0;
  const float* c0; int64_t ldc0;
  const float* mask;
  const float* y;
  const float* gates;
  const float* dy;
  float* dxp;
  float* du;
  float* dh0;
  float* dc0;
};
void lstm_sequence_backward(const LstmSequenceBackward& a);

// GRU (reset_after) over a whole sequence: y [batch, time, H] receives h after every step; hp
// [time, batch, 3H] receives h_prev U + b_rec of every step and gates [time, batch, 3H] the
// activated z, r, hh (both read by the backward pass). bias (b_rec, 3H) may be null.
struct GruSequenceForward {
  int64_t batch, time, units;
  const float* xp;  // [batch, time, 3H]: x W + b_in
  const float* u;   // [H, 3H]
  const float* bias;
  const float* h0; int64_t ldh0;
  const float* mask;
  float* y;
  float* gates;
  float* hp;
};
void gru_sequence_forward(const GruSequenceForward& a);

// dxp [batch, time, 3H], du [H, 3H], db [3H] (may be null: no recurrent bias), dh0 [batch, H] (dense),
// from dy [batch, time, H].
struct GruSequenceBackward {
  int64_t batch, time, units;
  const float* u;
  const float* h0; int64_t ldh0;
  const float* mask;
  const float* y;
  const float* gates;
  const float* hp;
  const float* dy;
  float* dxp;
  float* du;
  float* db;
  float* dh0;
};
void gru_sequence_backward(const GruSequenceBackward& a);

}  // namespace tf::kernels
