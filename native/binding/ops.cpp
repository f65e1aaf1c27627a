// Parses each kernel call from JS and runs it (now, or off the JS thread). Everything a kernel touches is checked here; the
// TypeScript layer has already validated user input, so these checks only guard against bugs.
#include <string>
#include <vector>

#include "binding/job.h"
#include "binding/layouts.h"
#include "binding/js_args.h"
#include "binding/ops.h"
#include "kernels/elementwise/elementwise.h"
#include "kernels/gemm/gemm.h"

namespace tf::binding {
namespace k = tf::kernels;
namespace {

constexpr int64_t kMaxCount = int64_t{1} << 53;

template <typename E>
E get_code(const Napi::CallbackInfo& info, size_t i, E count) {
  int64_t c = get_int(info, i, "op code");
  if (c < 0 || c >= static_cast<int64_t>(count)) throw_range(info.Env(), "unknown op code");
  return static_cast<E>(c);
}

int64_t volume(Napi::Env env, int ndim, const int64_t* shape) {
  return checked_volume(env, "broadcast shape", ndim, shape);
}

// unary(code, x, y, args)
Napi::Value unary_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::unary;
  auto op = get_code(info, 0, k::UnaryOp::Count);
  F32 x = get_f32(info, 1, "x");
  F32 y = get_f32(info, 2, "y");
  Args<L> args(info, 3);
  int64_t x_off = args.integer(L::xOffset), y_off = args.integer(L::yOffset), n = args.integer(L::n);
  float p0 = static_cast<float>(args.number(L::p0));
  float p1 = static_cast<float>(args.number(L::p1));
  check_range(info.Env(), "unary x", x.length, x_off, n);
  check_range(info.Env(), "unary y", y.length, y_off, n);
  const float* xp = x.data + x_off;
  float* yp = y.data + y_off;
  return dispatch(info, async, [=] { k::unary(op, xp, yp, n, p0, p1); }, {1, 2});
}

struct Broadcast {
  int ndim;
  int64_t shape[kMaxDims];
  int64_t off[3];
  int64_t strides[3][kMaxDims];
};

// The broadcast views of a layout whose tail is shape[ndim] and then each operand's strides[ndim],
// its offsets being the named fields `offsets` in operand order.
template <typename L, size_t N>
Broadcast read_broadcast(const Args<L>& args, const typename L::Field (&offsets)[N]) {
  static_assert(N <= 3 && L::kTailCount == N + 1);
  Broadcast b{};
  b.ndim = static_cast<int>(args.tail_length(kMaxDims));
  args.tail(L::shape, b.ndim, b.shape);
  for (size_t o = 0; o < N; o++) {
    b.off[o] = args.integer(offsets[o]);
    args.tail(static_cast<typename L::Tail>(o + 1), b.ndim, b.strides[o]);
  }
  return b;
}

Napi::Value binary_entry(const Napi::CallbackInfo& info, bool async) {
  auto op = get_code(info, 0, k::BinaryOp::Count);
  F32 a = get_f32(info, 1, "a");
  F32 b = get_f32(info, 2, "b");
  F32 out = get_f32(info, 3, "out");
  using L = layout::binary;
  Broadcast bc = read_broadcast(Args<L>(info, 4), {L::aOffset, L::bOffset});
  check_view(info.Env(), "binary a", a.length, bc.ndim, bc.shape, bc.off[0], bc.strides[0]);
  check_view(info.Env(), "binary b", b.length, bc.ndim, bc.shape, bc.off[1], bc.strides[1]);
  check_range(info.Env(), "binary out", out.length, 0, volume(info.Env(), bc.ndim, bc.shape));
  const float* ap = a.data + bc.off[0];
  const float* bp = b.data + bc.off[1];
  float* op_out = out.data;
  return dispatch(
      info, async, [=] { k::binary(op, bc.ndim, bc.shape, ap, bc.strides[0], bp, bc.strides[1], op_out); },
      {1, 2, 3});
}

Napi::Value where_entry(const Napi::CallbackInfo& info, bool async) {
  F32 c = get_f32(info, 0, "cond");
  F32 a = get_f32(info, 1, "a");
  F32 b = get_f32(info, 2, "b");
  F32 out = get_f32(info, 3, "out");
  using L = layout::where;
  Broadcast bc = read_broadcast(Args<L>(info, 4), {L::condOffset, L::aOffset, L::bOffset});
  check_view(info.Env(), "where cond", c.length, bc.ndim, bc.shape, bc.off[0], bc.strides[0]);
  check_view(info.Env(), "where a", a.length, bc.ndim, bc.shape, bc.off[1], bc.strides[1]);
  check_view(info.Env(), "where b", b.length, bc.ndim, bc.shape, bc.off[2], bc.strides[2]);
  check_range(info.Env(), "where out", out.length, 0, volume(info.Env(), bc.ndim, bc.shape));
  const float* cp = c.data + bc.off[0];
  const float* ap = a.data + bc.off[1];
  const float* bp = b.data + bc.off[2];
  float* o = out.data;
  return dispatch(
      info, async,
      [=] { k::where(bc.ndim, bc.shape, cp, bc.strides[0], ap, bc.strides[1], bp, bc.strides[2], o); },
      {0, 1, 2, 3});
}

Napi::Value strided_copy_entry(const Napi::CallbackInfo& info, bool async) {
  int64_t src_len = 0, dst_len = 0;
  auto* src = static_cast<int32_t*>(get_any32(info, 0, "src", &src_len));
  auto* dst = static_cast<int32_t*>(get_any32(info, 1, "dst", &dst_len));
  using L = layout::stridedCopy;
  Broadcast bc = read_broadcast(Args<L>(info, 2), {L::srcOffset, L::dstOffset});
  check_view(info.Env(), "copy src", src_len, bc.ndim, bc.shape, bc.off[0], bc.strides[0]);
  check_view(info.Env(), "copy dst", dst_len, bc.ndim, bc.shape, bc.off[1], bc.strides[1]);
  const int32_t* sp = src + bc.off[0];
  int32_t* dp = dst + bc.off[1];
  return dispatch(
      info, async, [=] { k::strided_copy(bc.ndim, bc.shape, sp, bc.strides[0], dp, bc.strides[1]); },
      {0, 1});
}

// fill(y, args)
Napi::Value fill_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::fill;
  F32 y = get_f32(info, 0, "y");
  Args<L> args(info, 1);
  int64_t off = args.integer(L::yOffset), n = args.integer(L::n);
  float v = static_cast<float>(args.number(L::value));
  check_range(info.Env(), "fill", y.length, off, n);
  float* p = y.data + off;
  return dispatch(info, async, [=] { k::fill(p, n, v); }, {0});
}

