// Convolution through im2col + sgemm, except depthwise convolutions (groups == C > 1, the kernels
// of depthwise.h) and ungrouped convolutions with a small reduction depth
// k = kh * kw * Cin <= 32 (a CNN's first layer), which run the direct kernels of conv_direct.h for
// the forward, the filter gradient and (Cin == 1, cout % 16 == 0) the input gradient. Work is split into (image, group, tile of output pixels)
// tasks run by parallel_for; the sgemm calls inside a task run on that thread (nested
// parallel_for runs inline). Column buffers are thread_local and only grow, so steady-state
// calls do not allocate.
#include "kernels/conv/conv.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/common/cpu_features.h"
#include "kernels/common/thread_pool.h"
#include "kernels/conv/conv_direct.h"
#include "kernels/conv/grouped.h"
#include "kernels/conv/depthwise.h"
#include "kernels/gemm/gemm.h"

namespace tf::kernels {

namespace {

// Small-k, ungrouped convolutions skip the GEMM (the backward passes keep the pointwise case, which
// reads x in place, on the GEMM).
bool use_direct(const ConvShape& s) {
  const int64_t k = s.kh * s.kw * s.c;
  return s.groups == 1 && k > 0 && k <= conv_detail::kDirectMaxK &&
         !(s.kh == 1 && s.kw == 1 && s.sh == 1 && s.sw == 1 && s.pad_top == 0 && s.pad_left == 0 &&
           s.oh == s.h && s.ow == s.w);
}

// The forward also runs pointwise convolutions with Cin <= kDirectMaxK through the direct kernel:
// at depth 16-24 the GEMM's packing and short k loops cost more than the products (mobilenet and
// efficientnet expansions 16 -> 96 and 24 -> 144 at 112x112 and 56x56: 0.52 -> 0.40 ms and
// 0.30 -> 0.25 ms per image on an AMD EPYC Zen 4).
bool use_direct_forward(const ConvShape& s) {
  return use_direct(s) || (s.groups == 1 && s.c > 0 && s.c <= conv_detail::kDirectMaxK && s.kh == 1 && s.kw == 1 &&
                           s.sh == 1 && s.sw == 1 && s.pad_top == 0 && s.pad_left == 0 && s.oh == s.h && s.ow == s.w);
}

const conv_detail::DirectKernels& direct_kernels() { return conv_detail::active_table(); }

// Target size of one im2col tile (floats): about 256 KiB, so a tile stays in L2 while sgemm reads it.
constexpr int64_t kTileFloats = 64 * 1024;
// Fewest rows of a forward GEMM over the batch's flattened rows (deep filters only, see conv2d_forward).
constexpr int64_t kFlatMinRows = 128;
// Most rows (pixels over the batch) of a pointwise convolution run as one-segment sgemm_segmented
// panels: their A (at most 256 rows of the filter's depth) stays in L2 while every panel passes.
constexpr int64_t kSegmentedMaxRows = 256;
// Batch-1 pointwise convs whose packed filter is under this many bytes split their pixels between
// threads rather than their output channels (see conv2d_forward).
constexpr int64_t kRowSplitMaxBBytes = int64_t{1} << 20;

float* scratch(std::vector<float>& buf, int64_t n) {
  if (static_cast<int64_t>(buf.size()) < n) buf.resize(static_cast<size_t>(n));
  return buf.data();
}

thread_local std::vector<float> t_cols;
// 1x1 convolutions to at most this many channels run transposed (see conv2d_forward), over
// blocks of this many pixels.
constexpr int64_t kNarrowCout = 4;
constexpr int64_t kNarrowBlock = 1024;
thread_local std::vector<float> t_partials;

int64_t tile_rows(int64_t k, int64_t m) {
  int64_t rows = std::max<int64_t>(16, kTileFloats / std::max<int64_t>(k, 1));
  return std::min(rows, std::max<int64_t>(m, 1));
}

// Fills cols[r, (i*kw + j)*cg + ci] for output pixels p0 .. p0 + rows of one image and one group.
void im2col(const ConvShape& s, const float* xn, int64_t c0, int64_t cg, int64_t p0, int64_t rows, float* cols) {
  const int64_t k = s.kh * s.kw * cg;
  for (int64_t r = 0; r < rows; r++) {
    const int64_t p = p0 + r;
    const int64_t oy = p / s.ow, ox = p % s.ow;
    float* dst = cols + r * k;
    for (int64_t i = 0; i < s.kh; i++) {
      const int64_t iy = oy * s.sh - s.pad_top + i * s.dh;
      if (iy < 0 || iy >= s.h) {
        std::memset(dst, 0, sizeof(float) * static_cast<size_t>(s.kw * cg));
        dst += s.kw * cg;
        continue;
      }
      const float* row = xn + iy * s.w * s.c + c0;
      const int64_t ix0 = ox * s.sw - s.pad_left;
      if (s.dw == 1 && cg == s.c && ix0 >= 0 && ix0 + s.kw <= s.w) {
        // Ungrouped, undilated and inside the row: the kw taps are kw adjacent pixels, one run of
        // kw * c floats (a 7x7 RGB stem: 21 floats per copy instead of seven copies of 3).
        std::memcpy(dst, row + ix0 * s.c, sizeof(float) * static_cast<size_t>(s.kw * cg));
        dst += s.kw * cg;
        continue;
      }
      for (int64_t j = 0; j < s.kw; j++) {
        const int64_t ix = ox * s.sw - s.pad_left + j * s.dw;
        if (ix < 0 || ix >= s.w) {
          std::memset(dst, 0, sizeof(float) * static_cast<size_t>(cg));
        } else {
          std::memcpy(dst, row + ix * s.c, sizeof(float) * static_cast<size_t>(cg));
        }
        dst += cg;
      }
    }
  }
}

// dxn[...] += cols scattered back (the adjoint of im2col); padded taps are dropped.
void col2im(const ConvShape& s, const float* cols, int64_t c0, int64_t cg, int64_t p0, int64_t rows, float* dxn) {
  for (int64_t r = 0; r < rows; r++) {
    const int64_t p = p0 + r;
    const int64_t oy = p / s.ow, ox = p % s.ow;
    const float* src = cols + r * s.kh * s.kw * cg;
    for (int64_t i = 0; i < s.kh; i++) {
      const int64_t iy = oy * s.sh - s.pad_top + i * s.dh;
      if (iy < 0 || iy >= s.h) {
        src += s.kw * cg;
        continue;
      }
      float* row = dxn + iy * s.w * s.c + c0;
      for (int64_t j = 0; j < s.kw; j++) {
        const int64_t ix = ox * s.sw - s.pad_left + j * s.dw;
        if (ix >= 0 && ix < s.w) {
          float* d = row + ix * s.c;
          for (int64_t ci = 0; ci < cg; ci++) d[ci] += src[ci];
        }
        src += cg;
      }
    }
  }
}

// im2col over rows [r0, r0 + rows) of the batch's flattened (image, output pixel) index, which
// may cross images; ungrouped (cg = c). Rows split over the pool.
void im2col_flat(const ConvShape& s, const float* x, int64_t r0, int64_t rows, float* cols) {
  const int64_t m = s.oh * s.ow, k = s.kh * s.kw * s.c;
  parallel_for_balanced(rows, std::max<int64_t>(1, 4096 / std::max<int64_t>(k, 1)), [&](int64_t b, int64_t e) {
    int64_t r = b;
    while (r < e) {
      const int64_t flat = r0 + r, n = flat / m, p = flat % m;
      const int64_t cnt = std::min(e - r, m - p);
      im2col(s, x + n * s.h * s.w * s.c, 0, s.c, p, cnt, cols + r * k);
      r += cnt;
    }
  });
}

// dx += cols scattered back over rows [r0, r0 + rows) of the flattened index (ungrouped). Rows of
// one image overlap in dx, so the work splits over channel slices instead: no two threads touch
// the same element.
void col2im_flat(const ConvShape& s, const float* cols, int64_t r0, int64_t rows, float* dx) {
  const int64_t m = s.oh * s.ow, k = s.kh * s.kw * s.c;
  if ((s.kh - 1) * s.dh < s.sh && (s.kw - 1) * s.dw < s.sw) {
    // Taps of different rows never meet (a stride covering the kernel: the 2x2 stride-2 transposed
    // convolutions of a U-Net's decoder), so rows split like independent work and each element of
    // dx still gets its one sum in the same order. Channel slices left a 16-channel layer on one
    // thread.
    parallel_for_balanced(rows, std::max<int64_t>(1, 8192 / std::max<int64_t>(k, 1)), [&](int64_t b, int64_t e) {
      int64_t r = b;
      while (r < e) {
        const int64_t flat = r0 + r, n = flat / m, p = flat % m;
        const int64_t cnt = std::min(e - r, m - p);
        col2im(s, cols + r * k, 0, s.c, p, cnt, dx + n * s.h * s.w * s.c);
        r += cnt;
      }
    });
    return;
  }
  const int64_t slices = std::max<int64_t>(1, std::min<int64_t>(s.c / 16, 4 * num_threads()));
  parallel_for_balanced(slices, 1, [&](int64_t b, int64_t e) {
    const int64_t c0 = s.c * b / slices, c1 = s.c * e / slices, width = c1 - c0;
    for (int64_t r = 0; r < rows; r++) {
      const int64_t flat = r0 + r, n = flat / m, p = flat % m;
      const int64_t oy = p / s.ow, ox = p % s.ow;
      float* dxn = dx + n * s.h * s.w * s.c + c0;
      const float* src = cols + r * k + c0;
      for (int64_t i = 0; i < s.kh; i++) {
        const int64_t iy = oy * s.sh - s.pad_top + i * s.dh;
        if (iy < 0 || iy >= s.h) {
          src += s.kw * s.c;
          continue;
        }
        for (int64_t j = 0; j < s.kw; j++) {
          const int64_t ix = ox * s.sw - s.pad_left + j * s.dw;
          if (ix >= 0 && ix < s.w) {
            float* d = dxn + (iy * s.w + ix) * s.c;
            for (int64_t ci = 0; ci < width; ci++) d[ci] += src[ci];
          }
          src += s.c;
        }
      }
    }
  });
}

// Rows of one gradient GEMM chunk: deep enough that the GEMM's packing of the other operand (the
// filter, or dw's accumulation) is paid once per many rows, at most ~4 MiB of columns.
constexpr int64_t kGradColFloats = 1 << 20;
// Ungrouped filter gradients over at least 2 * kFilterGradPartRows rows split them into at most
// kFilterGradMaxParts fixed parts, while the extra copies of dw stay under kFilterGradPartialBytes.
constexpr int64_t kFilterGradPartRows = 2048;
constexpr int64_t kFilterGradMaxParts = 8;
constexpr int64_t kFilterGradPartialBytes = int64_t{4} << 20;

int64_t grad_chunk_rows(int64_t k, int64_t total) {
  return std::min(total, std::max<int64_t>(256, kGradColFloats / std::max<int64_t>(k, 1)));
}

// 1x1 stride-1 unpadded convolutions read x directly as the GEMM operand.
bool is_pointwise(const ConvShape& s) {
  return s.kh == 1 && s.kw == 1 && s.sh == 1 && s.sw == 1 && s.pad_top == 0 && s.pad_left == 0 &&
         s.oh == s.h && s.ow == s.w;
}

// The rest of the epilogue on rows x cols of y (row stride ld; the residual has y's layout):
// y += residual, then the activation, on data the tile's kernel has just written.
void finish_tile(const ConvEpilogue& ep, float* y, int64_t ld, const float* res, int64_t rows, int64_t cols) {
  auto one = [&](float* yr, const float* rr, int64_t len) {
    if (rr) {
      for (int64_t i = 0; i < len; i++) yr[i] += rr[i];
    }
    if (ep.has_activation) unary(ep.activation, yr, yr, len, ep.p0, ep.p1);
  };
  if (ld == cols) {
    one(y, res, rows * cols);
    return;
  }
  for (int64_t r = 0; r < rows; r++) one(y + r * ld, res ? res + r * ld : nullptr, cols);
}

// finish_tile as the GEMM's block epilogue: each mc x nc block of the tile's C gets its residual
// and activation right after its last k panel is stored, while it is still in L1/L2. Applied to a
// whole tile after sgemm returned, the epilogue re-read a tile of up to 4096 rows from L3 or
// memory (a 1x1 conv 16 -> 96 at 112x112 writes 1.5 MB per tile): efficientnet_b0's SiLU
// expansions at batch 8 took twice ORT's conv + activation.
struct TileEpilogue {
  const ConvEpilogue* ep;
  const float* residual;  // at the tile's element (0, 0), row stride ld; or null
  int64_t ld;
};
void tile_block(const void* ctx, float* c, int64_t ldc, int64_t i0, int64_t j0, int64_t rows, int64_t cols) {
  const TileEpilogue& t = *static_cast<const TileEpilogue*>(ctx);
  finish_tile(*t.ep, c, ldc, t.residual ? t.residual + i0 * t.ld + j0 : nullptr, rows, cols);
}

// Relu with no residual goes into the kernels' own store; anything else runs in finish_tile.
bool store_relu(const ConvEpilogue& ep) { return ep.has_activation && ep.activation == UnaryOp::Relu && !ep.residual; }
bool needs_finish(const ConvEpilogue& ep) { return ep.residual || (ep.has_activation && !store_relu(ep)); }
// A residual with no activation or relu after it: the GEMM tiles add it (and the relu) in their store
// (GemmEpilogue/TileStore::residual), so the output is written once instead of finished in a
// second pass; other activations still run in finish_tile after the add.
bool store_residual(const ConvEpilogue& ep) {
  return ep.residual != nullptr && (!ep.has_activation || ep.activation == UnaryOp::Relu);
}


// One input channel per group (groups == C > 1): the depthwise kernels of depthwise.h.
bool is_depthwise(const ConvShape& s) { return s.groups > 1 && s.c == s.groups; }

const depthwise_detail::DepthwiseKernels& depthwise_kernels() { return depthwise_detail::active_table(); }

// The depthwise shape after repeating each input channel m = cout / c times: multiplier 1 over
// cout channels (output channel c * m + j reads input channel c, which is repeat channel c * m + j).
ConvShape repeated_shape(const ConvShape& s) {
  ConvShape r = s;
  r.c = s.cout;
  r.groups = s.cout;
  return r;
}

// x with each channel repeated m times ([n, h, w, c * m]), or x itself when m == 1.
const float* repeat_channels(const ConvShape& s, const float* x, std::vector<float>& buf) {
  const int64_t m = s.cout / s.c;
  if (m == 1) return x;
  const int64_t pixels = s.n * s.h * s.w;
  buf.resize(static_cast<size_t>(pixels * s.cout));
  float* out = buf.data();
  parallel_for_balanced(pixels, 4096, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; p++)
      for (int64_t ch = 0; ch < s.c; ch++)
        for (int64_t j = 0; j < m; j++) out[p * s.cout + ch * m + j] = x[p * s.c + ch];
  });
  return out;
}

