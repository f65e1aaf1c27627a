// Entry points of the integer kernels (kernels/quant/quant.h; contract and TS reference in
// src/ops/quant-kernels.ts). Every size, range and value the kernels rely on is checked here.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "binding/job.h"
#include "binding/js_args.h"
#include "binding/layouts.h"
#include "binding/ops.h"
#include "kernels/quant/quant.h"

namespace tf::binding {
namespace layout {
// activation: 0 none, 1 relu, 2 relu6; outScale / outZeroPoint are read for a uint8 out.
#define TF_QGEMM_FIELDS(F) F(m) F(n) F(k) F(aZeroPoint) F(scaleA) F(activation) F(outScale) F(outZeroPoint)
#define TF_QCONV2D_FIELDS(F)                                                                       \
  F(n) F(h) F(w) F(c) F(kh) F(kw) F(cout) F(oh) F(ow) F(sh) F(sw) F(dh) F(dw) F(padTop) F(padLeft) \
  F(groups) F(depthwise) F(xZeroPoint) F(scaleX) F(activation) F(outScale) F(outZeroPoint)
// mode: 0 the given scale / zero point, 1 dynamic over the whole tensor, 2 dynamic per row.
#define TF_QUANTIZE_LINEAR_FIELDS(F) F(rows) F(cols) F(mode)
// lo / hi: the output clamps (0..255) of the fused activation; poolH = 0: no fused max pooling.
#define TF_QCONV2D_DIRECT_FIELDS(F)                                                                \
  F(n) F(h) F(w) F(c) F(kh) F(kw) F(cout) F(oh) F(ow) F(sh) F(sw) F(dh) F(dw) F(padTop) F(padLeft) \
  F(xZeroPoint) F(xScale) F(lo) F(hi) F(poolH) F(poolW) F(poolSh) F(poolSw) F(poolOh) F(poolOw)
#define TF_QMAX_POOL2D_FIELDS(F) F(n) F(h) F(w) F(c) F(kh) F(kw) F(oh) F(ow) F(sh) F(sw) F(padTop) F(padLeft)
TF_LAYOUT(qgemm, TF_QGEMM_FIELDS)
TF_LAYOUT(qconv2dDirect, TF_QCONV2D_DIRECT_FIELDS)
TF_LAYOUT(qmaxPool2d, TF_QMAX_POOL2D_FIELDS)
TF_LAYOUT(qconv2d, TF_QCONV2D_FIELDS)
TF_LAYOUT(quantizeLinear, TF_QUANTIZE_LINEAR_FIELDS)
}  // namespace layout

namespace k = tf::kernels;
namespace {

constexpr int64_t kMaxDim = (int64_t{1} << 31) - 1;
constexpr int64_t kMaxSize = int64_t{1} << 53;

struct Bytes {
  void* data;
  int64_t length;
  napi_typedarray_type type;
};

Bytes get_typed(const Napi::CallbackInfo& info, size_t i, const char* what) {
  Bytes b{nullptr, 0, napi_int8_array};
  size_t len = 0;
  if (i >= info.Length() ||
      napi_get_typedarray_info(info.Env(), info[i], &b.type, &len, &b.data, nullptr, nullptr) != napi_ok) {
    napi_value ignored;
    bool pending = false;
    napi_is_exception_pending(info.Env(), &pending);
    if (pending) napi_get_and_clear_last_exception(info.Env(), &ignored);
    throw Napi::TypeError::New(info.Env(), std::string("tensorforge native: ") + what + " must be a typed array");
  }
  b.length = static_cast<int64_t>(len);
  return b;
}

Bytes get_kind(const Napi::CallbackInfo& info, size_t i, const char* what, napi_typedarray_type want, const char* name) {
  Bytes b = get_typed(info, i, what);
  if (b.type != want) {
    throw Napi::TypeError::New(info.Env(), std::string("tensorforge native: ") + what + " must be " + name);
  }
  return b;
}

// uint8 or int8 activations: returns whether they are int8.
bool get_activations(const Napi::CallbackInfo& info, size_t i, const char* what, Bytes* out) {
  *out = get_typed(info, i, what);
  if (out->type == napi_uint8_array) return false;
  if (out->type == napi_int8_array) return true;
  throw Napi::TypeError::New(info.Env(), std::string("tensorforge native: ") + what + " must be a Uint8Array or Int8Array");
}

int64_t mul(Napi::Env env, const char* fn, int64_t a, int64_t b) {
  if (a != 0 && b > kMaxSize / a) throw_range(env, std::string(fn) + ": tensor too large");
  return a * b;
}

int64_t packed_bytes(int64_t k, int64_t n) { return ((n + 15) / 16) * ((k + 3) / 4) * 64; }

float positive(Napi::Env env, const std::string& what, double v) {
  if (!(v > 0.0) || !std::isfinite(v) || !std::isfinite(static_cast<float>(v)) || static_cast<float>(v) <= 0.0f) {
    throw_range(env, what + " must be a finite number > 0, got " + number_text(v));
  }
  return static_cast<float>(v);
}

// The arrays every epilogue reads, checked for cols columns, plus the output's kind and length.
struct EpilogueArrays {
  k::QuantEpilogue ep;
  int64_t out_length;
};

EpilogueArrays read_epilogue(const Napi::CallbackInfo& info, const char* fn, size_t first, int64_t cols,
                             int64_t activation, double out_scale, int64_t out_zero_point) {
  Napi::Env env = info.Env();
  const std::string f(fn);
  EpilogueArrays r{};
  Bytes col_sums = get_kind(info, first, "colSums", napi_int32_array, "an Int32Array");
  Bytes scale = get_kind(info, first + 1, "scales", napi_float32_array, "a Float32Array");
  check_range(env, (f + " colSums").c_str(), col_sums.length, 0, cols);
  check_range(env, (f + " scales").c_str(), scale.length, 0, cols);
  r.ep.col_sums = static_cast<const int32_t*>(col_sums.data);
  r.ep.scale_b = static_cast<const float*>(scale.data);
  for (int64_t j = 0; j < cols; ++j) positive(env, f + " scales[" + std::to_string(j) + "]", r.ep.scale_b[j]);
  if (first + 2 < info.Length() && !info[first + 2].IsNull() && !info[first + 2].IsUndefined()) {
    Bytes bias = get_kind(info, first + 2, "bias", napi_float32_array, "a Float32Array");
    check_range(env, (f + " bias").c_str(), bias.length, 0, cols);
    r.ep.bias = static_cast<const float*>(bias.data);
  }
  if (activation < 0 || activation > 2) throw_range(env, f + ": activation must be 0, 1 or 2");
  r.ep.activation = static_cast<k::QuantActivation>(activation);
  Bytes out = get_typed(info, first + 3, "out");
  r.out_length = out.length;
  if (out.type == napi_float32_array) {
    r.ep.out_f32 = static_cast<float*>(out.data);
  } else if (out.type == napi_uint8_array) {
    r.ep.out_u8 = static_cast<uint8_t*>(out.data);
    r.ep.out_scale = positive(env, f + ".outScale", out_scale);
    if (out_zero_point < 0 || out_zero_point > 255) throw_range(env, f + ".outZeroPoint must be in [0, 255]");
    r.ep.out_zero_point = static_cast<int32_t>(out_zero_point);
  } else {
    throw Napi::TypeError::New(env, "tensorforge native: out must be a Float32Array or Uint8Array");
  }
  return r;
}

int32_t zero_point(Napi::Env env, const char* fn, bool is_signed, int64_t zp) {
  const int64_t lo = is_signed ? -128 : 0, hi = is_signed ? 127 : 255;
  if (zp < lo || zp > hi) {
    throw_range(env, std::string(fn) + ": the zero point must be in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                         "] for " + (is_signed ? "int8" : "uint8") + " activations, got " + std::to_string(zp));
  }
  return static_cast<int32_t>(zp);
}

// qgemm(a, bPacked, colSums, scaleB, bias | null, out, args)
Napi::Value qgemm_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::qgemm;
  Napi::Env env = info.Env();
  Bytes a;
  const bool a_signed = get_activations(info, 0, "a", &a);
  Bytes b = get_kind(info, 1, "bPacked", napi_int8_array, "an Int8Array");
  Args<L> args(info, 6);
  const int64_t m = args.integer(L::m, 0, kMaxDim);
  const int64_t n = args.integer(L::n, 1, kMaxDim);
  const int64_t kk = args.integer(L::k, 1, k::kQuantMaxDepth);
  const int32_t za = zero_point(env, "qgemm", a_signed, args.integer(L::aZeroPoint));
  EpilogueArrays r = read_epilogue(info, "qgemm", 2, n, args.integer(L::activation), args.number(L::outScale),
                                   args.integer(L::outZeroPoint));
  r.ep.scale_a = positive(env, "qgemm.scaleA", args.number(L::scaleA));
  check_range(env, "qgemm a", a.length, 0, mul(env, "qgemm", m, kk));
  check_range(env, "qgemm bPacked", b.length, 0, packed_bytes(kk, n));
  check_range(env, "qgemm out", r.out_length, 0, mul(env, "qgemm", m, n));
  const auto* ap = static_cast<const uint8_t*>(a.data);
  const auto* bp = static_cast<const int8_t*>(b.data);
  const k::QuantEpilogue ep = r.ep;
  return dispatch(info, async, [=] { k::qgemm(m, n, kk, ap, a_signed, za, bp, ep); }, {0, 1, 2, 3, 4, 5});
}

// The geometry both int8 convolution layouts carry under the same names (groups is the caller's).
template <typename L>
k::QConvShape read_qconv_shape(const Args<L>& args) {
  k::QConvShape s{};
  auto dim = [&](typename L::Field f, int64_t lo) { return args.integer(f, lo, kMaxDim); };
  s.n = dim(L::n, 0);
  s.h = dim(L::h, 1);
  s.w = dim(L::w, 1);
  s.c = dim(L::c, 1);
  s.kh = dim(L::kh, 1);
  s.kw = dim(L::kw, 1);
  s.cout = dim(L::cout, 1);
  s.oh = dim(L::oh, 1);
  s.ow = dim(L::ow, 1);
  s.sh = dim(L::sh, 1);
  s.sw = dim(L::sw, 1);
  s.dh = dim(L::dh, 1);
  s.dw = dim(L::dw, 1);
  s.pad_top = dim(L::padTop, 0);
  s.pad_left = dim(L::padLeft, 0);
  return s;
}

// qconv2d(x, wPacked, colSums, scaleW, bias | null, out, args)
Napi::Value qconv2d_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::qconv2d;
  Napi::Env env = info.Env();
  Bytes x;
  const bool x_signed = get_activations(info, 0, "x", &x);
  Bytes w = get_kind(info, 1, "wPacked", napi_int8_array, "an Int8Array");
  Args<L> args(info, 6);
  k::QConvShape s = read_qconv_shape(args);
  s.groups = args.integer(L::groups, 1, kMaxDim);
  const bool depthwise = args.integer(L::depthwise, 0, 1) == 1;
  if (s.c % s.groups != 0 || s.cout % s.groups != 0) {
    throw_range(env, "qconv2d: groups must divide the input and output channels");
  }
  const int64_t cg = s.c / s.groups;
  // Each filter row (kw * cg) takes a whole number of 4-deep groups (src/ops/quant-kernels.ts).
  const int64_t row = (mul(env, "qconv2d", s.kw, cg) + 3) / 4 * 4;
  const int64_t depth = mul(env, "qconv2d", s.kh, row);
  if (depth > k::kQuantMaxDepth) throw_range(env, "qconv2d: kh * ceil(kw * c / groups / 4) * 4 must be <= 65536");
  if (depthwise && (cg != 1 || s.groups < 2)) throw_range(env, "qconv2d: depthwise weights need groups == c > 1");
  const int64_t w_bytes = depthwise ? mul(env, "qconv2d", s.kh * s.kw, s.cout)
                                    : mul(env, "qconv2d", s.groups, packed_bytes(depth, s.cout / s.groups));
  const int32_t zx = zero_point(env, "qconv2d", x_signed, args.integer(L::xZeroPoint));
  EpilogueArrays r = read_epilogue(info, "qconv2d", 2, s.cout, args.integer(L::activation), args.number(L::outScale),
                                   args.integer(L::outZeroPoint));
  r.ep.scale_a = positive(env, "qconv2d.scaleX", args.number(L::scaleX));
  check_range(env, "qconv2d x", x.length, 0, mul(env, "qconv2d", mul(env, "qconv2d", mul(env, "qconv2d", s.n, s.h), s.w), s.c));
  check_range(env, "qconv2d wPacked", w.length, 0, w_bytes);
  check_range(env, "qconv2d out", r.out_length, 0,
              mul(env, "qconv2d", mul(env, "qconv2d", mul(env, "qconv2d", s.n, s.oh), s.ow), s.cout));
  const auto* xp = static_cast<const uint8_t*>(x.data);
  const auto* wp = static_cast<const int8_t*>(w.data);
  const k::QuantEpilogue ep = r.ep;
  return dispatch(info, async, [=] { k::qconv2d(s, xp, x_signed, zx, wp, depthwise, ep); }, {0, 1, 2, 3, 4, 5});
}

