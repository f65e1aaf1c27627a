// Body of the grouped convolution kernels (see grouped.h), compiled once per ISA with
// GROUPED_VEC_BYTES the level's register width. A block of P output pixels x 16 output channels
// is P * (16 / L) accumulators; per filter row (one tap, one input channel) the kernel loads the
// 16 weights once and broadcasts each pixel's input once.
#include <algorithm>
#include <cstdint>

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

typedef float vf __attribute__((vector_size(GROUPED_VEC_BYTES)));
typedef float vfu __attribute__((vector_size(GROUPED_VEC_BYTES), aligned(4), may_alias));
constexpr int L = GROUPED_VEC_BYTES / 4;
constexpr int V = 16 / L;  // registers per 16 output channels
// Pixels per block: 8 x 16 channels is 8 AVX-512 or 16 AVX2 accumulators.
constexpr int P = 8;
inline vf loadv(const float* p) { return *reinterpret_cast<const vfu*>(p); }
inline void storev(float* p, vf v) { *reinterpret_cast<vfu*>(p) = v; }

// Read in place of an input pixel that lies in the padding.
alignas(64) const float kZeros[kMaxGroupChannels] = {};

// The accumulators of NP pixels x 16 output channels from o0, started at the bias (or 0).
template <int NP>
inline void init_acc(vf (&acc)[NP][V], const float* bias, int64_t o0) {
  const vf zero = {};
  for (int v = 0; v < V; v++) {
    const vf init = bias ? loadv(bias + o0 + L * v) : zero;
    for (int p = 0; p < NP; p++) acc[p][v] = init;
  }
}

// Their store to NP pixels `ld` floats apart from out, through ReLU when asked.
template <int NP>
inline void store_acc(vf (&acc)[NP][V], bool relu, float* out, int64_t ld) {
  const vf zero = {};
  for (int p = 0; p < NP; p++) {
    for (int v = 0; v < V; v++) {
      vf a = acc[p][v];
      if (relu) a = a < zero ? zero : a;  // keeps NaN, as the GEMM's store does
      storev(out + p * ld + L * v, a);
    }
  }
}

// np <= P output pixels ox0 .. ox0 + np of row oy, output channels [o0, o0 + 16) of group g.
template <int NP, int CG>
inline void block(const ConvShape& s, const float* xn, const float* w, const float* bias, bool relu, int64_t oy,
                  int64_t ox0, int64_t g, int64_t o0, float* yrow) {
  const int64_t cg = CG > 0 ? CG : s.c / s.groups;
  vf acc[NP][V];
  init_acc<NP>(acc, bias, o0);
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
        vf wv[V];
        for (int v = 0; v < V; v++) wv[v] = loadv(wr + L * v);
        for (int p = 0; p < NP; p++) {
          const float xv = xp[p][ci];
          for (int v = 0; v < V; v++) acc[p][v] += xv * wv[v];
        }
      }
    }
  }
  store_acc<NP>(acc, relu, yrow + ox0 * s.cout + o0, s.cout);
}

// block() for pixels whose whole window lies inside the image: no per-tap, per-pixel bounds
// tests and pointer selects (a quarter of the instructions of a 16-channel group's block), the
// pixels a fixed step apart from one base, and CG (Cin/groups) a compile-time count when it is 16
// (RegNet's groups) so the channel loop unrolls.
template <int NP, int CG>
inline void block_inside(const ConvShape& s, const float* xn, const float* w, const float* bias, bool relu, int64_t oy,
                         int64_t ox0, int64_t g, int64_t o0, float* yrow) {
  const int64_t cg = CG > 0 ? CG : s.c / s.groups;
  vf acc[NP][V];
  init_acc<NP>(acc, bias, o0);
  const int64_t step = s.sw * s.c;
  const float* x0 = xn + ((oy * s.sh - s.pad_top) * s.w + ox0 * s.sw - s.pad_left) * s.c + g * cg;
  for (int64_t i = 0; i < s.kh; i++) {
    for (int64_t j = 0; j < s.kw; j++) {
      const float* xt = x0 + (i * s.dh * s.w + j * s.dw) * s.c;
      const float* wt = w + (i * s.kw + j) * cg * s.cout + o0;
      for (int64_t ci = 0; ci < cg; ci++) {
        const float* wr = wt + ci * s.cout;
        vf wv[V];
        for (int v = 0; v < V; v++) wv[v] = loadv(wr + L * v);
        for (int p = 0; p < NP; p++) {
          const float xv = xt[p * step + ci];
          for (int v = 0; v < V; v++) acc[p][v] += xv * wv[v];
        }
      }
    }
  }
  store_acc<NP>(acc, relu, yrow + ox0 * s.cout + o0, s.cout);
}

