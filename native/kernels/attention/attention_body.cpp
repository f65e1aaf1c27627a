// The attention kernels of attention.h, compiled once per instruction set (tf_kernel_family, see
// common/isa.h), each copy in its own namespace. The dispatcher (attention.cpp) hands each call its
// scratch, so nothing here instantiates a template another copy could share.
//
// Forward, per block of query rows: each key block is transposed once into scratch, so a row's
// logits are D multiply-adds over contiguous key columns (vectorized over keys); the block's
// probabilities then fold into each row's running max, sum and output (vectorized over Dv). Reductions are written over 16
// explicit lanes: without -ffast-math the compiler would not reorder a float sum.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "kernels/attention/attention_internal.h"
#include "kernels/common/isa.h"

// Lets the compiler evaluate both sides of the branch-free selects in vector lanes (FP exception
// flags are never read here); results, NaN and inf handling are unchanged.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif
// After the pragma, so the shared exp is compiled (and inlined) under the same options.
#include "kernels/common/lane_math.h"
// The vectors below never cross a call between separately compiled code (every function
// taking or returning one is inline in this file), so the ABI note GCC gives for them is moot.
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

namespace tf::kernels::attention_detail::TF_ISA_NS {
namespace {

using namespace ::tf::kernels::lane_math::TF_ISA_NS;

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

inline float dot(const float* __restrict a, const float* __restrict b, int64_t n) {
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; l++) acc[l] += a[i + l] * b[i + l];
  }
  float s = 0.0f;
  for (; i < n; i++) s += a[i] * b[i];
  for (int l = 0; l < kLanes; l++) s += acc[l];
  return s;
}

inline void axpy(float a, const float* __restrict x, float* __restrict y, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] += a * x[i];
}

inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

// kW floats as one GCC vector (a zmm register in the AVX-512 copy, a ymm in the AVX2 one, an xmm
// in the baseline), so the same register-tiled loops compile at every level. Local to this file
// (inline, internal linkage): no vector type crosses a call boundary between copies. A tile is
// kGroup query rows by kTileVecs vectors: 16 accumulators with AVX-512's 32 registers, 8 with the
// 16 of AVX2 and SSE2, leaving room for the loaded key or value vectors.
#if TF_ISA_LEVEL == TF_ISA_AVX512
constexpr int kW = 16;
constexpr int kTileVecs = 4;
#elif TF_ISA_LEVEL == TF_ISA_AVX2
constexpr int kW = 8;
constexpr int kTileVecs = 2;
#else
constexpr int kW = 4;
constexpr int kTileVecs = 2;
#endif
typedef float vfw __attribute__((vector_size(4 * kW)));
constexpr int kGroup = 4;                     // query rows per register tile
constexpr int kTileCols = kW * kTileVecs;     // columns per register tile
static_assert(kKeyBlock % kTileCols == 0 && kMaxKeyBlock % kKeyBlock == 0, "key blocks split into whole logit tiles");
static_assert(kGroup == kRowTile, "the scratch holds whole row tiles");