// qconv2dDirect(x, wPacked, colSums, mult, offset, out, args)
Napi::Value qconv2d_direct_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::qconv2dDirect;
  Napi::Env env = info.Env();
  // x: uint8 / int8 activations, or float32 quantized on the fly with (xScale, xZeroPoint).
  Bytes x = get_typed(info, 0, "x");
  const bool x_float = x.type == napi_float32_array;
  const bool x_signed = x.type == napi_int8_array;
  if (!x_float && !x_signed && x.type != napi_uint8_array) {
    throw Napi::TypeError::New(env, "tensorforge native: x must be a Uint8Array, Int8Array or Float32Array");
  }
  Bytes w = get_kind(info, 1, "wPacked", napi_int8_array, "an Int8Array");
  Bytes col_sums = get_kind(info, 2, "colSums", napi_int32_array, "an Int32Array");
  Bytes mult = get_kind(info, 3, "mult", napi_float32_array, "a Float32Array");
  Bytes offset = get_kind(info, 4, "offset", napi_float32_array, "a Float32Array");
  Bytes out = get_kind(info, 5, "out", napi_uint8_array, "a Uint8Array");
  Args<L> args(info, 6);
  k::QConvShape s = read_qconv_shape(args);
  s.groups = 1;
  const int64_t row = (mul(env, "qconv2dDirect", s.kw, s.c) + 3) / 4 * 4;
  const int64_t depth = mul(env, "qconv2dDirect", s.kh, row);
  if (depth > k::kQuantMaxDepth) throw_range(env, "qconv2dDirect: kh * ceil(kw * c / 4) * 4 must be <= 65536");
  // The padded copy of x spans every window: its size must stay addressable.
  const int64_t hp = mul(env, "qconv2dDirect", s.oh - 1, s.sh) + mul(env, "qconv2dDirect", s.kh - 1, s.dh) + 1;
  const int64_t wp = std::max(mul(env, "qconv2dDirect", s.ow - 1, s.sw) + mul(env, "qconv2dDirect", s.kw - 1, s.dw) + 1, s.pad_left + s.w);
  mul(env, "qconv2dDirect", mul(env, "qconv2dDirect", mul(env, "qconv2dDirect", s.n, hp), wp), s.c);
  const int32_t zx = zero_point(env, "qconv2dDirect", x_signed, args.integer(L::xZeroPoint));
  const float x_scale = x_float ? positive(env, "qconv2dDirect.xScale", args.number(L::xScale)) : 1.0f;
  const int64_t lo = args.integer(L::lo, 0, 255);
  const int64_t hi = args.integer(L::hi, 0, 255);
  if (lo > hi) throw_range(env, "qconv2dDirect: lo must be <= hi");
  check_range(env, "qconv2dDirect x", x.length, 0, mul(env, "qconv2dDirect", mul(env, "qconv2dDirect", mul(env, "qconv2dDirect", s.n, s.h), s.w), s.c));
  check_range(env, "qconv2dDirect wPacked", w.length, 0, packed_bytes(depth, s.cout));
  check_range(env, "qconv2dDirect colSums", col_sums.length, 0, s.cout);
  check_range(env, "qconv2dDirect mult", mult.length, 0, s.cout);
  check_range(env, "qconv2dDirect offset", offset.length, 0, s.cout);
  k::QDirectPool pool{};
  const bool pooled = args.integer(L::poolH, 0, kMaxDim) > 0;
  if (pooled) {
    pool.kh = args.integer(L::poolH, 1, kMaxDim);
    pool.kw = args.integer(L::poolW, 1, kMaxDim);
    pool.sh = args.integer(L::poolSh, 1, kMaxDim);
    pool.sw = args.integer(L::poolSw, 1, kMaxDim);
    pool.oh = args.integer(L::poolOh, 1, kMaxDim);
    pool.ow = args.integer(L::poolOw, 1, kMaxDim);
    if (s.dw != 1) throw_range(env, "qconv2dDirect: a fused pooling needs dilation 1 along w");
    if (mul(env, "qconv2dDirect", pool.oh - 1, pool.sh) + pool.kh > s.oh ||
        mul(env, "qconv2dDirect", pool.ow - 1, pool.sw) + pool.kw > s.ow) {
      throw_range(env, "qconv2dDirect: the pooling windows must lie inside the convolution's output");
    }
  }
  const int64_t out_h = pooled ? pool.oh : s.oh, out_w = pooled ? pool.ow : s.ow;
  check_range(env, "qconv2dDirect out", out.length, 0,
              mul(env, "qconv2dDirect", mul(env, "qconv2dDirect", mul(env, "qconv2dDirect", s.n, out_h), out_w), s.cout));
  const auto* xp = x_float ? nullptr : static_cast<const uint8_t*>(x.data);
  const auto* xf = x_float ? static_cast<const float*>(x.data) : nullptr;
  const auto* wp8 = static_cast<const int8_t*>(w.data);
  const auto* cs = static_cast<const int32_t*>(col_sums.data);
  const auto* mp = static_cast<const float*>(mult.data);
  const auto* op = static_cast<const float*>(offset.data);
  auto* outp = static_cast<uint8_t*>(out.data);
  const auto l32 = static_cast<int32_t>(lo), h32 = static_cast<int32_t>(hi);
  return dispatch(info, async, [=] { k::qconv2d_direct(s, xp, x_signed, zx, wp8, cs, mp, op, l32, h32, pooled ? &pool : nullptr, outp, xf, x_scale); },
                  {0, 1, 2, 3, 4, 5});
}

