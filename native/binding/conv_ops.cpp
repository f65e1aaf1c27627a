// Entry points of the conv kernels. All three share the conv2d layout (binding/layouts.h), where x
// is the NHWC input (or input gradient), w the HWIO filter (or its gradient) and y the NHWC output
// (or output gradient). Everything is validated here: a bad call throws, never crashes.
#include <cstdint>
#include <string>

#include "binding/job.h"
#include "binding/layouts.h"
#include "binding/js_args.h"
#include "binding/ops.h"
#include "kernels/conv/conv.h"

namespace tf::binding {
namespace k = tf::kernels;
namespace {

constexpr int64_t kMaxDim = int64_t{1} << 31;
constexpr int64_t kMaxOffset = int64_t{1} << 53;

struct ConvCall {
  k::ConvShape s;
  int64_t x_off, w_off, y_off;
};

ConvCall read_conv(const Napi::CallbackInfo& info, size_t args_index, const char* fn, int64_t x_len,
                   int64_t w_len, int64_t y_len) {
  using L = layout::conv2d;
  Napi::Env env = info.Env();
  Args<L> args(info, args_index);
  ConvCall c{};
  k::ConvShape& s = c.s;
  auto dim = [&](L::Field f) { return args.integer(f, 0, kMaxDim); };
  auto offset = [&](L::Field f) { return args.integer(f, 0, kMaxOffset); };
  s.n = dim(L::n);
  s.h = dim(L::h);
  s.w = dim(L::w);
  s.c = dim(L::c);
  s.kh = dim(L::kh);
  s.kw = dim(L::kw);
  s.cout = dim(L::cout);
  s.oh = dim(L::oh);
  s.ow = dim(L::ow);
  s.sh = dim(L::sh);
  s.sw = dim(L::sw);
  s.dh = dim(L::dh);
  s.dw = dim(L::dw);
  s.pad_top = dim(L::padTop);
  s.pad_left = dim(L::padLeft);
  s.groups = dim(L::groups);
  c.x_off = offset(L::xOffset);
  c.w_off = offset(L::wOffset);
  c.y_off = offset(L::yOffset);
  s.ldx = dim(L::xPixelStride);
  s.ldy = dim(L::yPixelStride);
  if (s.sh < 1 || s.sw < 1 || s.dh < 1 || s.dw < 1) throw_range(env, std::string(fn) + ": strides and dilations must be >= 1");
  if (s.groups < 1 || s.c % s.groups != 0 || s.cout % s.groups != 0) {
    throw_range(env, std::string(fn) + ": groups must divide the input and output channels");
  }
  // Sizes are < 2^31 each; check products step by step so none can overflow.
  auto mul = [&](int64_t a, int64_t b) {
    if (a != 0 && b > (int64_t{1} << 53) / a) throw_range(env, std::string(fn) + ": tensor too large");
    return a * b;
  };
  int64_t x_size = mul(mul(mul(s.n, s.h), s.w), s.c);
  if (s.ldx != 0) {
    if (s.ldx < s.c) throw_range(env, std::string(fn) + ": xPixelStride must be 0 or at least c");
    const int64_t pixels = mul(mul(s.n, s.h), s.w);
    x_size = pixels == 0 ? 0 : mul(pixels - 1, s.ldx) + s.c;
  }
  const int64_t w_size = mul(mul(mul(s.kh, s.kw), s.c / s.groups), s.cout);
  int64_t y_size = mul(mul(mul(s.n, s.oh), s.ow), s.cout);
  if (s.ldy != 0) {
    if (s.ldy < s.cout) throw_range(env, std::string(fn) + ": yPixelStride must be 0 or at least cout");
    const int64_t pixels = mul(mul(s.n, s.oh), s.ow);
    y_size = pixels == 0 ? 0 : mul(pixels - 1, s.ldy) + s.cout;
  }
  check_range(env, (std::string(fn) + " x").c_str(), x_len, c.x_off, x_size);
  check_range(env, (std::string(fn) + " w").c_str(), w_len, c.w_off, w_size);
  check_range(env, (std::string(fn) + " y").c_str(), y_len, c.y_off, y_size);
  return c;
}

// conv2d(x, w, y, args, bias | null, activation, p0, p1, residual | null):
// y = act(conv(x, w) + bias + residual), act the unary op of code `activation` (-1: none) with
// parameters p0, p1; bias is [cout], residual has y's size (both at offset 0 of their arrays).
Napi::Value conv2d_entry(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  F32 x = get_f32(info, 0, "x");
  F32 w = get_f32(info, 1, "w");
  F32 y = get_f32(info, 2, "y");
  ConvCall c = read_conv(info, 3, "conv2d", x.length, w.length, y.length);
  if (c.s.ldx != 0 && c.s.ldx != c.s.c &&
      !(c.s.groups == 1 && c.s.kh == 1 && c.s.kw == 1 && c.s.sh == 1 && c.s.sw == 1 && c.s.pad_top == 0 && c.s.pad_left == 0 &&
        c.s.oh == c.s.h && c.s.ow == c.s.w)) {
    throw_range(info.Env(), "conv2d: an xPixelStride other than c needs a pointwise (1x1, stride 1, unpadded) ungrouped convolution");
  }
  k::ConvEpilogue ep;
  if (info.Length() > 4 && !info[4].IsNull() && !info[4].IsUndefined()) {
    F32 b = get_f32(info, 4, "bias");
    check_range(env, "conv2d bias", b.length, 0, c.s.cout);
    ep.bias = b.data;
  }
  if (info.Length() < 9 || !info[5].IsNumber() || !info[6].IsNumber() || !info[7].IsNumber()) {
    throw_range(env, "conv2d: expected (x, w, y, args, bias, activation, p0, p1, residual)");
  }
  const int64_t act = info[5].As<Napi::Number>().Int64Value();
  if (act < -1 || act >= static_cast<int64_t>(k::UnaryOp::Count)) throw_range(env, "conv2d: unknown activation code");
  ep.has_activation = act >= 0;
  if (ep.has_activation) ep.activation = static_cast<k::UnaryOp>(act);
  ep.p0 = info[6].As<Napi::Number>().FloatValue();
  ep.p1 = info[7].As<Napi::Number>().FloatValue();
  if (!info[8].IsNull() && !info[8].IsUndefined()) {
    F32 r = get_f32(info, 8, "residual");
    check_range(env, "conv2d residual", r.length, 0, checked_volume(env, "conv2d residual", {c.s.n, c.s.oh, c.s.ow, c.s.cout}));
    ep.residual = r.data;
  }
  // packed, packedWidth: the filter as gemmPackB packed it (ungrouped convolutions only).
  k::PackedB packed;
  if (info.Length() > 9 && !info[9].IsNull() && !info[9].IsUndefined()) {
    F32 pk = get_f32(info, 9, "packed");
    if (info.Length() < 11 || !info[10].IsNumber()) throw_range(env, "conv2d: a packed filter needs its panel width");
    const int64_t width = info[10].As<Napi::Number>().Int64Value();
    if (width < 1 || width > 64) throw_range(env, "conv2d: packed panel width must be in [1, 64]");
    if (c.s.groups != 1) throw_range(env, "conv2d: a packed filter is for ungrouped convolutions");
    const int64_t depth = checked_volume(env, "conv2d packed", {c.s.kh, c.s.kw, c.s.c});
    check_range(env, "conv2d packed", pk.length, 0, checked_volume(env, "conv2d packed", {(c.s.cout + width - 1) / width, width, depth}));
    packed.data = pk.data;
    packed.nr = width;
  }
  const float* xp = x.data + c.x_off;
  const float* wp = w.data + c.w_off;
  float* yp = y.data + c.y_off;
  k::ConvShape s = c.s;
  return dispatch(info, async, [=] { k::conv2d_forward(s, xp, wp, yp, ep, packed); }, {0, 1, 2, 4, 8, 9});
}

// conv2dBackpropInput(dy, w, dx, args): dx = conv^T(dy, w)
Napi::Value conv2d_backprop_input_entry(const Napi::CallbackInfo& info, bool async) {
  F32 dy = get_f32(info, 0, "dy");
  F32 w = get_f32(info, 1, "w");
  F32 dx = get_f32(info, 2, "dx");
  ConvCall c = read_conv(info, 3, "conv2dBackpropInput", dx.length, w.length, dy.length);
  if (c.s.ldx != 0 || c.s.ldy != 0) throw_range(info.Env(), "conv2dBackpropInput: xPixelStride and yPixelStride must be 0");
  const float* dyp = dy.data + c.y_off;
  const float* wp = w.data + c.w_off;
  float* dxp = dx.data + c.x_off;
  k::ConvShape s = c.s;
  return dispatch(info, async, [=] { k::conv2d_backward_input(s, dyp, wp, dxp); }, {0, 1, 2});
}

// conv2dTransposeDisjoint(dy, w, dx, args, bias | null, packed | null, packedWidth): dx = conv^T(dy, w)
// + bias for a stride equal to the kernel (no padding, dilation or groups; see conv.h); packed is w
// as conv2dTransposeDisjointPack packed it at width packedWidth.
Napi::Value conv2d_transpose_disjoint_entry(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  F32 dy = get_f32(info, 0, "dy");
  F32 w = get_f32(info, 1, "w");
  F32 dx = get_f32(info, 2, "dx");
  ConvCall c = read_conv(info, 3, "conv2dTransposeDisjoint", dx.length, w.length, dy.length);
  if (!k::conv2d_transpose_is_disjoint(c.s)) {
    throw_range(env, "conv2dTransposeDisjoint: needs strides equal to the kernel, no padding or dilation, groups 1, h = oh * kh, w = ow * kw");
  }
  if (info.Length() < 7 || !info[6].IsNumber()) throw_range(env, "conv2dTransposeDisjoint: expected (dy, w, dx, args, bias, packed, packedWidth)");
  const float* bp = nullptr;
  if (!info[4].IsNull() && !info[4].IsUndefined()) {
    F32 b = get_f32(info, 4, "bias");
    check_range(env, "conv2dTransposeDisjoint bias", b.length, 0, c.s.c);
    bp = b.data;
  }
  k::PackedB packed;
  if (!info[5].IsNull() && !info[5].IsUndefined()) {
    F32 pk = get_f32(info, 5, "packed");
    const int64_t width = info[6].As<Napi::Number>().Int64Value();
    // A packing at another width (made before the SIMD level changed) is ignored: w is packed anew.
    if (width == k::sgemm_pack_b_width()) {
      check_range(env, "conv2dTransposeDisjoint packed", pk.length, 0,
                  k::conv2d_transpose_disjoint_packed_size(c.s.kh, c.s.kw, c.s.c, c.s.cout));
      packed.data = pk.data;
      packed.nr = width;
    }
  }
  const float* dyp = dy.data + c.y_off;
  const float* wp = w.data + c.w_off;
  float* dxp = dx.data + c.x_off;
  k::ConvShape s = c.s;
  return dispatch(info, async, [=] { k::conv2d_transpose_disjoint(s, dyp, wp, bp, packed, dxp); }, {0, 1, 2, 4, 5});
}

// conv2dTransposeDisjointPack(w, packed, args): w [kh, kw, c, cout] (from wOffset) packed for
// conv2dTransposeDisjoint at the active width (gemmPackWidth).
Napi::Value conv2d_transpose_disjoint_pack_entry(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  F32 w = get_f32(info, 0, "w");
  F32 packed = get_f32(info, 1, "packed");
  ConvCall c = read_conv(info, 2, "conv2dTransposeDisjointPack", int64_t{1} << 53, w.length, int64_t{1} << 53);
  if (c.s.groups != 1) throw_range(env, "conv2dTransposeDisjointPack: groups must be 1");
  check_range(env, "conv2dTransposeDisjointPack packed", packed.length, 0,
              k::conv2d_transpose_disjoint_packed_size(c.s.kh, c.s.kw, c.s.c, c.s.cout));
  const float* wp = w.data + c.w_off;
  float* pp = packed.data;
  k::ConvShape s = c.s;
  return dispatch(info, async, [=] { k::conv2d_transpose_disjoint_pack(s.kh, s.kw, s.c, s.cout, wp, pp); }, {0, 1});
}

// conv2dBackpropFilter(x, dy, dw, args): dw = d<dy, conv(x, w)>/dw
Napi::Value conv2d_backprop_filter_entry(const Napi::CallbackInfo& info, bool async) {
  F32 x = get_f32(info, 0, "x");
  F32 dy = get_f32(info, 1, "dy");
  F32 dw = get_f32(info, 2, "dw");
  ConvCall c = read_conv(info, 3, "conv2dBackpropFilter", x.length, dw.length, dy.length);
  if (c.s.ldx != 0 || c.s.ldy != 0) throw_range(info.Env(), "conv2dBackpropFilter: xPixelStride and yPixelStride must be 0");
  const float* xp = x.data + c.x_off;
  const float* dyp = dy.data + c.y_off;
  float* dwp = dw.data + c.w_off;
  k::ConvShape s = c.s;
  return dispatch(info, async, [=] { k::conv2d_backward_filter(s, xp, dyp, dwp); }, {0, 1, 2});
}

// conv2dReluGrad(dy, y, out, args): out = y > 0 ? dy : 0 over n elements
Napi::Value conv2d_relu_grad_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::conv2dReluGrad;
  Napi::Env env = info.Env();
  F32 dy = get_f32(info, 0, "dy");
  F32 y = get_f32(info, 1, "y");
  F32 out = get_f32(info, 2, "out");
  Args<L> args(info, 3);
  const int64_t size = args.integer(L::n, 0, kMaxOffset);
  const int64_t dy_off = args.integer(L::dyOffset, 0, kMaxOffset);
  const int64_t y_off = args.integer(L::yOffset, 0, kMaxOffset);
  const int64_t out_off = args.integer(L::outOffset, 0, kMaxOffset);
  check_range(env, "conv2dReluGrad dy", dy.length, dy_off, size);
  check_range(env, "conv2dReluGrad y", y.length, y_off, size);
  check_range(env, "conv2dReluGrad out", out.length, out_off, size);
  const float* dyp = dy.data + dy_off;
  const float* yp = y.data + y_off;
  float* op = out.data + out_off;
  return dispatch(info, async, [=] { k::conv2d_relu_grad(size, dyp, yp, op); }, {0, 1, 2});
}

// clipGrad(dy, x, out, args): out = lo <= x <= hi ? dy : 0 over n elements
Napi::Value clip_grad_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::clipGrad;
  Napi::Env env = info.Env();
  F32 dy = get_f32(info, 0, "dy");
  F32 x = get_f32(info, 1, "x");
  F32 out = get_f32(info, 2, "out");
  Args<L> args(info, 3);
  const int64_t size = args.integer(L::n, 0, kMaxOffset);
  const int64_t dy_off = args.integer(L::dyOffset, 0, kMaxOffset);
  const int64_t x_off = args.integer(L::xOffset, 0, kMaxOffset);
  const int64_t out_off = args.integer(L::outOffset, 0, kMaxOffset);
  const float lo = static_cast<float>(args.number(L::lo));
  const float hi = static_cast<float>(args.number(L::hi));
  check_range(env, "clipGrad dy", dy.length, dy_off, size);
  check_range(env, "clipGrad x", x.length, x_off, size);
  check_range(env, "clipGrad out", out.length, out_off, size);
  const float* dyp = dy.data + dy_off;
  const float* xp = x.data + x_off;
  float* op = out.data + out_off;
  return dispatch(info, async, [=] { k::clip_grad(size, dyp, xp, lo, hi, op); }, {0, 1, 2});
}