inline vfw loadv(const float* p) {
  vfw v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void storev(float* p, vfw v) { std::memcpy(p, &v, sizeof v); }

typedef int32_t viw __attribute__((vector_size(4 * kW)));

inline vfw splat(float x) {
  vfw v;
  for (int l = 0; l < kW; l++) v[l] = x;
  return v;
}

// Lane l takes lane l ^ w (a butterfly step: log2(kW) of them reduce a vector).
inline viw xor_lanes(int w) {
  viw m;
  for (int l = 0; l < kW; l++) m[l] = l ^ w;
  return m;
}

// x where x > m, else m: NaN never wins a comparison (it is skipped, and surfaces in the sum of
// the probabilities instead).
inline vfw vmax(vfw x, vfw m) { return x > m ? x : m; }

// The last partial vector of x[c0..n) (n - c0 < kW), the missing lanes `fill`. The whole vector is
// read (a probability tile row is a whole number of vectors long) and the lanes past n replaced: a
// lane-by-lane copy through memory stalled the vector load that followed it.
inline vfw load_tail(const float* x, int64_t c0, int64_t n, float fill) {
  viw lane;
  for (int l = 0; l < kW; l++) lane[l] = l;
  const viw live = lane < static_cast<int32_t>(n - c0);
  return live ? loadv(x + c0) : splat(fill);
}

// The largest of m and x[0..n), and the sum of x[0..n) (x a tile row: see load_tail), in vector registers with butterfly
// reductions: the 16-lane array loops before compiled to stack round trips and a serial chain of
// 16 scalar steps per row, which cost more than the row's exps on short rows (a ViT's 65 keys).
inline float row_max(const float* x, int64_t n, float m) {
  vfw acc = splat(m);
  int64_t c = 0;
  for (; c + kW <= n; c += kW) acc = vmax(loadv(x + c), acc);
  if (c < n) acc = vmax(load_tail(x, c, n, kNegInf), acc);
#pragma GCC unroll 8
  for (int w = kW / 2; w >= 1; w /= 2) acc = vmax(__builtin_shuffle(acc, xor_lanes(w)), acc);
  return acc[0];
}

inline float row_sum(const float* x, int64_t n) {
  vfw acc = splat(0.0f);
  int64_t c = 0;
  for (; c + kW <= n; c += kW) acc += loadv(x + c);
  if (c < n) acc += load_tail(x, c, n, 0.0f);
#pragma GCC unroll 8
  for (int w = kW / 2; w >= 1; w /= 2) acc += __builtin_shuffle(acc, xor_lanes(w));
  return acc[0];
}

// ptile rows 0..3, columns [c0, c0 + kW NV) = scale * q_r . k_c from the transposed key block kt:
// the accumulators stay in registers over the D loop, each step NV key vectors times 4 broadcast
// q values.
template <int NV>
inline void logits_cols(const float* const q[kGroup], const float* kt, int64_t D, float scale, int64_t c0, int64_t kb, float* ptile) {
  vfw acc[kGroup][NV] = {};
  for (int64_t d = 0; d < D; d++) {
    const float* kr = kt + d * kb + c0;
    vfw k[NV];
    for (int j = 0; j < NV; j++) k[j] = loadv(kr + kW * j);
    for (int r = 0; r < kGroup; r++) {
      const float qv = q[r][d];
      for (int j = 0; j < NV; j++) acc[r][j] += qv * k[j];
    }
  }
  for (int r = 0; r < kGroup; r++) {
    for (int j = 0; j < NV; j++) storev(ptile + r * kb + c0 + kW * j, acc[r][j] * scale);
  }
}

// ptile rows 0..3 (row r at ptile + r * kb, kb the key block's width) = scale * q_r . k_c for the first `cols` columns
// (rounded up to whole vectors) of the transposed key block kt (zero beyond the block's columns).
// A short block (a sequence of 32 keys, or the 65th key of a ViT) takes single-vector tiles past its
// last whole tile instead of a full one: rounding 1 column up to 64 doubled a 65-token ViT's logits.
inline void logits_tile(const float* const q[kGroup], const float* kt, int64_t D, float scale, int64_t cols, int64_t kb, float* ptile) {
  int64_t c0 = 0;
  for (; c0 + kTileCols <= cols; c0 += kTileCols) logits_cols<kTileVecs>(q, kt, D, scale, c0, kb, ptile);
  for (; c0 < cols; c0 += kW) logits_cols<1>(q, kt, D, scale, c0, kb, ptile);
}

// o rows 0..3 (stride Dv), columns [e0, e0 + kW NV) += sum over keys c < n of p[r][c] v_c, the
// rows' accumulators in registers over the key loop.
template <int NV>
inline void pv_tile(const float* ptile, int64_t kb, const float* V, int64_t vst, int64_t n, float* o, int64_t Dv, int64_t e0) {
  vfw acc[kGroup][NV];
  for (int r = 0; r < kGroup; r++) {
    for (int j = 0; j < NV; j++) acc[r][j] = loadv(o + r * Dv + e0 + kW * j);
  }
  int64_t c = 0;
  if (NV == 1) {
    // One vector per row (a head of 16 or fewer values) leaves 4 accumulators, each waiting on the
    // previous key's multiply-add: odd keys go to a second set, and the two sum at the end.
    vfw acc2[kGroup];
    for (int r = 0; r < kGroup; r++) acc2[r] = splat(0.0f);
    for (; c + 2 <= n; c += 2) {
      const vfw v0 = loadv(V + c * vst + e0);
      const vfw v1 = loadv(V + (c + 1) * vst + e0);
      for (int r = 0; r < kGroup; r++) {
        acc[r][0] += ptile[r * kb + c] * v0;
        acc2[r] += ptile[r * kb + c + 1] * v1;
      }
    }
    for (int r = 0; r < kGroup; r++) acc[r][0] += acc2[r];
  }
  for (; c < n; c++) {
    const float* vr = V + c * vst + e0;
    vfw v[NV];
    for (int j = 0; j < NV; j++) v[j] = loadv(vr + kW * j);
    for (int r = 0; r < kGroup; r++) {
      const float pv = ptile[r * kb + c];
      for (int j = 0; j < NV; j++) acc[r][j] += pv * v[j];
    }
  }
  for (int r = 0; r < kGroup; r++) {
    for (int j = 0; j < NV; j++) storev(o + r * Dv + e0 + kW * j, acc[r][j]);
  }
}

void forward_rows(const SdpaForward& a, int64_t b, int64_t h, int64_t i0, int64_t i1, int64_t kb, float* scratch) {
  const SdpaShape& s = a.s;
  const int64_t D = s.d, Dv = s.dv, rows = i1 - i0;
  const float* Q = s.q.p + b * s.q.sb + h * s.q.sh;
  const float* K = s.k.p + b * s.k.sb + h * s.k.sh;
  const float* V = s.v.p + b * s.v.sb + h * s.v.sh;
  const float* M = s.mask_kind == AttnMask::None ? nullptr : s.mask.p + b * s.mask.sb + h * s.mask.sh;
  // Rows rounded up to whole register tiles (the tiles also run over a short block's padding rows).
  const int64_t orows = (rows + kGroup - 1) / kGroup * kGroup;
  float* kt = scratch;                // [D][kb]: the key block, transposed
  float* ptile = kt + D * kb;         // [orows][kb]: logits, then probabilities
  float* o = ptile + orows * kb;      // [orows][Dv]: unnormalized outputs
  float* mrow = o + orows * Dv;       // [rows]: running max
  float* lrow = mrow + orows;         // [rows]: running sum of exp(logit - max)
  int64_t live[kMaxRowBlock];         // keys of the current block each row takes (0: none)
  for (int64_t r = 0; r < rows; r++) {
    mrow[r] = kNegInf;
    lrow[r] = 0.0f;
  }
  // Every output row is initialized: the register tiles also run over the padding rows of a short
  // last block (their results are never read). The probability tile needs no clearing: logits_tile
  // writes every row of a group (padding rows repeat a real one) for every column later read.
  for (int64_t e = 0; e < orows * Dv; e++) o[e] = 0.0f;

  const int64_t jend = s.causal ? min64(s.tk, i1) : s.tk;
  for (int64_t j0 = 0; j0 < jend; j0 += kb) {
    const int64_t cols = min64(kb, jend - j0);
    // Columns up to the last vector the logit tiles read (the rest of the block is never read).
    const int64_t padded = min64(kb, (cols + kW - 1) / kW * kW);
    for (int64_t d = 0; d < D; d++) {
      float* row = kt + d * kb;
      for (int64_t c = 0; c < cols; c++) row[c] = K[(j0 + c) * s.k.st + d];
      for (int64_t c = cols; c < padded; c++) row[c] = 0.0f;
    }
    for (int64_t g = 0; g < rows; g += kGroup) {
      const float* q[kGroup];
      for (int r = 0; r < kGroup; r++) q[r] = Q + (i0 + (g + r < rows ? g + r : g)) * s.q.st;
      logits_tile(q, kt, D, s.scale, cols, kb, ptile + g * kb);
    }
    for (int64_t r = 0; r < rows; r++) {
      const int64_t i = i0 + r;
      const int64_t n = s.causal ? min64(cols, i - j0 + 1) : cols;
      live[r] = 0;
      if (n <= 0) continue;
      float* srow = ptile + r * kb;
      if (M) {
        const float* mr = M + i * s.mask.st + j0;
        if (s.mask_kind == AttnMask::Additive) {
          for (int64_t c = 0; c < n; c++) srow[c] += mr[c];
        } else {
          for (int64_t c = 0; c < n; c++) srow[c] = mr[c] != 0.0f ? srow[c] : s.masked_value;
        }
      }
      const float mx = row_max(srow, n, mrow[r]);
      if (mx == kNegInf) continue;  // every key so far excluded
      const float corr = fexp_or_zero(mrow[r] - mx);
      for (int64_t c = 0; c < n; c++) srow[c] = fexp_or_zero(srow[c] - mx);
      lrow[r] = lrow[r] * corr + row_sum(srow, n);
      mrow[r] = mx;
      float* orow = o + r * Dv;
      for (int64_t e = 0; e < Dv; e++) orow[e] *= corr;
      live[r] = n;
    }
    // P V per group of rows: keys every row of the group takes go through the register tile; the
    // few a causal group's later rows take beyond that, and columns past the last full vector, go
    // row by row, so an excluded key's value is never touched (0 * NaN would be NaN).
    const int64_t full = Dv - Dv % kW;
    for (int64_t g = 0; g < rows; g += kGroup) {
      int64_t common = cols;
      for (int r = 0; r < kGroup; r++) common = g + r < rows ? min64(common, live[g + r]) : common;
      const float* pt = ptile + g * kb;
      const float* vb = V + j0 * s.v.st;
      float* og = o + g * Dv;
      int64_t e0 = 0;
      for (; e0 + kTileCols <= full; e0 += kTileCols) pv_tile<kTileVecs>(pt, kb, vb, s.v.st, common, og, Dv, e0);
      for (; e0 < full; e0 += kW) pv_tile<1>(pt, kb, vb, s.v.st, common, og, Dv, e0);
      for (int r = 0; r < kGroup && g + r < rows; r++) {
        const float* pr = pt + r * kb;
        float* orow = og + r * Dv;
        // With no tail columns (Dv a multiple of the vector width) the tile already took keys
        // below `common`: start past them rather than walk every key of every row for nothing.
        for (int64_t c = full == Dv ? common : 0; c < live[g + r]; c++) {
          const float* vr = vb + c * s.v.st;
          if (c >= common) {
            axpy(pr[c], vr, orow, full);
          }
          if (full < Dv) axpy(pr[c], vr + full, orow + full, Dv - full);
        }
      }
    }
  }

  const int64_t head = b * s.heads + h;
  for (int64_t r = 0; r < rows; r++) {
    const int64_t i = i0 + r;
    const float inv = 1.0f / lrow[r];
    const float* orow = o + r * Dv;
    float* out = a.out + b * a.out_sb + h * a.out_sh + i * a.out_st;
    for (int64_t e = 0; e < Dv; e++) out[e] = orow[e] * inv;
    a.lse[head * s.tq + i] = mrow[r] + std::log(lrow[r]);
  }
}

// Row by row: the probabilities recomputed from the saved log-sum-exp, then
// dS = P (dP - rowsum(dO o)), dq = scale dS k, dk += scale dSᵀ q, dv += Pᵀ dO. A key replaced by
// masked_value (Keep mask) has a constant logit: it still weighs in dv but passes nothing to q, k.
void backward_head(const SdpaBackward& a, int64_t b, int64_t h) {
  const SdpaShape& s = a.s;
  const int64_t D = s.d, Dv = s.dv;
  const int64_t head = b * s.heads + h;
  const float* Q = s.q.p + b * s.q.sb + h * s.q.sh;
  const float* K = s.k.p + b * s.k.sb + h * s.k.sh;
  const float* V = s.v.p + b * s.v.sb + h * s.v.sh;
  const float* M = s.mask_kind == AttnMask::None ? nullptr : s.mask.p + b * s.mask.sb + h * s.mask.sh;
  const float* dO = a.dout.p + b * a.dout.sb + h * a.dout.sh;
  const float* O = a.out + head * s.tq * Dv;
  const float* lse = a.lse + head * s.tq;
  float* dQ = a.dq + head * s.tq * D;
  float* dK = a.dk + head * s.tk * D;
  float* dV = a.dv + head * s.tk * Dv;
  for (int64_t e = 0; e < s.tk * D; e++) dK[e] = 0.0f;
  for (int64_t e = 0; e < s.tk * Dv; e++) dV[e] = 0.0f;
  for (int64_t i = 0; i < s.tq; i++) {
    const float* qi = Q + i * s.q.st;
    const float* doi = dO + i * a.dout.st;
    const float di = dot(doi, O + i * Dv, Dv);
    const float L = lse[i];
    float* dqi = dQ + i * D;
    for (int64_t d = 0; d < D; d++) dqi[d] = 0.0f;
    const int64_t n = s.causal ? min64(s.tk, i + 1) : s.tk;
    const float* mr = M ? M + i * s.mask.st : nullptr;
    for (int64_t j = 0; j < n; j++) {
      const float* kj = K + j * s.k.st;
      float logit = s.scale * dot(qi, kj, D);
      bool live = true;
      if (mr) {
        if (s.mask_kind == AttnMask::Additive) {
          logit += mr[j];
        } else if (mr[j] == 0.0f) {
          logit = s.masked_value;
          live = false;
        }
      }
      const float p = fexp_or_zero(logit - L);
      axpy(p, doi, dV + j * Dv, Dv);
      if (!live) continue;
      const float ds = p * (dot(doi, V + j * s.v.st, Dv) - di) * s.scale;
      axpy(ds, kj, dqi, D);
      axpy(ds, qi, dK + j * D, D);
    }
  }
}

const Kernels kTable{forward_rows, backward_head};

}  // namespace

const Kernels& table() { return kTable; }

}  // namespace tf::kernels::attention_detail::TF_ISA_NS
