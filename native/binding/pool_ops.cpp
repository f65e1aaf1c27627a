// Entry points of the pooling and upsampling kernels. Geometry is checked here so that every
// window the kernels visit lies inside the arrays; a bad call throws a RangeError.
#include <cstdint>
#include <string>

#include "binding/job.h"
#include "binding/layouts.h"
#include "binding/js_args.h"
#include "binding/ops.h"
#include "kernels/pool/pool.h"

namespace tf::binding {
namespace k = tf::kernels;
namespace {

constexpr int64_t kMaxExtent = int64_t{1} << 40;


// Product of extents, throwing instead of overflowing.
int64_t volume(Napi::Env env, std::initializer_list<int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (__builtin_mul_overflow(n, d, &n) || n > kMaxExtent) throw_range(env, "pool: tensor too large");
  }
  return n;
}

// The window geometry shared by the pool2d and pool2dBackward layouts.
template <typename L>
k::Pool2dGeom read_pool_geom(Napi::Env env, const Args<L>& args) {
  auto extent = [&](typename L::Field f, int64_t min) { return args.integer(f, min, kMaxExtent); };
  k::Pool2dGeom g{};
  g.batch = extent(L::batch, 0);
  g.h = extent(L::h, 0);
  g.w = extent(L::w, 0);
  g.c = extent(L::c, 0);
  g.oh = extent(L::oh, 0);
  g.ow = extent(L::ow, 0);
  g.kh = extent(L::kh, 1);
  g.kw = extent(L::kw, 1);
  g.sh = extent(L::sh, 1);
  g.sw = extent(L::sw, 1);
  g.pt = extent(L::padTop, 0);
  g.pl = extent(L::padLeft, 0);
  // Each window must overlap the input: starts before the end, ends after the start.
  if (g.pt >= g.kh || g.pl >= g.kw) throw_range(env, "pool: padding must be smaller than the window");
  if (g.oh > 0 && (g.h == 0 || (g.oh - 1) * g.sh - g.pt >= g.h)) throw_range(env, "pool: output height exceeds the input");
  if (g.ow > 0 && (g.w == 0 || (g.ow - 1) * g.sw - g.pl >= g.w)) throw_range(env, "pool: output width exceeds the input");
  // The backward kernel tracks arg-max positions within one image in 32 bits.
  if (g.h * g.w > INT32_MAX) throw_range(env, "pool: images larger than 2^31 pixels are not supported");
  return g;
}

// pool2d(kind, x, y, args)
Napi::Value pool2d_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::pool2d;
  Napi::Env env = info.Env();
  int64_t code = get_int(info, 0, "pool kind");
  if (code < 0 || code >= static_cast<int64_t>(k::PoolKind::Count)) throw_range(env, "unknown pool kind");
  auto kind = static_cast<k::PoolKind>(code);
  F32 x = get_f32(info, 1, "x");
  F32 y = get_f32(info, 2, "y");
  Args<L> args(info, 3);
  int64_t off = args.integer(L::xOffset);
  k::Pool2dGeom g = read_pool_geom(env, args);
  check_range(env, "pool2d x", x.length, off, volume(env, {g.batch, g.h, g.w, g.c}));
  check_range(env, "pool2d y", y.length, 0, volume(env, {g.batch, g.oh, g.ow, g.c}));
  const float* xp = x.data + off;
  float* yp = y.data;
  return dispatch(info, async, [=] { k::pool2d_forward(kind, xp, g, yp); }, {1, 2});
}