// Rows per output tile of the forward tile loop: `rows` (tile_rows), unless the convolution has
// only a few tasks (per = images x groups; a batch-1 layer of a small network). Then the tiles are
// evened out and their number per (image, group) raised so the task count is a multiple of the
// thread count: 196 output pixels at 128 rows per tile ran as a 128-row and a 68-row task, one
// thread idle for a third of the layer; now two of 98. Each output element is the same GEMM sum.
// inner_splits: the task's own kernel (the GEMM) splits a lone task over the pool; the direct
// kernels do not, so a batch-1 layer that fits one tile (mobilenet_v3's 1x1 16 -> 72 at 56x56, one
// 3136-row tile) ran on one thread at 2 threads: such a layer is cut into tiles like any other.
int64_t even_tile_rows(int64_t m, int64_t rows, int64_t per, bool inner_splits = true) {
  const int64_t threads = num_threads();
  const int64_t tiles = (m + rows - 1) / rows;
  const int64_t tasks = per * tiles;
  // One task: the GEMM inside splits itself. Many: balanced chunks even them out.
  if (threads <= 1 || (tasks < 2 && inner_splits) || tasks >= 4 * threads) return rows;
  const int64_t want_tasks = (tasks + threads - 1) / threads * threads;
  const int64_t want_tiles = std::min(m, (want_tasks + per - 1) / per);
  return std::max<int64_t>(1, (m + want_tiles - 1) / want_tiles);
}

// Rows per task so that a task is at least ~0.2 MFLOP: waking a worker costs microseconds.
int64_t row_grain(int64_t row_flops) { return std::max<int64_t>(1, 200000 / std::max<int64_t>(row_flops, 1)); }

// row_grain for splits that do not change any result (rows, bands or tiles of independent
// outputs): a quarter of it while the workers are still polling after a recent job (pool_warm),
// when a hand-off costs about a microsecond rather than a wake-up. A batch-1 depthwise layer of a
// small network (shufflenet's 3x3 over 28x28x24, ~0.34 MFLOP in 28 rows of 16-row grain) ran on
// one thread; the GEMM's threshold drops the same way (kParallelFlopsWarm).
int64_t split_flops() { return pool_warm() ? 50000 : 200000; }
int64_t split_row_grain(int64_t row_flops) {
  return std::max<int64_t>(1, split_flops() / std::max<int64_t>(row_flops, 1));
}