// qmaxPool2d(x, out, args): x and out both Uint8Array or both Int8Array.
Napi::Value qmax_pool2d_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::qmaxPool2d;
  Napi::Env env = info.Env();
  Bytes x;
  const bool x_signed = get_activations(info, 0, "x", &x);
  Bytes out = get_kind(info, 1, "out", x_signed ? napi_int8_array : napi_uint8_array,
                       x_signed ? "an Int8Array (as x)" : "a Uint8Array (as x)");
  Args<L> args(info, 2);
  k::QPoolShape s{};
  auto dim = [&](L::Field f, int64_t lo) { return args.integer(f, lo, kMaxDim); };
  s.n = dim(L::n, 0);
  s.h = dim(L::h, 1);
  s.w = dim(L::w, 1);
  s.c = dim(L::c, 1);
  s.kh = dim(L::kh, 1);
  s.kw = dim(L::kw, 1);
  s.oh = dim(L::oh, 1);
  s.ow = dim(L::ow, 1);
  s.sh = dim(L::sh, 1);
  s.sw = dim(L::sw, 1);
  s.pad_top = dim(L::padTop, 0);
  s.pad_left = dim(L::padLeft, 0);
  mul(env, "qmaxPool2d", s.kh, s.kw);
  check_range(env, "qmaxPool2d x", x.length, 0, mul(env, "qmaxPool2d", mul(env, "qmaxPool2d", mul(env, "qmaxPool2d", s.n, s.h), s.w), s.c));
  check_range(env, "qmaxPool2d out", out.length, 0,
              mul(env, "qmaxPool2d", mul(env, "qmaxPool2d", mul(env, "qmaxPool2d", s.n, s.oh), s.ow), s.c));
  const auto* xp = static_cast<const uint8_t*>(x.data);
  auto* op = static_cast<uint8_t*>(out.data);
  return dispatch(info, async, [=] { k::qmax_pool2d(s, xp, x_signed, op); }, {0, 1});
}

