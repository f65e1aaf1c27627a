// Entry points of the fused attention kernels (kernels/attention) and the layer-norm kernels
// (kernels/norm). Every view is checked here to lie inside its typed array, so a bad call throws a
// RangeError before a kernel runs.
#include <cstdint>
#include <string>
#include <utility>

#include "binding/job.h"
#include "binding/js_args.h"
#include "binding/layouts.h"
#include "binding/ops.h"
#include "kernels/attention/attention.h"
#include "kernels/norm/norm.h"

namespace tf::binding {
namespace k = tf::kernels;
namespace {

constexpr int64_t kMaxExtent = int64_t{1} << 40;

bool absent(const Napi::CallbackInfo& info, size_t i) {
  return i >= info.Length() || info[i].IsNull() || info[i].IsUndefined();
}

// The furthest element a [B, H, T, cols] view reaches must lie in the array.
void check_extent(Napi::Env env, const char* what, const F32& a, int64_t off, int64_t sb, int64_t sh, int64_t st,
                  int64_t B, int64_t H, int64_t T, int64_t cols) {
  if (B == 0 || H == 0 || T == 0 || cols == 0) return;
  int64_t last = cols;
  last = checked_add(env, what, last, checked_mul(env, what, B - 1, sb));
  last = checked_add(env, what, last, checked_mul(env, what, H - 1, sh));
  last = checked_add(env, what, last, checked_mul(env, what, T - 1, st));
  check_range(env, what, a.length, off, last);
}

template <typename L>
k::AttnView read_view(const Napi::CallbackInfo& info, size_t i, const char* what, const Args<L>& args,
                      typename L::Field off, int64_t B, int64_t H, int64_t T, int64_t cols) {
  auto field = [&](int delta) { return args.integer(static_cast<typename L::Field>(off + delta), 0, kMaxExtent); };
  F32 a = get_f32(info, i, what);
  k::AttnView v{nullptr, field(1), field(2), field(3)};
  const int64_t o = field(0);
  check_extent(info.Env(), what, a, o, v.sb, v.sh, v.st, B, H, T, cols);
  v.p = a.data + o;
  return v;
}

// A dense array of n floats from the offset in field `off`.
template <typename L>
float* read_dense(const Napi::CallbackInfo& info, size_t i, const char* what, const Args<L>& args,
                  typename L::Field off, int64_t n) {
  F32 a = get_f32(info, i, what);
  const int64_t o = args.integer(off, 0, kMaxExtent);
  check_range(info.Env(), what, a.length, o, n);
  return a.data + o;
}

// The shape fields and q, k, v, mask (arguments 0-3) shared by both directions.
template <typename L>
k::SdpaShape read_sdpa_shape(const Napi::CallbackInfo& info, const Args<L>& args) {
  k::SdpaShape s{};
  s.batch = args.integer(L::batch, 0, kMaxExtent);
  s.heads = args.integer(L::heads, 0, kMaxExtent);
  s.tq = args.integer(L::tq, 0, kMaxExtent);
  s.tk = args.integer(L::tk, 0, kMaxExtent);
  s.d = args.integer(L::d, 0, kMaxExtent);
  s.dv = args.integer(L::dv, 0, kMaxExtent);
  s.q = read_view(info, 0, "sdpa q", args, L::qOffset, s.batch, s.heads, s.tq, s.d);
  s.k = read_view(info, 1, "sdpa k", args, L::kOffset, s.batch, s.heads, s.tk, s.d);
  s.v = read_view(info, 2, "sdpa v", args, L::vOffset, s.batch, s.heads, s.tk, s.dv);
  const int64_t kind = args.integer(L::maskKind, 0, 2);
  s.mask_kind = static_cast<k::AttnMask>(kind);
  if (kind != 0) {
    if (absent(info, 3)) throw_range(info.Env(), "sdpa: maskKind needs a mask");
    s.mask = read_view(info, 3, "sdpa mask", args, L::maskOffset, s.batch, s.heads, s.tq, s.tk);
  }
  s.causal = args.integer(L::causal, 0, 1) != 0;
  s.scale = static_cast<float>(args.number(L::scale));
  s.masked_value = static_cast<float>(args.number(L::maskedValue));
  return s;
}

// sdpaForward(q, k, v, mask?, out, lse, args)
Napi::Value sdpa_forward_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::sdpaForward;
  Args<L> args(info, 6);
  k::SdpaForward a{};
  a.s = read_sdpa_shape(info, args);
  const int64_t rows = checked_volume(info.Env(), "sdpa", {a.s.batch, a.s.heads, a.s.tq});
  {
    // The out view must lie in its array and not overlap itself (threads write its rows at once):
    // its strides must nest, whichever order the axes are laid out in.
    F32 out = get_f32(info, 4, "sdpa out");
    const int64_t off = args.integer(L::outOffset, 0, kMaxExtent);
    a.out_sb = args.integer(L::outStrideB, 0, kMaxExtent);
    a.out_sh = args.integer(L::outStrideH, 0, kMaxExtent);
    a.out_st = args.integer(L::outStrideT, 0, kMaxExtent);
    int64_t ext[3][2] = {{a.s.tq, a.out_st}, {a.s.heads, a.out_sh}, {a.s.batch, a.out_sb}};
    // Sorted by stride, each stride must cover the extent of the axes below it.
    for (int x = 0; x < 3; x++)
      for (int y = x + 1; y < 3; y++)
        if (ext[y][1] < ext[x][1]) std::swap(ext[x], ext[y]);
    int64_t span = a.s.dv;
    for (auto& e : ext) {
      if (e[0] > 1 && e[1] < span) throw_range(info.Env(), "sdpa out: overlapping strides");
      if (e[0] > 1) span = checked_add(info.Env(), "sdpa out", span, checked_mul(info.Env(), "sdpa out", e[0] - 1, e[1]));
    }
    check_extent(info.Env(), "sdpa out", out, off, a.out_sb, a.out_sh, a.out_st, a.s.batch, a.s.heads, a.s.tq, a.s.dv);
    a.out = out.data + off;
  }
  a.lse = read_dense(info, 5, "sdpa lse", args, L::lseOffset, rows);
  return dispatch(info, async, [=] { k::sdpa_forward(a); }, {0, 1, 2, 3, 4, 5});
}

// sdpaBackward(q, k, v, mask?, out, dout, lse, dq, dk, dv, args)
Napi::Value sdpa_backward_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::sdpaBackward;
  Args<L> args(info, 10);
  k::SdpaBackward a{};
  a.s = read_sdpa_shape(info, args);
  const k::SdpaShape& s = a.s;
  const int64_t bh = checked_mul(info.Env(), "sdpa", s.batch, s.heads);
  a.out = read_dense(info, 4, "sdpa out", args, L::outOffset, checked_volume(info.Env(), "sdpa", {bh, s.tq, s.dv}));
  a.dout = read_view(info, 5, "sdpa dout", args, L::doutOffset, s.batch, s.heads, s.tq, s.dv);
  a.lse = read_dense(info, 6, "sdpa lse", args, L::lseOffset, checked_volume(info.Env(), "sdpa", {bh, s.tq}));
  a.dq = read_dense(info, 7, "sdpa dq", args, L::dqOffset, checked_volume(info.Env(), "sdpa", {bh, s.tq, s.d}));
  a.dk = read_dense(info, 8, "sdpa dk", args, L::dkOffset, checked_volume(info.Env(), "sdpa", {bh, s.tk, s.d}));
  a.dv = read_dense(info, 9, "sdpa dv", args, L::dvOffset, checked_volume(info.Env(), "sdpa", {bh, s.tk, s.dv}));
  return dispatch(info, async, [=] { k::sdpa_backward(a); }, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
}

// layerNormForward(x, gamma?, beta?, y, mean, rstd, args)
Napi::Value layer_norm_forward_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::layerNormForward;
  Args<L> args(info, 6);
  k::LayerNormForward a{};
  a.rows = args.integer(L::rows, 0, kMaxExtent);
  a.n = args.integer(L::n, 1, kMaxExtent);
  a.x = read_dense(info, 0, "layerNorm x", args, L::xOffset, checked_mul(info.Env(), "layerNorm", a.rows, a.n));
  a.gamma = absent(info, 1) ? nullptr : read_dense(info, 1, "layerNorm gamma", args, L::gammaOffset, a.n);
  a.beta = absent(info, 2) ? nullptr : read_dense(info, 2, "layerNorm beta", args, L::betaOffset, a.n);
  a.eps = static_cast<float>(args.number(L::eps));
  a.y = read_dense(info, 3, "layerNorm y", args, L::yOffset, checked_mul(info.Env(), "layerNorm", a.rows, a.n));
  a.mean = read_dense(info, 4, "layerNorm mean", args, L::meanOffset, a.rows);
  a.rstd = read_dense(info, 5, "layerNorm rstd", args, L::rstdOffset, a.rows);
  return dispatch(info, async, [=] { k::layer_norm_forward(a); }, {0, 1, 2, 3, 4, 5});
}