void depthwise_forward(const ConvShape& s0, const float* x0, const float* w, float* y, const ConvEpilogue& ep) {
  std::vector<float> rep;
  const float* x = repeat_channels(s0, x0, rep);
  const ConvShape s = repeated_shape(s0);
  const depthwise_detail::DepthwiseKernels& dk = depthwise_kernels();
  const int64_t row = s.ow * s.c;
  // The kernel walks channel blocks outer and rows inner over a chunk of output rows whose input
  // (~256 KB) stays in L2, so the lines of other channel blocks that the L2 prefetcher brings in with
  // a block's lines are still there when their block comes; the epilogue then runs on the chunk
  // while it is in cache.
  const int64_t in_row_bytes = std::max<int64_t>(1, s.w * s.c * static_cast<int64_t>(sizeof(float)));
  const int64_t fit = std::max<int64_t>(1, ((256 << 10) / in_row_bytes - s.kh) / std::max<int64_t>(1, s.sh) + 1);
  // Even chunks per image: 7 rows as 4 + 3, not 6 + 1.
  const int64_t chunk = (s.oh + (s.oh + fit - 1) / fit - 1) / ((s.oh + fit - 1) / fit);
  // Balanced chunks: a worker that starts late costs a small chunk.
  parallel_for_balanced(s.n * s.oh, split_row_grain(2 * row * s.kh * s.kw), [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end;) {
      const int64_t n = t / s.oh, oy = t % s.oh;
      const int64_t rows = std::min({end - t, s.oh - oy, chunk});
      float* yrow = y + t * row;
      dk.forward_rows(s, x + n * s.h * s.w * s.c, w, ep.bias, oy, oy + rows, yrow);
      if (ep.residual || ep.has_activation)
        finish_tile(ep, yrow, row * rows, ep.residual ? ep.residual + t * row : nullptr, 1, row * rows);
      t += rows;
    }
  });
}

void depthwise_backward_input(const ConvShape& s0, const float* dy, const float* w, float* dx0) {
  const ConvShape s = repeated_shape(s0);
  const int64_t m = s0.cout / s0.c;
  std::vector<float> rep;
  float* dx = dx0;
  if (m > 1) {
    rep.resize(static_cast<size_t>(s.n * s.h * s.w * s.c));
    dx = rep.data();
  }
  const depthwise_detail::DepthwiseKernels& dk = depthwise_kernels();
  const int64_t row = s.w * s.c;
  parallel_for_balanced(s.n * s.h, split_row_grain(2 * row * s.kh * s.kw), [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; t++) {
      const int64_t n = t / s.h, iy = t % s.h;
      dk.input_row(s, dy + n * s.oh * s.ow * s.c, w, iy, dx + t * row);
    }
  });
  if (m == 1) return;
  // Repeat channel c * m + j came from input channel c: its gradients add up.
  const int64_t pixels = s.n * s.h * s.w;
  parallel_for_balanced(pixels, 4096, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; p++)
      for (int64_t ch = 0; ch < s0.c; ch++) {
        float a = 0.0f;
        for (int64_t j = 0; j < m; j++) a += dx[p * s.c + ch * m + j];
        dx0[p * s0.c + ch] = a;
      }
  });
}

// Partial filter gradients of depthwise_backward_filter: enough to balance two to four threads.
constexpr int64_t kFilterParts = 8;

void depthwise_backward_filter(const ConvShape& s0, const float* x0, const float* dy, float* dw) {
  std::vector<float> rep;
  const float* x = repeat_channels(s0, x0, rep);
  const ConvShape s = repeated_shape(s0);
  const depthwise_detail::DepthwiseKernels& dk = depthwise_kernels();
  const int64_t wsize = s.kh * s.kw * s.c;
  std::memset(dw, 0, sizeof(float) * static_cast<size_t>(wsize));
  const int64_t units = s.n * s.oh;
  if (units == 0) return;
  const int64_t row_flops = 2 * s.ow * s.c * s.kh * s.kw;
  // Each part reduces its share of (image, output row) units into its own copy of dw; the copies
  // are summed in part order afterwards. The part count follows the size alone (up to
  // kFilterParts, each at least a task's worth of rows), so dw does not depend on the thread count
  // or on scheduling, and the parts go to whichever thread is free: with one part per thread the
  // caller waited out a late worker's whole half.
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>({kFilterParts, units, units / row_grain(row_flops)}));
  float* partials = parts > 1 ? scratch(t_partials, (parts - 1) * wsize) : nullptr;
  parallel_for_balanced(parts, 1, [&](int64_t begin, int64_t end) {
    for (int64_t part = begin; part < end; part++) {
      float* acc = part == 0 ? dw : partials + (part - 1) * wsize;
      if (part > 0) std::memset(acc, 0, sizeof(float) * static_cast<size_t>(wsize));
      const int64_t u0 = units * part / parts, u1 = units * (part + 1) / parts;
      for (int64_t u = u0; u < u1; u++) {
        const int64_t n = u / s.oh, oy = u % s.oh;
        dk.filter_row(s, x + n * s.h * s.w * s.c, dy + u * s.ow * s.c, oy, acc);
      }
    }
  });
  for (int64_t part = 1; part < parts; part++) {
    const float* p = partials + (part - 1) * wsize;
    for (int64_t i = 0; i < wsize; i++) dw[i] += p[i];
  }
}

}  // namespace

namespace grouped_detail {
bool supports(const ConvShape& s) {
  if (s.groups <= 1 || s.c == s.groups) return false;
  const int64_t cg = s.c / s.groups, og = s.cout / s.groups;
  return og % 4 == 0 && cg <= kMaxGroupChannels;
}
}  // namespace grouped_detail