// quantizeLinear(x, out, scales, zeroPoints, args)
Napi::Value quantize_linear_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::quantizeLinear;
  Napi::Env env = info.Env();
  F32 x = get_f32(info, 0, "x");
  Bytes out = get_kind(info, 1, "out", napi_uint8_array, "a Uint8Array");
  F32 scales = get_f32(info, 2, "scales");
  I32 zps = get_i32(info, 3, "zeroPoints");
  Args<L> args(info, 4);
  const int64_t rows = args.integer(L::rows, 0, kMaxDim);
  const int64_t cols = args.integer(L::cols, 0, kMaxDim);
  const int64_t mode = args.integer(L::mode, 0, 2);
  const int64_t count = mul(env, "quantizeLinear", rows, cols);
  check_range(env, "quantizeLinear x", x.length, 0, count);
  check_range(env, "quantizeLinear out", out.length, 0, count);
  const int64_t pairs = mode == 2 ? rows : 1;
  check_range(env, "quantizeLinear scales", scales.length, 0, pairs);
  check_range(env, "quantizeLinear zeroPoints", zps.length, 0, pairs);
  const float* xp = x.data;
  auto* op = static_cast<uint8_t*>(out.data);
  float* sp = scales.data;
  int32_t* zp = zps.data;
  if (mode == 0) {
    const float scale = positive(env, "quantizeLinear scales[0]", sp[0]);
    if (zp[0] < 0 || zp[0] > 255) throw_range(env, "quantizeLinear zeroPoints[0] must be in [0, 255]");
    const int32_t z = zp[0];
    return dispatch(info, async, [=] { k::quantize_linear(count, xp, scale, z, op); }, {0, 1, 2, 3});
  }
  const bool per_row = mode == 2;
  return dispatch(info, async, [=] { k::quantize_dynamic(rows, cols, per_row, xp, op, sp, zp); }, {0, 1, 2, 3});
}

Napi::Value quant_isa_fn(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), k::quant_isa_name());
}

}  // namespace

void register_quant_ops(Napi::Env env, Napi::Object exports) {
  export_entry<layout::qgemm>(env, exports, "qgemm", qgemm_entry);
  export_entry<layout::qconv2d>(env, exports, "qconv2d", qconv2d_entry);
  export_entry<layout::quantizeLinear>(env, exports, "quantizeLinear", quantize_linear_entry);
  export_entry<layout::qconv2dDirect>(env, exports, "qconv2dDirect", qconv2d_direct_entry);
  export_entry<layout::qmaxPool2d>(env, exports, "qmaxPool2d", qmax_pool2d_entry);
  exports.Set("quantIsa", Napi::Function::New(env, quant_isa_fn, "quantIsa"));
}

}  // namespace tf::binding