// layerNormBackward(x, gamma?, mean, rstd, dy, dx, dgamma?, dbeta?, args)
Napi::Value layer_norm_backward_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::layerNormBackward;
  Args<L> args(info, 8);
  k::LayerNormBackward a{};
  a.rows = args.integer(L::rows, 0, kMaxExtent);
  a.n = args.integer(L::n, 1, kMaxExtent);
  a.x = read_dense(info, 0, "layerNorm x", args, L::xOffset, checked_mul(info.Env(), "layerNorm", a.rows, a.n));
  a.gamma = absent(info, 1) ? nullptr : read_dense(info, 1, "layerNorm gamma", args, L::gammaOffset, a.n);
  a.mean = read_dense(info, 2, "layerNorm mean", args, L::meanOffset, a.rows);
  a.rstd = read_dense(info, 3, "layerNorm rstd", args, L::rstdOffset, a.rows);
  a.dy = read_dense(info, 4, "layerNorm dy", args, L::dyOffset, checked_mul(info.Env(), "layerNorm", a.rows, a.n));
  a.dx = read_dense(info, 5, "layerNorm dx", args, L::dxOffset, checked_mul(info.Env(), "layerNorm", a.rows, a.n));
  a.dgamma = absent(info, 6) ? nullptr : read_dense(info, 6, "layerNorm dgamma", args, L::dgammaOffset, a.n);
  a.dbeta = absent(info, 7) ? nullptr : read_dense(info, 7, "layerNorm dbeta", args, L::dbetaOffset, a.n);
  return dispatch(info, async, [=] { k::layer_norm_backward(a); }, {0, 1, 2, 3, 4, 5, 6, 7});
}