namespace {

// Ungrouped convolutions with unit horizontal dilation run as implicit GEMMs (sgemm_segmented):
// the GEMM's A rows are read from the input in place (or from a zero-padded copy of the band of
// input rows a task needs), never expanded into an im2col buffer kh * kw times the input. For the
// 16-32 channel 3x3 layers of a U-Net the im2col copy cost as much as the products: 64x64,
// 32 -> 16 channels took 0.62 ms per image (61 GFLOP/s) on an AMD EPYC Zen 4.
bool use_implicit(const ConvShape& s) { return s.groups == 1 && s.dw == 1 && s.kh * s.kw * s.c > 0; }

// Output floats per band of output rows: the band's output (and its padded input) stay in L2
// while every B panel passes over it.
constexpr int64_t kBandFloats = 16 * 1024;

thread_local std::vector<float> t_band;
// Which band t_band holds: (implicit_forward call, image * bands + band).
struct BandKey {
  uint64_t call = 0;
  int64_t band = -1;
  bool operator==(const BandKey& o) const { return call == o.call && band == o.band; }
};
thread_local BandKey t_band_key;
std::atomic<uint64_t> g_implicit_calls{0};
// B above this size is streamed from beyond L2 by every band (see implicit_forward).
constexpr double kBigBBytes = 1 << 20;
// Padded input of one band of a big-B layer: stays in L2 while the panels pass.
constexpr int64_t kBandInputBytes = 256 << 10;
// Threads whose loads the batch-1 task planner simulates (more are treated as this many).
constexpr int64_t kMaxSimThreads = 64;

void implicit_forward(const ConvShape& s, const float* x, const float* w, float* y, const ConvEpilogue& epi,
                      const PackedB& packed) {
  const int64_t k = s.kh * s.kw * s.c;
  // B packed at the active width: the inference plan's packing, else one made here and shared by
  // every thread (per-tile packing would repeat it per task).
  PackedB pb = packed;
  std::vector<float> own;
  if (pb.data == nullptr || pb.nr != sgemm_pack_b_width()) {
    own.resize(static_cast<size_t>(sgemm_packed_b_size(k, s.cout)));
    sgemm_pack_b(k, s.cout, w, s.cout, own.data());
    pb = PackedB{own.data(), sgemm_pack_b_width()};
  }
  const bool relu = store_relu(epi);
  const bool finish = needs_finish(epi);
  const int64_t ldy = s.ldy != 0 ? s.ldy : s.cout;
  const int64_t row_out = s.ow * s.cout;
  // Input columns the taps of one output row reach, starting at column -pad_left.
  const int64_t wp = (s.ow - 1) * s.sw + s.kw;
  const int64_t nr = pb.nr;
  const int64_t panels = (s.cout + nr - 1) / nr;
  // Each band streams all of B (panel by panel, every row of the band reusing a panel while it is
  // in L1/L2). A deep layer's B is megabytes (ResNet's 3x3 512 -> 512: 9.4 MB) and bands sized by
  // their output (one or two rows of 7x7x512) read it from memory once per band, so there the band
  // is sized by its padded input instead, which is what must stay in L2 across the panels.
  const bool big_b = 4.0 * static_cast<double>(k) * static_cast<double>(panels * nr) > kBigBBytes;
  int64_t band = std::clamp<int64_t>(kBandFloats / std::max<int64_t>(row_out, 1), 1, s.oh);
  if (big_b) {
    const int64_t in_rows = kBandInputBytes / std::max<int64_t>(1, wp * s.c * static_cast<int64_t>(sizeof(float)));
    const int64_t rows = (in_rows - (s.kh - 1) * s.dh - 1) / s.sh + 1;
    band = std::clamp<int64_t>(rows, band, s.oh);
  }
  int64_t groups = 1;  // tasks per band, each over a run of B's panels
  int64_t bands = (s.oh + band - 1) / band;
  const int64_t threads = num_threads();
  if (threads > 1) {
    const int64_t cap = kBalancedChunksPerThread * threads;
    const double min_flops = static_cast<double>(split_flops());
    if (s.n * bands < 2 * cap) {
      // Few tasks (a batch-1 layer): choose the band count (at least the one-thread count: a band
      // no taller, so its input stays in L2) and the split of B's panels between the tasks of a
      // band whose chunks, claimed in order by the first free thread, finish together. Cutting
      // only bands left 7x7 and 14x14 maps with 7 one- or two-row bands (4:3 on two threads),
      // each streaming all of B again; a task of a panel group reads its band's input again,
      // from L2.
      const int64_t max_rows = (s.oh + bands - 1) / bands;
      double best = 1e300;
      int64_t best_b = bands, best_g = 1;
      for (int64_t b = bands; b <= s.oh && s.n * b <= 2 * cap; b++) {
        for (int64_t g = 1; g <= panels && s.n * b * g <= 2 * cap; g++) {
          const int64_t tasks = s.n * b * g;
          // Each task worth a hand-off.
          if (tasks > 1 && 2.0 * static_cast<double>((s.oh / b) * s.ow * (panels / g) * nr * k) < min_flops) continue;
          if ((s.oh + b - 1) / b > max_rows) continue;
          const int64_t chunks = std::min<int64_t>(tasks, cap);
          double load[kMaxSimThreads] = {};
          for (int64_t c = 0; c < chunks; c++) {
            double size = 0;
            for (int64_t t = tasks * c / chunks; t < tasks * (c + 1) / chunks; t++) {
              const int64_t bi = t / g % b, gi = t % g;
              size += static_cast<double>(s.oh * (bi + 1) / b - s.oh * bi / b) * static_cast<double>(panels * (gi + 1) / g - panels * gi / g);
            }
            int64_t who = 0;
            for (int64_t th = 1; th < std::min<int64_t>(threads, kMaxSimThreads); th++)
              if (load[th] < load[who]) who = th;
            load[who] += size;
          }
          double span = 0;
          for (int64_t th = 0; th < std::min<int64_t>(threads, kMaxSimThreads); th++) span = std::max(span, load[th]);
          // Equal spans: fewer bands (B streamed fewer times), then more chunks (up to the cap),
          // so a worker that starts late costs the caller a smaller piece.
          const bool more_chunks = b == best_b && std::min<int64_t>(tasks, cap) > std::min<int64_t>(s.n * best_b * best_g, cap);
          if (span < best - 1e-9 || (span < best + 1e-9 && more_chunks)) {
            best = span;
            best_b = b;
            best_g = g;
          }
        }
      }
      bands = best_b;
      groups = best_g;
    }
  }
  // Tasks are (image, band, panel group), groups innermost: a thread that claims consecutive tasks
  // of one band pads its input once (t_band_key).
  const uint64_t call = g_implicit_calls.fetch_add(1, std::memory_order_relaxed) + 1;
  const bool gather = s.kh == 1 && s.kw == 1 && (s.sh > 1 || s.sw > 1);
  parallel_for_balanced(s.n * bands * groups, 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; t++) {
      const int64_t grp = t % groups, nb = t / groups;
      // Bands of even height (oh split as evenly as their count allows).
      const int64_t n = nb / bands, bi = nb % bands, oy0 = s.oh * bi / bands, oy1 = s.oh * (bi + 1) / bands;
      const int64_t p0 = panels * grp / groups, p1 = panels * (grp + 1) / groups;
      const int64_t j0 = p0 * nr, cols = std::min(s.cout, p1 * nr) - j0;
      const int64_t iy0 = oy0 * s.sh - s.pad_top, iy1 = (oy1 - 1) * s.sh - s.pad_top + (s.kh - 1) * s.dh + 1;
      const int64_t ix0 = -s.pad_left, ix1 = ix0 + wp;
      const float* xn = x + n * s.h * s.w * s.c;
      const bool inside = iy0 >= 0 && iy1 <= s.h && ix0 >= 0 && ix1 <= s.w;
      SegmentedA a;
      if (inside && gather) {
        // A strided 1x1's pixels, packed densely: read in place, a row of the GEMM's A tile sits
        // sw * c floats from the next, and at 4 KB (ResNet-50's 512 -> 1024 at stride 2) the
        // tile's rows share one L1 set: 159 GFLOP/s against 186 for 528 channels on Zen 5.
        float* buf = scratch(t_band, (oy1 - oy0) * s.ow * s.c);
        const BandKey key{call, nb};
        if (!(t_band_key == key)) {
          for (int64_t oy = oy0; oy < oy1; oy++)
            for (int64_t ox = 0; ox < s.ow; ox++)
              std::memcpy(buf + ((oy - oy0) * s.ow + ox) * s.c, xn + ((oy * s.sh - s.pad_top) * s.w + ox * s.sw + ix0) * s.c,
                          sizeof(float) * static_cast<size_t>(s.c));
          t_band_key = key;
        }
        // One run of the band's pixels: the GEMM's row strips then cross output rows (a 7-wide
        // map filled half of each 14-row strip).
        a.a = buf;
        a.rows = 1;
        a.m = (oy1 - oy0) * s.ow;
        a.a_qs = 0;
        a.a_rs = s.c;
        a.segs = 1;
        a.seg_k = s.c;
        a.seg_stride = 0;
      } else {
        const float* base;
        int64_t row_stride;
        if (inside) {
          base = xn + (iy0 * s.w + ix0) * s.c;
          row_stride = s.w * s.c;
        } else {
          // The band's input rows with the zero padding made real, so every tap reads memory.
          row_stride = wp * s.c;
          float* buf = scratch(t_band, (iy1 - iy0) * row_stride);
          const BandKey key{call, nb};
          if (!(t_band_key == key)) {
            const int64_t lo = std::max<int64_t>(0, ix0), hi = std::min(s.w, ix1);
            for (int64_t iy = iy0; iy < iy1; iy++) {
              float* dst = buf + (iy - iy0) * row_stride;
              if (iy < 0 || iy >= s.h || hi <= lo) {
                std::memset(dst, 0, sizeof(float) * static_cast<size_t>(row_stride));
                continue;
              }
              const int64_t left = (lo - ix0) * s.c, mid = (hi - lo) * s.c;
              std::memset(dst, 0, sizeof(float) * static_cast<size_t>(left));
              std::memcpy(dst + left, xn + (iy * s.w + lo) * s.c, sizeof(float) * static_cast<size_t>(mid));
              std::memset(dst + left + mid, 0, sizeof(float) * static_cast<size_t>(row_stride - left - mid));
            }
            t_band_key = key;
          }
          base = buf;
        }
        a.a = base;
        a.rows = oy1 - oy0;
        a.m = s.ow;
        a.a_qs = s.sh * row_stride;
        a.a_rs = s.sw * s.c;
        a.segs = s.kh;
        a.seg_k = s.kw * s.c;
        a.seg_stride = s.dh * row_stride;
      }
      // (A residual comes with a dense y: conv2d_forward strides y only without one.)
      float* yt = y + (n * s.oh + oy0) * s.ow * ldy + j0;
      // The group's panels are a contiguous run of the packing ([panel][k][nr]); each output is
      // the same tile sum whichever group computes it.
      const PackedB part{pb.data + p0 * k * nr, nr};
      if (store_residual(epi)) {
        sgemm_segmented(a, cols, part, yt, ldy, epi.bias ? epi.bias + j0 : nullptr, epi.has_activation, epi.residual + (yt - y), ldy);
      } else {
        sgemm_segmented(a, cols, part, yt, ldy, epi.bias ? epi.bias + j0 : nullptr, relu);
        if (finish) finish_tile(epi, yt, ldy, epi.residual ? epi.residual + (yt - y) : nullptr, a.rows * a.m, cols);
      }
    }
  });
}

}  // namespace