struct Rows {
  int64_t outer, len, inner;
};
// The [outer, len, inner] extents of a layout with fields named so.
template <typename L>
Rows get_rows(const Args<L>& args) {
  return Rows{args.integer(L::outer, 0, kMaxCount), args.integer(L::len, 0, kMaxCount),
              args.integer(L::inner, 0, kMaxCount)};
}

// reduce(code, x, out, args)
Napi::Value reduce_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::reduce;
  auto op = get_code(info, 0, k::ReduceOp::Count);
  F32 x = get_f32(info, 1, "x");
  F32 out = get_f32(info, 2, "out");
  Args<L> args(info, 3);
  int64_t off = args.integer(L::xOffset);
  Rows r = get_rows(args);
  check_range(info.Env(), "reduce x", x.length, off, checked_volume(info.Env(), "extents", {r.outer, r.len, r.inner}));
  check_range(info.Env(), "reduce out", out.length, 0, checked_volume(info.Env(), "extents", {r.outer, r.inner}));
  const float* xp = x.data + off;
  float* o = out.data;
  return dispatch(info, async, [=] { k::reduce(op, xp, r.outer, r.len, r.inner, o); }, {1, 2});
}

// argReduce(code, x, out, args): the reduce layout
Napi::Value arg_reduce_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::reduce;
  auto op = get_code(info, 0, k::ArgReduceOp::Count);
  F32 x = get_f32(info, 1, "x");
  I32 out = get_i32(info, 2, "out");
  Args<L> args(info, 3);
  int64_t off = args.integer(L::xOffset);
  Rows r = get_rows(args);
  if (r.len < 1) throw_range(info.Env(), "arg reduction over an empty axis");
  check_range(info.Env(), "argReduce x", x.length, off, checked_volume(info.Env(), "extents", {r.outer, r.len, r.inner}));
  check_range(info.Env(), "argReduce out", out.length, 0, checked_volume(info.Env(), "extents", {r.outer, r.inner}));
  const float* xp = x.data + off;
  int32_t* o = out.data;
  return dispatch(info, async, [=] { k::arg_reduce(op, xp, r.outer, r.len, r.inner, o); }, {1, 2});
}