// outer * c * inner, the element count of a batch-norm tensor; a product past 2^46 elements is
// refused before any view is read.
int64_t batch_norm_size(Napi::Env env, int64_t outer, int64_t c, int64_t inner) {
  constexpr int64_t kMaxElements = int64_t{1} << 46;
  if (outer == 0 || c == 0 || inner == 0) return 0;
  if (outer > kMaxElements / c || outer * c > kMaxElements / inner) {
    throw_range(env, "batchNorm: outer * c * inner = " + std::to_string(outer) + " * " + std::to_string(c) + " * " +
                         std::to_string(inner) + " exceeds 2^46 elements");
  }
  return outer * c * inner;
}

// batchNormForward(x, gamma?, beta?, y, mean, variance, rstd, scaleShift?, args): clamp 1 fuses
// y = min(max(y, lo), hi); scaleShift [2c] receives the factors the backward's mask needs.
Napi::Value batch_norm_forward_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::batchNormForward;
  Args<L> args(info, 8);
  k::BatchNormForward a{};
  a.outer = args.integer(L::outer, 0, kMaxExtent);
  a.c = args.integer(L::c, 1, kMaxExtent);
  a.inner = args.integer(L::inner, 1, kMaxExtent);
  const int64_t size = batch_norm_size(info.Env(), a.outer, a.c, a.inner);
  a.x = read_dense(info, 0, "batchNorm x", args, L::xOffset, size);
  a.gamma = absent(info, 1) ? nullptr : read_dense(info, 1, "batchNorm gamma", args, L::gammaOffset, a.c);
  a.beta = absent(info, 2) ? nullptr : read_dense(info, 2, "batchNorm beta", args, L::betaOffset, a.c);
  a.eps = static_cast<float>(args.number(L::eps));
  a.y = read_dense(info, 3, "batchNorm y", args, L::yOffset, size);
  a.mean = read_dense(info, 4, "batchNorm mean", args, L::meanOffset, a.c);
  a.variance = read_dense(info, 5, "batchNorm variance", args, L::varianceOffset, a.c);
  a.rstd = read_dense(info, 6, "batchNorm rstd", args, L::rstdOffset, a.c);
  a.scale_shift = absent(info, 7) ? nullptr : read_dense(info, 7, "batchNorm scaleShift", args, L::scaleShiftOffset, 2 * a.c);
  a.clamp = args.integer(L::clamp, 0, 1) == 1;
  a.lo = static_cast<float>(args.number(L::lo));
  a.hi = static_cast<float>(args.number(L::hi));
  if (a.clamp && !(a.lo <= a.hi)) throw_range(info.Env(), "batchNormForward: clamp needs lo <= hi");
  return dispatch(info, async, [=] { k::batch_norm_forward(a); }, {0, 1, 2, 3, 4, 5, 6, 7});
}