void conv2d_forward(const ConvShape& s, const float* x, const float* w, float* y, const ConvEpilogue& epi,
                    const PackedB& packed) {
  const int64_t m = s.oh * s.ow;
  if (s.n == 0 || m == 0 || s.cout == 0) return;
  // Pixels ldx apart (a channel slice: ShuffleNet's split halves): only the pointwise GEMM paths
  // below read x as an operand with a row stride; the binding allows nothing else.
  const int64_t ldx = s.ldx != 0 ? s.ldx : s.c;
  const bool strided_x = ldx != s.c;
  const int64_t ldy = s.ldy != 0 ? s.ldy : s.cout;
  const float* bias = epi.bias;
  const bool relu = store_relu(epi);
  const bool finish = needs_finish(epi);
  const int64_t cg = s.c / s.groups, og = s.cout / s.groups;
  const int64_t k = s.kh * s.kw * cg;
  const conv_detail::DirectKernels* dk = use_direct_forward(s) && !strided_x ? &direct_kernels() : nullptr;
  const bool direct = is_pointwise(s) && !dk;
  // Output rows shorter than the GEMM's row strip (ResNet's last stage: 7x7 maps, k = 1024 .. 4608,
  // B megabytes): the implicit GEMM works one output row at a time, so each B panel (megabytes
  // in all, streamed from beyond L2) fed 7 of the micro-kernel's 14 rows. Its im2col rows, flat
  // over the pixels, make full strips: resnet50 b1's 3x3 512 -> 512 at 7x7 went from 2.6 ms to
  // the GEMM's 1.6 ms on an Intel Xeon (AVX-512).
  const bool short_rows = !direct && !dk && s.groups == 1 && s.ow < sgemm_strip_rows() && k > 0;
  const bool implicit_ok = !direct && !dk && use_implicit(s) && !short_rows;
  if (ldy != s.cout) {
    // Output pixels ldy apart: the paths that store through a row stride take it as it is (the
    // pointwise GEMM, the implicit GEMM, the small-k direct kernels); the rest compute densely
    // into scratch and copy each pixel's channels out (still cheaper than the Concat's copy).
    const bool gemm_pointwise = direct && s.groups == 1 && k > 0 && s.cout > kNarrowCout;
    if (epi.residual || is_depthwise(s) || grouped_detail::supports(s) || !(gemm_pointwise || implicit_ok || dk)) {
      thread_local std::vector<float> t_dense;
      const int64_t pixels = s.n * m;
      float* dense = scratch(t_dense, pixels * s.cout);
      ConvShape d = s;
      d.ldy = 0;
      conv2d_forward(d, x, w, dense, epi, packed);
      for (int64_t p = 0; p < pixels; p++)
        std::memcpy(y + p * ldy, dense + p * s.cout, sizeof(float) * static_cast<size_t>(s.cout));
      return;
    }
  }
  if (is_depthwise(s)) return depthwise_forward(s, x, w, y, epi);
  if (grouped_detail::supports(s)) {
    const grouped_detail::GroupedKernels& gk = grouped_detail::active_table();
    const int64_t row_flops = 2 * s.ow * s.cout * k;
    parallel_for_balanced(s.n * s.oh, split_row_grain(row_flops), [&](int64_t begin, int64_t end) {
      for (int64_t t = begin; t < end; t++) {
        const int64_t n = t / s.oh, oy = t % s.oh;
        float* yrow = y + t * s.ow * s.cout;
        gk.forward_row(s, x + n * s.h * s.w * s.c, w, bias, relu, oy, yrow);
        if (finish) finish_tile(epi, yrow, s.cout, epi.residual ? epi.residual + (yrow - y) : nullptr, s.ow, s.cout);
      }
    });
    return;
  }
  if (is_pointwise(s) && s.groups == 1 && k > 0 && s.cout <= kNarrowCout) {
    // 1x1 to a few channels (a segmentation head's classes): as [pixels, c] x [c, cout] the GEMM
    // pads each row's cout columns out to a full vector panel (2 of 32 used: 2 GFLOP/s). Computed
    // transposed instead, [cout, c] x [c, pixels] per block of pixels, the pixels run along the
    // panels; the few rows of the result are then stored back pixel by pixel.
    const int64_t total = s.n * m;
    const int64_t blocks = (total + kNarrowBlock - 1) / kNarrowBlock;
    parallel_for_balanced(blocks, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; b++) {
        const int64_t r0 = b * kNarrowBlock, cnt = std::min(kNarrowBlock, total - r0);
        float* t = scratch(t_cols, s.cout * cnt);
        sgemm(true, true, s.cout, cnt, k, 1.0f, w, s.cout, x + r0 * ldx, ldx, 0.0f, t, cnt);
        float* yb = y + r0 * s.cout;
        for (int64_t p = 0; p < cnt; p++) {
          for (int64_t co = 0; co < s.cout; co++) {
            float v = t[co * cnt + p];
            if (bias) v += bias[co];
            yb[p * s.cout + co] = v;
          }
        }
        // The elementwise family's relu, as the standalone op computes it (NaN and -0 alike).
        if (relu) unary(UnaryOp::Relu, yb, yb, cnt * s.cout, 0.0f, 0.0f);
        if (finish) finish_tile(epi, yb, s.cout, epi.residual ? epi.residual + r0 * s.cout : nullptr, cnt, s.cout);
      }
    });
    return;
  }
  if (direct && s.groups == 1 && k > 0 && s.n * m <= kSegmentedMaxRows && packed.data != nullptr &&
      packed.nr == sgemm_pack_b_width()) {
    // Few rows (a batch-1 7x7 or 14x14 layer: 49-196 pixels) and a filter packed once: one B
    // panel at a time against every row, the rows read in place in strips of equal height
    // (sgemm_segmented with one segment). The blocked GEMM below packs A per panel and cuts 49
    // rows as 14 + 14 + 14 + 7, and in a network (weights cold, 0.6 MB for RegNet's 400 -> 400)
    // took ~30% longer than ORT's 1x1 kernels; this way regnet_x_400mf b1 1T went from 1.25-1.37x
    // to 1.12-1.18x ORT (min of 40 passes, alternating runs). Threads take whole panels.
    const int64_t rows = s.n * m, nr = packed.nr, panels = (s.cout + nr - 1) / nr;
    SegmentedA a;
    a.a = x;
    a.rows = 1;
    a.m = rows;
    a.a_rs = ldx;
    a.segs = 1;
    a.seg_k = k;
    // Split by rows, not by panels, when the panels are few or B is small. A projection to 96
    // channels (mobilenet_v2's 576 -> 96 at 14x14: 3 panels of 32) split by panels ran 2 + 1 and
    // gained nothing from a second thread. And a panel split hands each core half the channels
    // of every pixel, while the next layer (a depthwise or grouped conv) splits its rows: half of
    // its input then sat in the other core's L2. Split by rows, each core streams all of B, so
    // only a B under 1 MiB is split that way (regnet_x_400mf's 400 -> 400, 640 KB: 2-thread pass
    // 5.0 -> 4.1 ms; resnet50's 2048 -> 512 at 7x7, 4 MB, stays split by panels). Parts of at
    // least 16 rows, each worth a hand-off; row parts outermost, so a thread keeps to its rows.
    const int64_t threads = num_threads();
    int64_t parts = 1;
    const bool small_b = 4.0 * static_cast<double>(k) * static_cast<double>(panels * nr) < static_cast<double>(kRowSplitMaxBBytes);
    if (threads > 1 && (panels < 2 * threads || small_b)) {
      parts = std::max<int64_t>(1, std::min(std::max<int64_t>(threads, (2 * threads + panels - 1) / panels), rows / 16));
      while (parts > 1 && 2.0 * static_cast<double>(rows / parts) * static_cast<double>(k * s.cout) < static_cast<double>(split_flops())) parts--;
    }
    if (parts > 1) {
      // Row parts outermost: a thread's consecutive tasks keep to the same output rows.
      parallel_for_balanced(panels * parts, 1, [&](int64_t t0, int64_t t1) {
        for (int64_t t = t0; t < t1; t++) {
          const int64_t part = t / panels, p = t % panels;
          const int64_t r0 = rows * part / parts, r1 = rows * (part + 1) / parts;
          SegmentedA ap = a;
          ap.a = x + r0 * ldx;
          ap.m = r1 - r0;
          const int64_t j0 = p * nr, cols = std::min(s.cout, j0 + nr) - j0;
          float* yt = y + r0 * ldy + j0;
          if (store_residual(epi)) {
            sgemm_segmented(ap, cols, PackedB{packed.data + p * nr * k, nr}, yt, ldy, bias ? bias + j0 : nullptr, epi.has_activation,
                            epi.residual + r0 * ldy + j0, ldy);
          } else {
            sgemm_segmented(ap, cols, PackedB{packed.data + p * nr * k, nr}, yt, ldy, bias ? bias + j0 : nullptr, relu);
            if (finish) finish_tile(epi, yt, ldy, epi.residual ? epi.residual + r0 * ldy + j0 : nullptr, r1 - r0, cols);
          }
        }
      });
      return;
    }
    parallel_for_balanced(panels, split_row_grain(2 * rows * k * nr), [&](int64_t p0, int64_t p1) {
      const int64_t j0 = p0 * nr, cols = std::min(s.cout, p1 * nr) - j0;
      if (store_residual(epi)) {
        sgemm_segmented(a, cols, PackedB{packed.data + p0 * nr * k, nr}, y + j0, ldy, bias ? bias + j0 : nullptr, epi.has_activation,
                        epi.residual + j0, ldy);
      } else {
        sgemm_segmented(a, cols, PackedB{packed.data + p0 * nr * k, nr}, y + j0, ldy, bias ? bias + j0 : nullptr, relu);
        if (finish) finish_tile(epi, y + j0, ldy, epi.residual ? epi.residual + j0 : nullptr, rows, cols);
      }
    });
    return;
  }
  if (direct && s.groups == 1 && k > 0) {
    // 1x1, stride 1: x's rows across the whole batch are the GEMM's A as they stand (no im2col
    // buffer to size tiles for), so one GEMM blocks and threads the product and reads each weight
    // panel once per row block rather than once per im2col-sized tile (ResNet's 1024 -> 256 at
    // 14x14 re-read its 1 MB of weights four times). The rest of the epilogue runs per finished
    // block, still in cache.
    // The residual is added in the tiles' store (and a relu after it), so a residual block's last
    // 1x1 conv is one pass over its output: with the add in a second pass over each finished block,
    // resnet50's 64 -> 256 at 56x56 (batch 8) took 13.3 ms against onnxruntime's 9.4.
    GemmEpilogue ep;
    ep.bias = bias;
    const bool fused_residual = store_residual(epi);
    if (relu || (fused_residual && epi.has_activation)) ep.activation = GemmActivation::Relu;
    if (fused_residual) {
      ep.residual = epi.residual;
      ep.ld_residual = ldy;
    }
    const TileEpilogue te{&epi, epi.residual, s.cout};
    if (finish && !fused_residual) {
      ep.block = tile_block;
      ep.block_ctx = &te;
    }
    sgemm_prepacked(s.n * m, s.cout, k, x, ldx, w, s.cout, packed, y, ldy, ep);
    return;
  }
  if (implicit_ok) return implicit_forward(s, x, w, y, epi, packed);
  if (s.groups == 1 && !direct && !dk && k > 0 && tile_rows(k, m) < kFlatMinRows) {
    // Deep filters (tile_rows of an image tile would be a few rows, each tile re-packing the whole
    // filter): tiles over the whole batch's rows, at least kFlatMinRows deep, evened out so no
    // tile is a single row. Each output element is the same GEMM sum as before.
    const int64_t total = s.n * m;
    // A multiple of the thread count, so no thread idles through a last odd tile (the per-element
    // sums do not depend on the tiling).
    const int64_t threads = num_threads();
    int64_t tasks = std::max<int64_t>(1, total / kFlatMinRows);
    tasks = std::min(std::max<int64_t>(1, total / 2), (tasks + threads - 1) / threads * threads);
    auto gemm_epilogue = [&](GemmEpilogue& ep, const TileEpilogue& te) {
      ep.bias = bias;
      if (relu) ep.activation = GemmActivation::Relu;
      if (finish) {
        ep.block = tile_block;
        ep.block_ctx = &te;
      }
    };
    if (threads > 1 && tasks <= threads && s.cout > total) {
      // One tile per thread against a filter wider than the tiles are tall (ResNet's 3x3 512 -> 512
      // at 7x7, batch 1: 25 rows each against 9.4 MB of weights): every thread streamed all of B
      // for two row strips. One im2col of every row, then one GEMM that splits B's panels between
      // the threads, streams B once. Each output element is the same sum.
      float* cols = scratch(t_cols, total * k);
      parallel_for_balanced(total, std::max<int64_t>(1, (int64_t{1} << 14) / std::max<int64_t>(k, 1)),
                            [&](int64_t begin, int64_t end) {
                              for (int64_t flat = begin; flat < end;) {
                                const int64_t n = flat / m, p = flat % m, cnt = std::min(end - flat, m - p);
                                im2col(s, x + n * s.h * s.w * s.c, 0, s.c, p, cnt, cols + flat * k);
                                flat += cnt;
                              }
                            });
      GemmEpilogue ep;
      const TileEpilogue te{&epi, epi.residual, s.cout};
      gemm_epilogue(ep, te);
      sgemm_prepacked(total, s.cout, k, cols, k, w, s.cout, packed, y, s.cout, ep);
      return;
    }
    parallel_for_balanced(tasks, 1, [&](int64_t begin, int64_t end) {
      for (int64_t t = begin; t < end; t++) {
        const int64_t r0 = total * t / tasks, r = total * (t + 1) / tasks - r0;
        float* cols = scratch(t_cols, r * k);
        for (int64_t done = 0; done < r;) {
          const int64_t flat = r0 + done, n = flat / m, p = flat % m, cnt = std::min(r - done, m - p);
          im2col(s, x + n * s.h * s.w * s.c, 0, s.c, p, cnt, cols + done * k);
          done += cnt;
        }
        float* yt = y + r0 * s.cout;
        GemmEpilogue ep;
        const TileEpilogue te{&epi, epi.residual ? epi.residual + r0 * s.cout : nullptr, s.cout};
        gemm_epilogue(ep, te);
        sgemm_prepacked(r, s.cout, k, cols, k, w, s.cout, packed, yt, s.cout, ep);
      }
    });
    return;
  }
  // A direct-kernel layer is cut for the pool only when each part is worth a worker's wake-up.
  const bool dk_splits = dk && 2 * s.n * m * s.cout * k >= 2 * split_row_grain(1);
  const int64_t rows = even_tile_rows(m, tile_rows(k, m), s.n * s.groups, !dk_splits);
  const int64_t tiles = (m + rows - 1) / rows;
  const int64_t tasks = s.n * s.groups * tiles;
  // Output tiles are independent: claimed a few at a time, so a late worker does not leave the
  // caller waiting through half the convolution.
  parallel_for_balanced(tasks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; t++) {
      const int64_t tile = t % tiles, g = (t / tiles) % s.groups, n = t / (tiles * s.groups);
      const int64_t p0 = tile * rows, r = std::min(rows, m - p0);
      const float* xn = x + n * s.h * s.w * s.c;
      float* yt = y + (n * m + p0) * ldy + g * og;  // (ldy != cout only on the dk path: groups 1)
      GemmEpilogue ep;
      ep.bias = bias ? bias + g * og : nullptr;
      if (relu) ep.activation = GemmActivation::Relu;
      // The GEMM paths finish each block inside sgemm; the others finish the tile below.
      const TileEpilogue te{&epi, epi.residual ? epi.residual + (yt - y) : nullptr, s.cout};
      const bool gemm_path = k != 0 && !dk;  // (dk finishes its own chunks)
      if (finish && gemm_path) {
        ep.block = tile_block;
        ep.block_ctx = &te;
      }
      if (k == 0) {
        for (int64_t i = 0; i < r; i++)
          for (int64_t o = 0; o < og; o++) {
            const float v = bias ? bias[g * og + o] : 0.0f;
            yt[i * s.cout + o] = relu && v < 0.0f ? 0.0f : v;
          }
      } else if (direct) {  // grouped (ungrouped pointwise is one GEMM above)
        sgemm(false, false, r, og, k, 1.0f, xn + p0 * s.c + g * cg, s.c, w + g * og, s.cout, 0.0f, yt, s.cout, ep);
      } else if (dk) {
        // In chunks of ~32 KiB of output, each finished while it is still in L1.
        const int64_t step = finish ? std::max<int64_t>(16, 8192 / std::max<int64_t>(s.cout, 1)) : r;
        for (int64_t q = 0; q < r; q += step) {
          const int64_t cnt = std::min(step, r - q);
          dk->forward(s, xn, w, bias, relu, p0 + q, cnt, yt + q * ldy);
          if (finish) finish_tile(epi, yt + q * ldy, ldy, te.residual ? te.residual + q * s.cout : nullptr, cnt, og);
        }
      } else {
        float* cols = scratch(t_cols, r * k);
        im2col(s, xn, g * cg, cg, p0, r, cols);
        if (s.groups == 1) {
          sgemm_prepacked(r, og, k, cols, k, w, s.cout, packed, yt, s.cout, ep);
        } else {
          sgemm(false, false, r, og, k, 1.0f, cols, k, w + g * og, s.cout, 0.0f, yt, s.cout, ep);
        }
      }
      if (finish && k == 0) finish_tile(epi, yt, s.cout, te.residual, r, og);
    }
  });
}