// softmax(x, y, args)
Napi::Value softmax_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::softmax;
  F32 x = get_f32(info, 0, "x");
  F32 y = get_f32(info, 1, "y");
  Args<L> args(info, 2);
  int64_t off = args.integer(L::xOffset);
  Rows r = get_rows(args);
  bool log = args.integer(L::log) != 0;
  int64_t n = checked_volume(info.Env(), "extents", {r.outer, r.len, r.inner});
  check_range(info.Env(), "softmax x", x.length, off, n);
  check_range(info.Env(), "softmax y", y.length, 0, n);
  const float* xp = x.data + off;
  float* yp = y.data;
  return dispatch(info, async, [=] { k::softmax(xp, yp, r.outer, r.len, r.inner, log); }, {0, 1});
}

// Index values are user data: every one is checked before the kernel may use it.
const int32_t* checked_indices(Napi::Env env, I32 idx, int64_t off, int64_t nidx, int64_t axis_len) {
  check_range(env, "indices", idx.length, off, nidx);
  const int32_t* p = idx.data + off;
  for (int64_t j = 0; j < nidx; j++) {
    if (p[j] < 0 || p[j] >= axis_len) {
      throw_range(env, "index " + std::to_string(p[j]) + " is out of range [0, " + std::to_string(axis_len) + ")");
    }
  }
  return p;
}

// gather(x, indices, out, args)
Napi::Value gather_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::gather;
  int64_t x_len = 0, out_len = 0;
  auto* x = static_cast<int32_t*>(get_any32(info, 0, "x", &x_len));
  I32 idx = get_i32(info, 1, "indices");
  auto* out = static_cast<int32_t*>(get_any32(info, 2, "out", &out_len));
  Args<L> args(info, 3);
  int64_t off = args.integer(L::xOffset);
  Rows r = get_rows(args);
  int64_t idx_off = args.integer(L::indicesOffset), nidx = args.integer(L::nidx);
  const int32_t* ip = checked_indices(info.Env(), idx, idx_off, nidx, r.len);
  check_range(info.Env(), "gather x", x_len, off, checked_volume(info.Env(), "extents", {r.outer, r.len, r.inner}));
  check_range(info.Env(), "gather out", out_len, 0, checked_volume(info.Env(), "extents", {r.outer, nidx, r.inner}));
  const int32_t* xp = x + off;
  return dispatch(info, async, [=] { k::gather(xp, r.outer, r.len, r.inner, ip, nidx, out); }, {0, 1, 2});
}

// scatterAdd(g, indices, out, args)
Napi::Value scatter_add_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::scatterAdd;
  F32 g = get_f32(info, 0, "g");
  I32 idx = get_i32(info, 1, "indices");
  F32 out = get_f32(info, 2, "out");
  Args<L> args(info, 3);
  Rows r = get_rows(args);
  int64_t idx_off = args.integer(L::indicesOffset), nidx = args.integer(L::nidx);
  const int32_t* ip = checked_indices(info.Env(), idx, idx_off, nidx, r.len);
  check_range(info.Env(), "scatterAdd g", g.length, 0, checked_volume(info.Env(), "extents", {r.outer, nidx, r.inner}));
  check_range(info.Env(), "scatterAdd out", out.length, 0, checked_volume(info.Env(), "extents", {r.outer, r.len, r.inner}));
  const float* gp = g.data;
  float* o = out.data;
  return dispatch(info, async, [=] { k::scatter_add(gp, r.outer, r.len, r.inner, ip, nidx, o); }, {0, 1, 2});
}

// oneHot(indices, out, args)
Napi::Value one_hot_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::oneHot;
  I32 idx = get_i32(info, 0, "indices");
  F32 out = get_f32(info, 1, "out");
  Args<L> args(info, 2);
  int64_t off = args.integer(L::indicesOffset), n = args.integer(L::n), depth = args.integer(L::depth);
  float on = static_cast<float>(args.number(L::onValue));
  float offv = static_cast<float>(args.number(L::offValue));
  if (depth < 0 || n < 0) throw_range(info.Env(), "negative size");
  check_range(info.Env(), "oneHot indices", idx.length, off, n);
  check_range(info.Env(), "oneHot out", out.length, 0, checked_volume(info.Env(), "oneHot", {n, depth}));
  const int32_t* ip = idx.data + off;
  float* o = out.data;
  return dispatch(info, async, [=] { k::one_hot(ip, n, depth, on, offv, o); }, {0, 1});
}

