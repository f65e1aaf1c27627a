// Body of the grouped convolution kernels (see grouped.h), compiled once per ISA with
// GROUPED_VEC_BYTES the level's register width. A block of P output pixels x 16 (or 8) output
// channels is P * (16 / L) (or P) accumulators; per filter row (one tap, one input channel) the
// kernel loads the block's weights once and broadcasts each pixel's input once.
#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "kernels/common/isa.h"
#include "kernels/conv/grouped.h"

#if TF_ISA_LEVEL == TF_ISA_AVX512
#define GROUPED_VEC_BYTES 64
#elif TF_ISA_LEVEL == TF_ISA_AVX2
#define GROUPED_VEC_BYTES 32
#else
#define GROUPED_VEC_BYTES 16
#endif

namespace tf::kernels::grouped_detail::TF_ISA_NS {
namespace {

constexpr int L = GROUPED_VEC_BYTES / 4;

// A block's output channels: 16 (RegNetX, ResNeXt), 8 (RegNetY's 8-wide groups) or 4
// (ResNeXt-50 32x4d's first stage), as OC / W vectors of W lanes: the ISA's width for 16 channels,
// OC lanes below (a ymm or xmm under AVX-512; GCC splits 8 lanes into two xmm under SSE2).
template <int OC>
struct Out {
  static constexpr int W = OC < 16 ? OC : L;
  static constexpr int V = OC / W;
  typedef float vec __attribute__((vector_size(4 * W)));
  typedef float uvec __attribute__((vector_size(4 * W), aligned(4), may_alias));
  // Pixels per block: the P * V accumulators, the V weight vectors of a filter row and the
  // broadcast must fit the register file. 8 x 16 channels is 8 of 32 zmm; for AVX2, 8 pixels
  // would be all 16 ymm as accumulators and the kernel spilled on every multiply-add (regnet's
  // 16-channel groups ran at half onnxruntime's speed), so 6 pixels (12 + 2 + 1); SSE's 16 xmm
  // take 2 pixels (8 + 4 + 1). 8 channels: one vector per pixel, 12 pixels (12 + 1 + 1 ymm), 6
  // under SSE2 (12 + 2 + 1 xmm); 4 channels (ResNeXt's first stage): 12 pixels of one xmm each.
  static constexpr int P = OC == 4 ? 12 : OC == 8 ? (L >= 8 ? 12 : 6) : (L >= 16 ? 8 : L == 8 ? 6 : 2);
  // Through a reference: a returned 32-byte vector changes the ABI under SSE2 (-Wpsabi).
  static void load(vec& v, const float* p) { v = *reinterpret_cast<const uvec*>(p); }
  static void store(float* p, vec v) { *reinterpret_cast<uvec*>(p) = v; }
};

// Read in place of an input pixel that lies in the padding.
alignas(64) const float kZeros[kMaxGroupChannels] = {};

// The accumulators of NP pixels x OC output channels from o0, started at the bias (or 0).
template <int OC, int NP>
inline void init_acc(typename Out<OC>::vec (&acc)[NP][Out<OC>::V], const float* bias, int64_t o0) {
  using O = Out<OC>;
  const typename O::vec zero = {};
  for (int v = 0; v < O::V; v++) {
    typename O::vec init = zero;
    if (bias) O::load(init, bias + o0 + O::W * v);
    for (int p = 0; p < NP; p++) acc[p][v] = init;
  }
}

// Their store to NP pixels `ld` floats apart from out, through ReLU when asked.
template <int OC, int NP>
inline void store_acc(typename Out<OC>::vec (&acc)[NP][Out<OC>::V], bool relu, float* out, int64_t ld) {
  using O = Out<OC>;
  const typename O::vec zero = {};
  for (int p = 0; p < NP; p++) {
    for (int v = 0; v < O::V; v++) {
      typename O::vec a = acc[p][v];
      if (relu) a = a < zero ? zero : a;  // keeps NaN, as the GEMM's store does
      O::store(out + p * ld + O::W * v, a);
    }
  }
}

// np <= P output pixels ox0 .. ox0 + np of row oy, output channels [o0, o0 + OC) of group g.
template <int OC, int NP, int CG>
inline void block(const ConvShape& s, const float* xn, const float* w, const float* bias, bool relu, int64_t oy,
                  int64_t ox0, int64_t g, int64_t o0, float* yrow) {
  using O = Out<OC>;
  constexpr int V = O::V;
  const int64_t cg = CG > 0 ? CG : s.c / s.groups;
  typename O::vec acc[NP][V];
  init_acc<OC, NP>(acc, bias, o0);
  const float* xp[NP];
  for (int64_t i = 0; i < s.kh; i++) {
    const int64_t iy = oy * s.sh - s.pad_top + i * s.dh;
    const bool row_in = iy >= 0 && iy < s.h;
    for (int64_t j = 0; j < s.kw; j++) {
      for (int p = 0; p < NP; p++) {
        const int64_t ix = (ox0 + p) * s.sw - s.pad_left + j * s.dw;
        xp[p] = row_in && ix >= 0 && ix < s.w ? xn + (iy * s.w + ix) * s.c + g * cg : kZeros;
      }
      const float* wt = w + (i * s.kw + j) * cg * s.cout + o0;
      for (int64_t ci = 0; ci < cg; ci++) {
        const float* wr = wt + ci * s.cout;
        typename O::vec wv[V];
        for (int v = 0; v < V; v++) O::load(wv[v], wr + O::W * v);
        for (int p = 0; p < NP; p++) {
          const float xv = xp[p][ci];
          for (int v = 0; v < V; v++) acc[p][v] += xv * wv[v];
        }
      }
    }
  }
  store_acc<OC, NP>(acc, relu, yrow + ox0 * s.cout + o0, s.cout);
}

// block() for pixels whose whole window lies inside the image: no per-tap, per-pixel bounds
// tests and pointer selects (a quarter of the instructions of a 16-channel group's block), the
// pixels a fixed step apart from one base, and CG (Cin/groups) a compile-time count when it is 16
// (RegNet's groups) so the channel loop unrolls.
template <int OC, int NP, int CG>
inline void block_inside(const ConvShape& s, const float* xn, const float* w, const float* bias, bool relu, int64_t oy,
                         int64_t ox0, int64_t g, int64_t o0, float* yrow) {
  using O = Out<OC>;
  constexpr int V = O::V;
  const int64_t cg = CG > 0 ? CG : s.c / s.groups;
  typename O::vec acc[NP][V];
  init_acc<OC, NP>(acc, bias, o0);
  const int64_t step = s.sw * s.c;
  const float* x0 = xn + ((oy * s.sh - s.pad_top) * s.w + ox0 * s.sw - s.pad_left) * s.c + g * cg;
  for (int64_t i = 0; i < s.kh; i++) {
    for (int64_t j = 0; j < s.kw; j++) {
      const float* xt = x0 + (i * s.dh * s.w + j * s.dw) * s.c;
      const float* wt = w + (i * s.kw + j) * cg * s.cout + o0;
      for (int64_t ci = 0; ci < cg; ci++) {
        const float* wr = wt + ci * s.cout;
        typename O::vec wv[V];
        for (int v = 0; v < V; v++) O::load(wv[v], wr + O::W * v);
        for (int p = 0; p < NP; p++) {
          const float xv = xt[p * step + ci];
          for (int v = 0; v < V; v++) acc[p][v] += xv * wv[v];
        }
      }
    }
  }
  store_acc<OC, NP>(acc, relu, yrow + ox0 * s.cout + o0, s.cout);
}

// One block of NP pixels from ox: without bounds tests when its windows are all inside; with the
// channel loop unrolled when the groups are as wide in as out (RegNetX's 16, RegNetY's 8, the first
// ResNeXt stage's 4). Other input widths share the rolled form, which keeps the binary small.
template <int OC, int NP>
inline void any_block(const ConvShape& s, const float* xn, const float* w, const float* bias, bool relu, int64_t oy,
                      int64_t ox, int64_t g, int64_t o0, float* yrow, bool inside, bool cg_is_oc) {
  if (!inside) {
    if (cg_is_oc) block<OC, NP, OC>(s, xn, w, bias, relu, oy, ox, g, o0, yrow);
    else block<OC, NP, 0>(s, xn, w, bias, relu, oy, ox, g, o0, yrow);
  } else if (cg_is_oc) {
    block_inside<OC, NP, OC>(s, xn, w, bias, relu, oy, ox, g, o0, yrow);
  } else {
    block_inside<OC, NP, 0>(s, xn, w, bias, relu, oy, ox, g, o0, yrow);
  }
}

template <int N>
using Pixels = std::integral_constant<int, N>;

// f(Pixels<n>{}) for the n < P pixels left at the end of a row (nothing for n == 0).
template <class F, int... N>
inline void tail_block(int64_t n, F&& f, std::integer_sequence<int, N...>) {
  (void)((n == N + 1 && (f(Pixels<N + 1>{}), true)) || ...);
}
template <int P, class F>
inline void tail_block(int64_t n, F&& f) {
  tail_block(n, f, std::make_integer_sequence<int, P - 1>{});
}

template <int OC>
void forward_row_oc(const ConvShape& s, const float* xn, const float* w, const float* bias, bool relu, int64_t oy,
                    float* yrow) {
  constexpr int P = Out<OC>::P;
  const int64_t og = s.cout / s.groups;
  const int64_t cg = s.c / s.groups;
  const bool cg_is_oc = cg == OC;
  // Output columns [in_lo, in_hi) have their whole window inside the image's columns (and rows,
  // when every tap row of oy is inside). Blocks stay P wide from column 0 even so: a block's
  // multiply-add chains are as long whatever its width, so a border pixel split off into a block
  // of its own would cost as much as a whole block.
  const int64_t iy0 = oy * s.sh - s.pad_top;
  const bool row_inside = iy0 >= 0 && iy0 + (s.kh - 1) * s.dh < s.h;
  const int64_t in_lo = (s.pad_left + s.sw - 1) / s.sw;
  const int64_t last = s.w - 1 - (s.kw - 1) * s.dw + s.pad_left;  // largest ox * sw whose window fits
  const int64_t in_hi = row_inside && last >= 0 ? last / s.sw + 1 : 0;
  // The input rows the next output row adds, fetched into L2 a slice per block while this row
  // computes: each group reads a pixel's channels of its own, so a 16-channel group walks its rows a
  // line per pixel, 4 * C bytes apart (stride 2 at C = 32: one line in four), which the hardware
  // prefetchers follow poorly from L3 (regnet's first grouped conv ran ~1.8x slower per image at
  // batch 8 than at batch 1, where the input stays in L2).
  const int64_t in_row = s.w * s.c;
  const int64_t next_lo = std::max<int64_t>(0, std::max(iy0 + (s.kh - 1) * s.dh + 1, iy0 + s.sh));
  const int64_t next_hi = std::min<int64_t>(s.h, iy0 + s.sh + (s.kh - 1) * s.dh + 1);
  const char* pf = reinterpret_cast<const char*>(xn + next_lo * in_row);
  const int64_t pf_bytes = next_hi > next_lo ? (next_hi - next_lo) * in_row * static_cast<int64_t>(sizeof(float)) : 0;
  const int64_t blocks = s.groups * ((og + OC - 1) / OC) * ((s.ow + P - 1) / P);
  const int64_t pf_slice = (pf_bytes / std::max<int64_t>(1, blocks) + 64) & ~int64_t{63};
  int64_t pf_done = 0;
  auto prefetch_slice = [&] {
    for (const int64_t end = std::min(pf_bytes, pf_done + pf_slice); pf_done < end; pf_done += 64)
      __builtin_prefetch(pf + pf_done, 0, 2);
  };
  for (int64_t g = 0; g < s.groups; g++) {
    for (int64_t o0 = g * og; o0 < (g + 1) * og; o0 += OC) {
      int64_t ox = 0;
      for (; ox + P <= s.ow; ox += P) {
        prefetch_slice();
        any_block<OC, P>(s, xn, w, bias, relu, oy, ox, g, o0, yrow, ox >= in_lo && ox + P <= in_hi, cg_is_oc);
      }
      prefetch_slice();
      // The last ow % P pixels as one narrower block (a 7-wide row is all tail).
      const bool inside = ox >= in_lo && s.ow <= in_hi;
      tail_block<P>(s.ow - ox, [&](auto pixels) {
        any_block<OC, decltype(pixels)::value>(s, xn, w, bias, relu, oy, ox, g, o0, yrow, inside, cg_is_oc);
      });
    }
  }
}

void forward_row(const ConvShape& s, const float* xn, const float* w, const float* bias, bool relu, int64_t oy,
                 float* yrow) {
  const int64_t og = s.cout / s.groups;
  if (og % 16 == 0) forward_row_oc<16>(s, xn, w, bias, relu, oy, yrow);
  else if (og % 8 == 0) forward_row_oc<8>(s, xn, w, bias, relu, oy, yrow);
  else forward_row_oc<4>(s, xn, w, bias, relu, oy, yrow);
}

}  // namespace

const GroupedKernels& table() {
  static const GroupedKernels k{forward_row};
  return k;
}

}  // namespace tf::kernels::grouped_detail::TF_ISA_NS