void conv2d_relu_grad(int64_t size, const float* dy, const float* y, float* out) {
  parallel_for_balanced(size, 1 << 15, [&](int64_t begin, int64_t end) {
    // Both loads unconditional so the select vectorizes (a branch mispredicts on random signs).
    for (int64_t i = begin; i < end; i++) {
      const float d = dy[i];
      out[i] = y[i] > 0.0f ? d : 0.0f;
    }
  });
}

void clip_grad(int64_t size, const float* dy, const float* x, float lo, float hi, float* out) {
  parallel_for_balanced(size, 1 << 15, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; i++) {
      // Both comparisons unconditional (& not &&) so the select vectorizes.
      const float d = dy[i];
      const float v = x[i];
      out[i] = (v >= lo) & (v <= hi) ? d : 0.0f;
    }
  });
}

void conv2d_backward_input(const ConvShape& s, const float* dy, const float* w, float* dx) {
  const int64_t m = s.oh * s.ow;
  if (s.n == 0 || s.h * s.w * s.c == 0) return;
  if (is_depthwise(s)) return depthwise_backward_input(s, dy, w, dx);
  if (m > 0 && s.cout > 0 && use_direct(s) && s.c == 1 && s.cout % 16 == 0) {
    // Gathered per input pixel: no overlap between tasks, dx written once. Only wins over
    // GEMM + col2im for one input channel (one horizontal sum per pixel); measured slower at Cin >= 2.
    const conv_detail::DirectKernels& dk = direct_kernels();
    const int64_t hw = s.h * s.w;
    const int64_t chunk = std::min<int64_t>(hw, 1024);
    const int64_t chunks = (hw + chunk - 1) / chunk;
    parallel_for_balanced(s.n * chunks, 1, [&](int64_t begin, int64_t end) {
      for (int64_t t = begin; t < end; t++) {
        const int64_t n = t / chunks, i0 = (t % chunks) * chunk, r = std::min(chunk, hw - i0);
        dk.input(s, dy + n * m * s.cout, w, i0, r, dx + (n * hw + i0) * s.c);
      }
    });
    return;
  }
  if (s.groups == 1 && m > 0 && s.cout > 0) {
    // Ungrouped: GEMMs over the whole batch's rows (the pool splits each GEMM), so the filter is
    // packed once per chunk of many images' rows rather than once per image tile.
    const int64_t total = s.n * m, k = s.kh * s.kw * s.c;
    if (is_pointwise(s)) {
      sgemm(false, true, total, s.c, s.cout, 1.0f, dy, s.cout, w, s.cout, 0.0f, dx, s.c);
      return;
    }
    if (s.sh == 1 && s.sw == 1 && s.dh == 1 && s.dw == 1 && s.pad_top < s.kh && s.pad_left < s.kw &&
        s.kh * s.kw * s.cout > conv_detail::kDirectMaxK) {
      // Stride 1: dx is the forward convolution of dy with the filter turned 180 degrees and its
      // channel dims swapped, padded by k - 1 - pad: an implicit GEMM that writes each dx row
      // once. Through a column buffer scattered back (col2im), the two steps split differently
      // (the GEMM by rows, the scatter by channel slices, since rows overlap in dx), so at two
      // threads each core read half of the columns the other had written: resnet18's training
      // step gained 1.37x from a second thread in its input gradients against 1.88x forward.
      thread_local std::vector<float> t_flipped;
      const int64_t taps = s.kh * s.kw;
      float* wf = scratch(t_flipped, taps * s.cout * s.c);
      // w is [taps, c, cout]; wf is [taps, cout, c] with tap t at taps - 1 - t: one strided copy
      // (the layout family's tiled transpose) walking the taps backwards.
      const int64_t shape[3] = {taps, s.c, s.cout};
      const int64_t src_strides[3] = {-s.c * s.cout, s.cout, 1};
      const int64_t dst_strides[3] = {s.cout * s.c, 1, s.c};
      strided_copy(3, shape, w + (taps - 1) * s.c * s.cout, src_strides, wf, dst_strides);
      ConvShape t = s;
      t.h = s.oh;
      t.w = s.ow;
      t.c = s.cout;
      t.cout = s.c;
      t.oh = s.h;
      t.ow = s.w;
      t.pad_top = s.kh - 1 - s.pad_top;
      t.pad_left = s.kw - 1 - s.pad_left;
      t.ldx = 0;
      t.ldy = 0;
      implicit_forward(t, dy, wf, dx, ConvEpilogue{}, PackedB{});
      return;
    }
    const int64_t dx_size = s.n * s.h * s.w * s.c;
    parallel_for_balanced(dx_size, 1 << 16, [&](int64_t b, int64_t e) { std::memset(dx + b, 0, sizeof(float) * static_cast<size_t>(e - b)); });
    const int64_t chunk = grad_chunk_rows(k, total);
    float* cols = scratch(t_cols, chunk * k);
    for (int64_t r0 = 0; r0 < total; r0 += chunk) {
      const int64_t r = std::min(chunk, total - r0);
      sgemm(false, true, r, k, s.cout, 1.0f, dy + r0 * s.cout, s.cout, w, s.cout, 0.0f, cols, k);
      col2im_flat(s, cols, r0, r, dx);
    }
    return;
  }
  std::memset(dx, 0, sizeof(float) * static_cast<size_t>(s.n * s.h * s.w * s.c));
  if (m == 0 || s.cout == 0) return;
  const int64_t cg = s.c / s.groups, og = s.cout / s.groups;
  const int64_t k = s.kh * s.kw * cg;
  if (k == 0) return;
  const int64_t rows = tile_rows(k, m);
  const bool direct = is_pointwise(s);
  // Tiles of one (image, group) overlap in dx, so they run in order within one task.
  parallel_for_balanced(s.n * s.groups, 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; t++) {
      const int64_t g = t % s.groups, n = t / s.groups;
      float* dxn = dx + n * s.h * s.w * s.c;
      const float* dyn = dy + n * m * s.cout + g * og;
      if (direct) {
        sgemm(false, true, m, cg, og, 1.0f, dyn, s.cout, w + g * og, s.cout, 0.0f, dxn + g * cg, s.c);
        continue;
      }
      float* cols = scratch(t_cols, rows * k);
      for (int64_t p0 = 0; p0 < m; p0 += rows) {
        const int64_t r = std::min(rows, m - p0);
        // cols[r, k] = dy[r, og] * w_g^T, w_g stored as [k, og] with leading dim cout.
        sgemm(false, true, r, k, og, 1.0f, dyn + p0 * s.cout, s.cout, w + g * og, s.cout, 0.0f, cols, k);
        col2im(s, cols, g * cg, cg, p0, r, dxn);
      }
    }
  });
}