// A unary op applied to each finished block of C (GemmEpilogue::block).
struct GemmUnary {
  k::UnaryOp op;
  float p0, p1;
};
void gemm_unary_block(const void* ctx, float* c, int64_t ldc, int64_t, int64_t, int64_t rows, int64_t cols) {
  const GemmUnary& u = *static_cast<const GemmUnary*>(ctx);
  if (ldc == cols) {
    k::unary(u.op, c, c, rows * cols, u.p0, u.p1);
    return;
  }
  for (int64_t r = 0; r < rows; r++) k::unary(u.op, c + r * ldc, c + r * ldc, cols, u.p0, u.p1);
}

// gemm(a, b, c, args, bias | null, p0?, p1?, packed?, packedWidth?): C = alpha op(A) op(B) + beta C
// (+ bias per column), then the activation: 0 none, 1 relu, 2 + u the unary op of code u with
// parameters p0, p1 (applied per finished block of C), for each batch entry. packed: B as
// gemmPackB packed it at packedWidth, for one untransposed product with alpha 1; a packing at
// another width (made before the SIMD level changed) is ignored.
Napi::Value gemm_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::gemm;
  Napi::Env env = info.Env();
  F32 a = get_f32(info, 0, "a");
  F32 b = get_f32(info, 1, "b");
  F32 c = get_f32(info, 2, "c");
  Args<L> args(info, 3);
  bool ta = args.integer(L::transA) != 0, tb = args.integer(L::transB) != 0;
  int64_t m = args.integer(L::m), n = args.integer(L::n), kk = args.integer(L::k);
  int64_t lda = args.integer(L::lda), ldb = args.integer(L::ldb), ldc = args.integer(L::ldc);
  float alpha = static_cast<float>(args.number(L::alpha));
  float beta = static_cast<float>(args.number(L::beta));
  int64_t act = args.integer(L::activation);
  if (m < 0 || n < 0 || kk < 0) throw_range(env, "gemm: negative size");
  if (act < 0 || act >= 2 + static_cast<int64_t>(k::UnaryOp::Count)) throw_range(env, "gemm: unknown activation");
  auto param = [&](size_t i) { return info.Length() > i && info[i].IsNumber() ? info[i].As<Napi::Number>().FloatValue() : 0.0f; };
  GemmUnary unary_ctx{k::UnaryOp::Relu, param(5), param(6)};
  if (act >= 2) unary_ctx.op = static_cast<k::UnaryOp>(act - 2);
  const int64_t batch = args.tail_length(kMaxCount / 4);
  std::vector<int64_t> offs(static_cast<size_t>(batch) * 3);
  args.tail(L::aOffsets, batch, offs.data());
  args.tail(L::bOffsets, batch, offs.data() + batch);
  args.tail(L::cOffsets, batch, offs.data() + 2 * batch);
  int64_t a_rows = ta ? kk : m, a_cols = ta ? m : kk;
  int64_t b_rows = tb ? n : kk, b_cols = tb ? kk : n;
  for (int64_t i = 0; i < batch; i++) {
    check_matrix(env, "gemm a", a.length, offs[i], a_rows, a_cols, lda);
    check_matrix(env, "gemm b", b.length, offs[batch + i], b_rows, b_cols, ldb);
    check_matrix(env, "gemm c", c.length, offs[2 * batch + i], m, n, ldc);
  }
  const float* bias = nullptr;
  if (info.Length() > 4 && !info[4].IsNull() && !info[4].IsUndefined()) {
    F32 bs = get_f32(info, 4, "bias");
    check_range(env, "gemm bias", bs.length, 0, n);
    bias = bs.data;
  }
  k::PackedB packed;
  if (info.Length() > 7 && !info[7].IsNull() && !info[7].IsUndefined()) {
    F32 pk = get_f32(info, 7, "packed");
    if (info.Length() < 9 || !info[8].IsNumber()) throw_range(env, "gemm: a packed b needs its panel width");
    const int64_t width = info[8].As<Napi::Number>().Int64Value();
    if (batch != 1 || ta || tb || alpha != 1.0f) throw_range(env, "gemm: a packed b is for one untransposed product with alpha 1");
    if (width == k::sgemm_pack_b_width()) {
      check_range(env, "gemm packed", pk.length, 0, checked_volume(env, "gemm packed", {(n + width - 1) / width, width, kk}));
      packed.data = pk.data;
      packed.nr = width;
    }
  }
  k::GemmEpilogue ep0;
  ep0.bias = bias;
  ep0.activation = act == 1 ? k::GemmActivation::Relu : k::GemmActivation::None;
  if (act >= 2) ep0.block = gemm_unary_block;
  const float* ap = a.data;
  const float* bp = b.data;
  float* cp = c.data;
  return dispatch(
      info, async,
      [=, offs = std::move(offs)] {
        // The block hook reads the op through this copy, which lives as long as the call.
        k::GemmEpilogue ep = ep0;
        if (ep.block) ep.block_ctx = &unary_ctx;
        if (packed.data != nullptr) {
          k::sgemm_prepacked(m, n, kk, ap + offs[0], lda, bp + offs[1], ldb, packed, cp + offs[2], ldc, ep, beta);
        } else if (batch == 1) {
          k::sgemm(ta, tb, m, n, kk, alpha, ap + offs[0], lda, bp + offs[1], ldb, beta, cp + offs[2], ldc, ep);
        } else {
          k::sgemm_batched(ta, tb, m, n, kk, alpha, ap, lda, offs.data(), bp, ldb, offs.data() + batch, beta,
                           cp, ldc, offs.data() + 2 * batch, batch, ep);
        }
      },
      {0, 1, 2, 4, 7});
}

}  // namespace