// conv2dFilterLayout(src, dst, args): filter [O, I, kh*kw] <-> [kh*kw, I, O] (toTapsFirst 1: OIHW -> HWIO)
Napi::Value conv2d_filter_layout_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::conv2dFilterLayout;
  Napi::Env env = info.Env();
  F32 src = get_f32(info, 0, "src");
  F32 dst = get_f32(info, 1, "dst");
  Args<L> args(info, 2);
  constexpr int64_t kMaxExtent = int64_t{1} << 31;
  const int64_t o = args.integer(L::o, 0, kMaxExtent);
  const int64_t i = args.integer(L::i, 0, kMaxExtent);
  const int64_t t = args.integer(L::t, 0, kMaxExtent);
  const bool to_taps_first = args.integer(L::toTapsFirst, 0, 1) == 1;
  const int64_t src_off = args.integer(L::srcOffset, 0, kMaxOffset);
  const int64_t dst_off = args.integer(L::dstOffset, 0, kMaxOffset);
  // Each extent < 2^31 but the product can pass 2^53: refused before any view is checked.
  if (o > 0 && i > 0 && t > 0 && (o > kMaxOffset / i || o * i > kMaxOffset / t)) {
    throw_range(env, "conv2dFilterLayout: o * i * t exceeds 2^53 elements");
  }
  const int64_t size = o * i * t;
  check_range(env, "conv2dFilterLayout src", src.length, src_off, size);
  check_range(env, "conv2dFilterLayout dst", dst.length, dst_off, size);
  const float* sp = src.data + src_off;
  float* dp = dst.data + dst_off;
  return dispatch(info, async, [=] { k::conv2d_filter_layout(o, i, t, to_taps_first, sp, dp); }, {0, 1});
}

}  // namespace

void register_conv_ops(Napi::Env env, Napi::Object exports) {
  export_entry<layout::conv2d>(env, exports, "conv2d", conv2d_entry);
  export_entry<layout::conv2d>(env, exports, "conv2dBackpropInput", conv2d_backprop_input_entry);
  export_entry<layout::conv2d>(env, exports, "conv2dBackpropFilter", conv2d_backprop_filter_entry);
  export_entry<layout::conv2d>(env, exports, "conv2dTransposeDisjoint", conv2d_transpose_disjoint_entry);
  export_entry<layout::conv2d>(env, exports, "conv2dTransposeDisjointPack", conv2d_transpose_disjoint_pack_entry);
  export_entry<layout::conv2dReluGrad>(env, exports, "conv2dReluGrad", conv2d_relu_grad_entry);
  export_entry<layout::conv2dFilterLayout>(env, exports, "conv2dFilterLayout", conv2d_filter_layout_entry);
  export_entry<layout::clipGrad>(env, exports, "clipGrad", clip_grad_entry);
}

}  // namespace tf::binding