// batchNormBackward(x, gamma?, mean, rstd, dy, dx, dgamma?, dbeta?, zScaleShift?, args): with
// zScaleShift (the forward's scaleShift), dy counts only where maskLo <= z <= maskHi.
Napi::Value batch_norm_backward_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::batchNormBackward;
  Args<L> args(info, 9);
  k::BatchNormBackward a{};
  a.outer = args.integer(L::outer, 0, kMaxExtent);
  a.c = args.integer(L::c, 1, kMaxExtent);
  a.inner = args.integer(L::inner, 1, kMaxExtent);
  const int64_t size = batch_norm_size(info.Env(), a.outer, a.c, a.inner);
  a.x = read_dense(info, 0, "batchNorm x", args, L::xOffset, size);
  a.gamma = absent(info, 1) ? nullptr : read_dense(info, 1, "batchNorm gamma", args, L::gammaOffset, a.c);
  a.mean = read_dense(info, 2, "batchNorm mean", args, L::meanOffset, a.c);
  a.rstd = read_dense(info, 3, "batchNorm rstd", args, L::rstdOffset, a.c);
  a.dy = read_dense(info, 4, "batchNorm dy", args, L::dyOffset, size);
  a.dx = read_dense(info, 5, "batchNorm dx", args, L::dxOffset, size);
  a.dgamma = absent(info, 6) ? nullptr : read_dense(info, 6, "batchNorm dgamma", args, L::dgammaOffset, a.c);
  a.dbeta = absent(info, 7) ? nullptr : read_dense(info, 7, "batchNorm dbeta", args, L::dbetaOffset, a.c);
  a.z_scale_shift = absent(info, 8) ? nullptr : read_dense(info, 8, "batchNorm zScaleShift", args, L::zOffset, 2 * a.c);
  a.mask_lo = static_cast<float>(args.number(L::maskLo));
  a.mask_hi = static_cast<float>(args.number(L::maskHi));
  return dispatch(info, async, [=] { k::batch_norm_backward(a); }, {0, 1, 2, 3, 4, 5, 6, 7, 8});
}

// channelAffine(x, scale, shift, y, args): y = act(x * scale + shift) per channel, act the unary
// op of code `activation` (-1: none) with p0, p1.
Napi::Value channel_affine_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::channelAffine;
  Args<L> args(info, 4);
  k::ChannelAffine a{};
  a.outer = args.integer(L::outer, 0, kMaxExtent);
  a.c = args.integer(L::c, 1, kMaxExtent);
  a.inner = args.integer(L::inner, 1, kMaxExtent);
  const int64_t size = batch_norm_size(info.Env(), a.outer, a.c, a.inner);
  // 0: dense rows; else (channels-last only) rows that far apart in x.
  const int64_t ldx = args.integer(L::xRowStride, 0, kMaxExtent);
  if (ldx != 0 && (a.inner != 1 || ldx < a.c)) throw_range(info.Env(), "channelAffine: xRowStride needs inner = 1 and xRowStride >= c");
  a.ldx = ldx == 0 ? a.c * a.inner : ldx;
  a.x = read_dense(info, 0, "channelAffine x", args, L::xOffset, size == 0 ? 0 : (a.outer - 1) * a.ldx + a.c * a.inner);
  a.scale = read_dense(info, 1, "channelAffine scale", args, L::scaleOffset, a.c);
  a.shift = read_dense(info, 2, "channelAffine shift", args, L::shiftOffset, a.c);
  a.y = read_dense(info, 3, "channelAffine y", args, L::yOffset, size);
  const int64_t act = args.integer(L::activation, -1, static_cast<int64_t>(k::UnaryOp::Count) - 1);
  a.has_activation = act >= 0;
  if (a.has_activation) a.activation = static_cast<k::UnaryOp>(act);
  a.p0 = static_cast<float>(args.number(L::p0));
  a.p1 = static_cast<float>(args.number(L::p1));
  return dispatch(info, async, [=] { k::channel_affine(a); }, {0, 1, 2, 3});
}

}  // namespace

void register_attention_ops(Napi::Env env, Napi::Object exports) {
  export_entry<layout::sdpaForward>(env, exports, "sdpaForward", sdpa_forward_entry);
  export_entry<layout::sdpaBackward>(env, exports, "sdpaBackward", sdpa_backward_entry);
  export_entry<layout::layerNormForward>(env, exports, "layerNormForward", layer_norm_forward_entry);
  export_entry<layout::layerNormBackward>(env, exports, "layerNormBackward", layer_norm_backward_entry);
  export_entry<layout::batchNormForward>(env, exports, "batchNormForward", batch_norm_forward_entry);
  export_entry<layout::batchNormBackward>(env, exports, "batchNormBackward", batch_norm_backward_entry);
  export_entry<layout::channelAffine>(env, exports, "channelAffine", channel_affine_entry);
}

}  // namespace tf::binding