// gemmPackB(b, packed, args): b (k x n, row stride ldb, from bOffset) packed at the active
// instruction set's panel width (gemmPackWidth()) into packed, which must hold
// ceil(n / width) * width * k floats.
Napi::Value gemm_pack_b_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::gemmPackB;
  constexpr int64_t kMaxExtent = int64_t{1} << 40;
  Napi::Env env = info.Env();
  F32 b = get_f32(info, 0, "b");
  F32 packed = get_f32(info, 1, "packed");
  Args<L> args(info, 2);
  const int64_t kk = args.integer(L::k, 0, kMaxExtent), n = args.integer(L::n, 0, kMaxExtent);
  const int64_t ldb = args.integer(L::ldb, 0, kMaxExtent), off = args.integer(L::bOffset, 0, kMaxExtent);
  if (ldb < n) throw_range(env, "gemmPackB: ldb is less than n");
  check_matrix(env, "gemmPackB b", b.length, off, kk, n, ldb);
  const int64_t width = k::sgemm_pack_b_width();
  const int64_t need = checked_volume(env, "gemmPackB packed", {(n + width - 1) / width, width, kk});
  check_range(env, "gemmPackB packed", packed.length, 0, need);
  const float* bp = b.data + off;
  float* pp = packed.data;
  return dispatch(info, async, [=] { k::sgemm_pack_b(kk, n, bp, ldb, pp); }, {0, 1});
}

void register_ops(Napi::Env env, Napi::Object exports) {
  export_entry<layout::gemmPackB>(env, exports, "gemmPackB", gemm_pack_b_entry);
  export_entry<layout::unary>(env, exports, "unary", unary_entry);
  export_entry<layout::binary>(env, exports, "binary", binary_entry);
  export_entry<layout::where>(env, exports, "where", where_entry);
  export_entry<layout::stridedCopy>(env, exports, "stridedCopy", strided_copy_entry);
  export_entry<layout::fill>(env, exports, "fill", fill_entry);
  export_entry<layout::reduce>(env, exports, "reduce", reduce_entry);
  export_entry<layout::reduce>(env, exports, "argReduce", arg_reduce_entry);
  export_entry<layout::softmax>(env, exports, "softmax", softmax_entry);
  export_entry<layout::gather>(env, exports, "gather", gather_entry);
  export_entry<layout::scatterAdd>(env, exports, "scatterAdd", scatter_add_entry);
  export_entry<layout::oneHot>(env, exports, "oneHot", one_hot_entry);
  export_entry<layout::gemm>(env, exports, "gemm", gemm_entry);
}

}  // namespace tf::binding