bool conv2d_transpose_is_disjoint(const ConvShape& s) {
  return s.groups == 1 && s.sh == s.kh && s.sw == s.kw && s.dh == 1 && s.dw == 1 && s.pad_top == 0 && s.pad_left == 0 &&
         s.h == s.oh * s.kh && s.w == s.ow * s.kw && s.ldx == 0;
}

int64_t conv2d_transpose_disjoint_packed_size(int64_t kh, int64_t kw, int64_t c, int64_t cout) {
  return kh * sgemm_packed_b_size(cout, kw * c);
}

void conv2d_transpose_disjoint_pack(int64_t kh, int64_t kw, int64_t c, int64_t cout, const float* w, float* packed) {
  const int64_t cols = kw * c, per = sgemm_packed_b_size(cout, cols);
  // Filter row a as the GEMM's B [cout, kw * c]: w[a] is stored [kw * c, cout], its transpose.
  std::vector<float> t(static_cast<size_t>(cout * cols));
  for (int64_t a = 0; a < kh; a++) {
    const float* wa = w + a * cols * cout;
    for (int64_t j = 0; j < cols; j++) {
      for (int64_t k = 0; k < cout; k++) t[static_cast<size_t>(k * cols + j)] = wa[j * cout + k];
    }
    sgemm_pack_b(cout, cols, t.data(), cols, packed + a * per);
  }
}

void conv2d_transpose_disjoint(const ConvShape& s, const float* dy, const float* w, const float* bias,
                               const PackedB& packed, float* dx) {
  if (s.n == 0 || s.h * s.w * s.c == 0) return;
  const int64_t cols = s.kw * s.c, row_out = s.w * s.c;
  if (s.cout == 0) {
    // No input channels: every output pixel is the bias.
    for (int64_t p = 0; p < s.n * s.h * s.w; p++) {
      for (int64_t ch = 0; ch < s.c; ch++) dx[p * s.c + ch] = bias != nullptr ? bias[ch] : 0.0f;
    }
    return;
  }
  const int64_t width = sgemm_pack_b_width(), per = sgemm_packed_b_size(s.cout, cols);
  PackedB pb = packed;
  std::vector<float> own;
  if (pb.data == nullptr || pb.nr != width) {
    own.resize(static_cast<size_t>(s.kh * per));
    conv2d_transpose_disjoint_pack(s.kh, s.kw, s.c, s.cout, w, own.data());
    pb = PackedB{own.data(), width};
  }
  // The bias along the GEMM's columns (b, c): repeated for each of the kw output pixels.
  std::vector<float> tiled;
  if (bias != nullptr) {
    tiled.resize(static_cast<size_t>(cols));
    for (int64_t b = 0; b < s.kw; b++) std::memcpy(tiled.data() + b * s.c, bias, sizeof(float) * static_cast<size_t>(s.c));
  }
  const float* tb = bias != nullptr ? tiled.data() : nullptr;
  // One task is one input row: its kh output rows, one GEMM [ow, cout] x [cout, kw * c] each, with
  // the input row in L1 across them.
  const int64_t rows = s.n * s.oh;
  parallel_for_balanced(rows, split_row_grain(2 * s.ow * s.cout * s.kh * cols), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; r++) {
      SegmentedA a;
      a.a = dy + r * s.ow * s.cout;
      a.rows = 1;
      a.m = s.ow;
      a.a_rs = s.cout;
      a.segs = 1;
      a.seg_k = s.cout;
      // n * h + kh * i = kh * (n * oh + i) = kh * r: output rows kh * r .. kh * r + kh - 1.
      for (int64_t fa = 0; fa < s.kh; fa++) {
        sgemm_segmented(a, cols, PackedB{pb.data + fa * per, width}, dx + (r * s.kh + fa) * row_out, cols, tb, false);
      }
    }
  });
}