// pool2dBackward(kind, x, gy, gx, args)
Napi::Value pool2d_backward_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::pool2dBackward;
  Napi::Env env = info.Env();
  int64_t code = get_int(info, 0, "pool kind");
  if (code < 0 || code >= static_cast<int64_t>(k::PoolKind::Count)) throw_range(env, "unknown pool kind");
  auto kind = static_cast<k::PoolKind>(code);
  F32 x = get_f32(info, 1, "x");
  F32 gy = get_f32(info, 2, "gy");
  F32 gx = get_f32(info, 3, "gx");
  Args<L> args(info, 4);
  int64_t x_off = args.integer(L::xOffset), g_off = args.integer(L::gyOffset);
  k::Pool2dGeom g = read_pool_geom(env, args);
  int64_t n_in = volume(env, {g.batch, g.h, g.w, g.c});
  if (kind == k::PoolKind::Max) check_range(env, "pool2dBackward x", x.length, x_off, n_in);
  check_range(env, "pool2dBackward gy", gy.length, g_off, volume(env, {g.batch, g.oh, g.ow, g.c}));
  check_range(env, "pool2dBackward gx", gx.length, 0, n_in);
  const float* xp = kind == k::PoolKind::Max ? x.data + x_off : nullptr;
  const float* gp = gy.data + g_off;
  float* gxp = gx.data;
  return dispatch(info, async, [=] { k::pool2d_backward(kind, xp, gp, g, gxp); }, {1, 2, 3});
}

k::UpsampleMode read_mode(const Napi::CallbackInfo& info) {
  int64_t code = get_int(info, 0, "interpolation");
  if (code < 0 || code >= static_cast<int64_t>(k::UpsampleMode::Count)) throw_range(info.Env(), "unknown interpolation");
  return static_cast<k::UpsampleMode>(code);
}

// The geometry shared by the upsample2d and upsample2dBackward layouts.
template <typename L>
k::Upsample2dGeom read_upsample_geom(const Args<L>& args) {
  auto extent = [&](typename L::Field f, int64_t min) { return args.integer(f, min, kMaxExtent); };
  k::Upsample2dGeom g{};
  g.batch = extent(L::batch, 0);
  g.h = extent(L::h, 0);
  g.w = extent(L::w, 0);
  g.c = extent(L::c, 0);
  g.fh = extent(L::fh, 1);
  g.fw = extent(L::fw, 1);
  return g;
}

// upsample2d(mode, x, y, args)
Napi::Value upsample2d_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::upsample2d;
  Napi::Env env = info.Env();
  auto mode = read_mode(info);
  F32 x = get_f32(info, 1, "x");
  F32 y = get_f32(info, 2, "y");
  Args<L> args(info, 3);
  int64_t off = args.integer(L::xOffset);
  k::Upsample2dGeom g = read_upsample_geom(args);
  check_range(env, "upsample2d x", x.length, off, volume(env, {g.batch, g.h, g.w, g.c}));
  check_range(env, "upsample2d y", y.length, 0, volume(env, {g.batch, g.h, g.fh, g.w, g.fw, g.c}));
  const float* xp = x.data + off;
  float* yp = y.data;
  return dispatch(info, async, [=] { k::upsample2d_forward(mode, xp, g, yp); }, {1, 2});
}

// upsample2dBackward(mode, gy, gx, args), h and w of the input
Napi::Value upsample2d_backward_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::upsample2dBackward;
  Napi::Env env = info.Env();
  auto mode = read_mode(info);
  F32 gy = get_f32(info, 1, "gy");
  F32 gx = get_f32(info, 2, "gx");
  Args<L> args(info, 3);
  int64_t off = args.integer(L::gyOffset);
  k::Upsample2dGeom g = read_upsample_geom(args);
  check_range(env, "upsample2dBackward gy", gy.length, off, volume(env, {g.batch, g.h, g.fh, g.w, g.fw, g.c}));
  check_range(env, "upsample2dBackward gx", gx.length, 0, volume(env, {g.batch, g.h, g.w, g.c}));
  const float* gp = gy.data + off;
  float* gxp = gx.data;
  return dispatch(info, async, [=] { k::upsample2d_backward(mode, gp, g, gxp); }, {1, 2});
}

}  // namespace

void register_pool_ops(Napi::Env env, Napi::Object exports) {
  export_entry<layout::pool2d>(env, exports, "pool2d", pool2d_entry);
  export_entry<layout::pool2dBackward>(env, exports, "pool2dBackward", pool2d_backward_entry);
  export_entry<layout::upsample2d>(env, exports, "upsample2d", upsample2d_entry);
  export_entry<layout::upsample2dBackward>(env, exports, "upsample2dBackward", upsample2d_backward_entry);
}

}  // namespace tf::binding