// One block of NP pixels from ox: without bounds tests when its windows are all inside.
template <int NP>
inline void any_block(const ConvShape& s, const float* xn, const float* w, const float* bias, bool relu, int64_t oy,
                      int64_t ox, int64_t g, int64_t o0, float* yrow, bool inside, bool cg16) {
  if (!inside) {
    if (cg16) block<NP, 16>(s, xn, w, bias, relu, oy, ox, g, o0, yrow);
    else block<NP, 0>(s, xn, w, bias, relu, oy, ox, g, o0, yrow);
  } else if (cg16) block_inside<NP, 16>(s, xn, w, bias, relu, oy, ox, g, o0, yrow);
  else block_inside<NP, 0>(s, xn, w, bias, relu, oy, ox, g, o0, yrow);
}

void forward_row(const ConvShape& s, const float* xn, const float* w, const float* bias, bool relu, int64_t oy,
                 float* yrow) {
  const int64_t og = s.cout / s.groups;
  const bool cg16 = s.c / s.groups == 16;
  // Output columns [in_lo, in_hi) have their whole window inside the image's columns (and rows,
  // when every tap row of oy is inside). Blocks stay P wide from column 0 even so: a block's
  // multiply-add chains are as long whatever its width, so a border pixel split off into a block
  // of its own would cost as much as a whole block.
  const int64_t iy0 = oy * s.sh - s.pad_top;
  const bool row_inside = iy0 >= 0 && iy0 + (s.kh - 1) * s.dh < s.h;
  const int64_t in_lo = (s.pad_left + s.sw - 1) / s.sw;
  const int64_t last = s.w - 1 - (s.kw - 1) * s.dw + s.pad_left;  // largest ox * sw whose window fits
  const int64_t in_hi = row_inside && last >= 0 ? last / s.sw + 1 : 0;
  for (int64_t g = 0; g < s.groups; g++) {
    for (int64_t o0 = g * og; o0 < (g + 1) * og; o0 += 16) {
      int64_t ox = 0;
      for (; ox + P <= s.ow; ox += P) any_block<P>(s, xn, w, bias, relu, oy, ox, g, o0, yrow, ox >= in_lo && ox + P <= in_hi, cg16);
      // The last ow % P pixels as one narrower block (a 7-wide row is all tail).
      const bool inside = ox >= in_lo && s.ow <= in_hi;
      switch (s.ow - ox) {
        case 7: any_block<7>(s, xn, w, bias, relu, oy, ox, g, o0, yrow, inside, cg16); break;
        case 6: any_block<6>(s, xn, w, bias, relu, oy, ox, g, o0, yrow, inside, cg16); break;
        case 5: any_block<5>(s, xn, w, bias, relu, oy, ox, g, o0, yrow, inside, cg16); break;
        case 4: any_block<4>(s, xn, w, bias, relu, oy, ox, g, o0, yrow, inside, cg16); break;
        case 3: any_block<3>(s, xn, w, bias, relu, oy, ox, g, o0, yrow, inside, cg16); break;
        case 2: any_block<2>(s, xn, w, bias, relu, oy, ox, g, o0, yrow, inside, cg16); break;
        case 1: any_block<1>(s, xn, w, bias, relu, oy, ox, g, o0, yrow, inside, cg16); break;
        default: break;
      }
    }
  }
}

}  // namespace

const GroupedKernels& table() {
  static const GroupedKernels k{forward_row};
  return k;
}

}  // namespace tf::kernels::grouped_detail::TF_ISA_NS