namespace {

// Largest dw (floats) whose product is split over its depth; bigger ones have output tiles enough.
constexpr int64_t kSplitDepthMaxOutput = 1 << 16;
// Rows of depth per part at the least: each part's GEMM stays long enough to amortize its packing.
constexpr int64_t kSplitDepthMinRows = 2048;

// dw[c, cout] = x[total, c]^T dy[total, cout] for a 1x1 stride-1 convolution. The product is deep
// (every pixel of the batch) and its output small: mobilenet_v2's 32 -> 16 layer at 112x112 and
// batch 32 is a 32 x 16 output over 401k rows, which the GEMM's own split (over output tiles of
// 14 rows) cut 28 / 4 rows between two threads. Here the depth is cut into parts whose count
// follows the size alone (kFilterParts at most); each part's GEMM runs on one thread into its own
// copy of dw, and the copies are summed in part order, so dw does not depend on the thread count.
void pointwise_backward_filter(int64_t c, int64_t cout, int64_t total, const float* x, const float* dy, float* dw) {
  const int64_t wsize = c * cout;
  const int64_t parts = wsize > kSplitDepthMaxOutput ? 1 : std::min(kFilterParts, total / kSplitDepthMinRows);
  if (parts < 2) {
    sgemm(true, false, c, cout, total, 1.0f, x, c, dy, cout, 0.0f, dw, cout);
    return;
  }
  float* partials = scratch(t_partials, (parts - 1) * wsize);
  parallel_for_balanced(parts, 1, [&](int64_t begin, int64_t end) {
    for (int64_t part = begin; part < end; part++) {
      const int64_t r0 = total * part / parts, r1 = total * (part + 1) / parts;
      float* acc = part == 0 ? dw : partials + (part - 1) * wsize;
      // Inside a parallel_for the GEMM runs on this thread alone.
      sgemm(true, false, c, cout, r1 - r0, 1.0f, x + r0 * c, c, dy + r0 * cout, cout, 0.0f, acc, cout);
    }
  });
  for (int64_t part = 1; part < parts; part++) {
    const float* p = partials + (part - 1) * wsize;
    for (int64_t i = 0; i < wsize; i++) dw[i] += p[i];
  }
}

}  // namespace

void conv2d_backward_filter(const ConvShape& s, const float* x, const float* dy, float* dw) {
  const int64_t cg = s.c / s.groups, og = s.cout / s.groups;
  const int64_t k = s.kh * s.kw * cg;
  const int64_t wsize = k * s.cout;
  if (wsize == 0) return;
  if (is_depthwise(s)) return depthwise_backward_filter(s, x, dy, dw);
  const int64_t m = s.oh * s.ow;
  if (s.groups == 1 && s.n > 0 && m > 0 && !use_direct(s)) {
    // Ungrouped: dw = cols^T dy as GEMMs whose depth is many rows of the whole batch (the pool
    // splits each GEMM over dw), instead of one shallow GEMM per image tile re-reading all of dw.
    const int64_t total = s.n * m;
    if (is_pointwise(s)) {
      pointwise_backward_filter(s.c, s.cout, total, x, dy, dw);
      return;
    }
    // Many rows into a small dw (ResNet's 3x3 64 -> 64 at 56x56: 25,088 rows at batch 8, dw
    // 147 KB): fixed parts of rows, each expanding and multiplying its own rows into its own copy
    // of dw, the copies summed in part order. Split inside each chunk instead (the expansion by
    // rows, the GEMM over dw), each core read half of the columns the other had written. Parts
    // are fixed by the shape, so every thread count gives the same bits.
    const int64_t parts = std::min<int64_t>(kFilterGradMaxParts, total / kFilterGradPartRows);
    if (parts >= 2 && (parts - 1) * wsize * static_cast<int64_t>(sizeof(float)) <= kFilterGradPartialBytes) {
      float* partials = scratch(t_partials, (parts - 1) * wsize);
      parallel_for_balanced(parts, 1, [&](int64_t begin, int64_t end) {
        for (int64_t part = begin; part < end; part++) {
          float* acc = part == 0 ? dw : partials + (part - 1) * wsize;
          const int64_t p0 = total * part / parts, p1 = total * (part + 1) / parts;
          const int64_t chunk = grad_chunk_rows(k, p1 - p0);
          float* cols = scratch(t_cols, chunk * k);
          for (int64_t r0 = p0; r0 < p1; r0 += chunk) {
            const int64_t r = std::min(chunk, p1 - r0);
            im2col_flat(s, x, r0, r, cols);
            sgemm(true, false, k, s.cout, r, 1.0f, cols, k, dy + r0 * s.cout, s.cout, r0 == p0 ? 0.0f : 1.0f, acc, s.cout);
          }
        }
      });
      parallel_for(wsize, 1 << 14, [&](int64_t b, int64_t e) {
        for (int64_t part = 1; part < parts; part++) {
          const float* src = partials + (part - 1) * wsize;
          for (int64_t i = b; i < e; i++) dw[i] += src[i];
        }
      });
      return;
    }
    const int64_t chunk = grad_chunk_rows(k, total);
    float* cols = scratch(t_cols, chunk * k);
    for (int64_t r0 = 0; r0 < total; r0 += chunk) {
      const int64_t r = std::min(chunk, total - r0);
      im2col_flat(s, x, r0, r, cols);
      sgemm(true, false, k, s.cout, r, 1.0f, cols, k, dy + r0 * s.cout, s.cout, r0 == 0 ? 0.0f : 1.0f, dw, s.cout);
    }
    return;
  }
  std::memset(dw, 0, sizeof(float) * static_cast<size_t>(wsize));
  if (s.n == 0 || m == 0) return;
  const int64_t rows = tile_rows(k, m);
  const int64_t tiles = (m + rows - 1) / rows;
  const int64_t units = s.n * tiles;
  // Each part accumulates its share of (image, tile) units into its own copy of dw; the copies are
  // summed in part order afterwards. Part 0 accumulates straight into dw. With threads, a few parts
  // per thread (while the copies stay small next to the work) claimed by whichever thread is free:
  // one part per thread left the caller waiting through the whole part of a worker that started
  // late (the first kernel of a backward pass finds the worker parked).
  const int64_t threads = num_threads();
  int64_t parts = std::min<int64_t>(threads, units);
  if (threads > 1) {
    const int64_t unit_flops = 2 * std::min(rows, m) * k * s.cout;
    const int64_t per_part = std::max<int64_t>(1, unit_flops * units / std::max<int64_t>(1, 8 * wsize));
    parts = std::min<int64_t>({units, threads * kBalancedChunksPerThread, std::max<int64_t>(threads, per_part)});
  }
  parts = std::max<int64_t>(1, parts);
  float* partials = parts > 1 ? scratch(t_partials, (parts - 1) * wsize) : nullptr;
  const bool direct = is_pointwise(s);
  const conv_detail::DirectKernels* dk = use_direct(s) ? &direct_kernels() : nullptr;
  parallel_for_balanced(parts, 1, [&](int64_t begin, int64_t end) {
    for (int64_t part = begin; part < end; part++) {
      float* acc = part == 0 ? dw : partials + (part - 1) * wsize;
      if (part > 0) std::memset(acc, 0, sizeof(float) * static_cast<size_t>(wsize));
      const int64_t u0 = units * part / parts, u1 = units * (part + 1) / parts;
      for (int64_t u = u0; u < u1; u++) {
        const int64_t tile = u % tiles, n = u / tiles;
        const int64_t p0 = tile * rows, r = std::min(rows, m - p0);
        const float* xn = x + n * s.h * s.w * s.c;
        const float* dyt = dy + (n * m + p0) * s.cout;
        float* cols = direct ? nullptr : scratch(t_cols, r * k);
        if (dk) {
          dk->filter(s, xn, dyt, p0, r, cols, acc);
          continue;
        }
        for (int64_t g = 0; g < s.groups; g++) {
          // dw_g[k, og] += cols^T[k, r] * dy_g[r, og]
          if (direct) {
            sgemm(true, false, k, og, r, 1.0f, xn + p0 * s.c + g * cg, s.c, dyt + g * og, s.cout, 1.0f, acc + g * og,
                  s.cout);
          } else {
            im2col(s, xn, g * cg, cg, p0, r, cols);
            sgemm(true, false, k, og, r, 1.0f, cols, k, dyt + g * og, s.cout, 1.0f, acc + g * og, s.cout);
          }
        }
      }
    }
  });
  for (int64_t part = 1; part < parts; part++) {
    const float* p = partials + (part - 1) * wsize;
    for (int64_t i = 0; i < wsize; i++) dw[i] += p[i];
  }
}

void conv2d_filter_layout(int64_t o, int64_t i, int64_t t, bool to_taps_first, const float* src, float* dst) {
  constexpr int64_t kBlock = 16;
  const int64_t blocks = (o + kBlock - 1) / kBlock;
  parallel_for_balanced(blocks, std::max<int64_t>(1, 4096 / std::max<int64_t>(kBlock * i * t, 1)), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; b++) {
      const int64_t o0 = b * kBlock, w = std::min(kBlock, o - o0);
      for (int64_t ii = 0; ii < i; ii++) {
        for (int64_t tt = 0; tt < t; tt++) {
          // [T, I, O] element (tt, ii, o0 + j) <-> [O, I, T] element (o0 + j, ii, tt).
          const int64_t hw = (tt * i + ii) * o + o0;
          const int64_t oi = (o0 * i + ii) * t + tt;
          if (to_taps_first) {
            for (int64_t j = 0; j < w; j++) dst[hw + j] = src[oi + j * i * t];
          } else {
            for (int64_t j = 0; j < w; j++) dst[oi + j * i * t] = src[hw + j];
          }
        }
      }
    }
  });
}

}  // namespace tf::kernels
