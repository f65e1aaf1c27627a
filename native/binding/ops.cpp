// Parses each kernel call from JS into a Job. Everything a kernel touches is checked here; the
// TypeScript layer has already validated user input, so these checks only guard against bugs.
#include <string>
#include <vector>

#include "binding/job.h"
#include "binding/js_args.h"
#include "binding/ops.h"
#include "kernels/elementwise.h"
#include "kernels/gemm.h"

namespace tf::binding {
namespace k = tf::kernels;
namespace {

template <typename E>
E get_code(const Napi::CallbackInfo& info, size_t i, E count) {
  int64_t c = get_int(info, i, "op code");
  if (c < 0 || c >= static_cast<int64_t>(count)) throw_range(info.Env(), "unknown op code");
  return static_cast<E>(c);
}

int64_t volume(int ndim, const int64_t* shape) {
  int64_t n = 1;
  for (int d = 0; d < ndim; d++) n *= shape[d];
  return n;
}

Job parse_unary(const Napi::CallbackInfo& info) {
  auto op = get_code(info, 0, k::UnaryOp::Count);
  F32 x = get_f32(info, 1, "x");
  int64_t x_off = get_int(info, 2, "x offset");
  F32 y = get_f32(info, 3, "y");
  int64_t y_off = get_int(info, 4, "y offset");
  int64_t n = get_int(info, 5, "n");
  float p0 = static_cast<float>(get_num(info, 6, "p0"));
  float p1 = static_cast<float>(get_num(info, 7, "p1"));
  check_range(info.Env(), "unary x", x.length, x_off, n);
  check_range(info.Env(), "unary y", y.length, y_off, n);
  float* xp = x.data + x_off;
  float* yp = y.data + y_off;
  return {[=] { k::unary(op, xp, yp, n, p0, p1); }, {info[1], info[3]}};
}

struct Broadcast {
  int ndim;
  int64_t shape[kMaxDims];
  int64_t off[3];
  int64_t strides[3][kMaxDims];
};

// meta: ndim, shape..., then for each of `operands`: offset, strides...
Broadcast read_broadcast(const Napi::CallbackInfo& info, Meta& meta, int operands) {
  Broadcast b{};
  b.ndim = meta.ndim();
  meta.read(b.ndim, b.shape);
  for (int o = 0; o < operands; o++) {
    b.off[o] = meta.next();
    meta.read(b.ndim, b.strides[o]);
  }
  return b;
}

Job parse_binary(const Napi::CallbackInfo& info) {
  auto op = get_code(info, 0, k::BinaryOp::Count);
  F32 a = get_f32(info, 1, "a");
  F32 b = get_f32(info, 2, "b");
  F32 out = get_f32(info, 3, "out");
  Meta meta(info, 4);
  Broadcast bc = read_broadcast(info, meta, 2);
  check_view(info.Env(), "binary a", a.length, bc.ndim, bc.shape, bc.off[0], bc.strides[0]);
  check_view(info.Env(), "binary b", b.length, bc.ndim, bc.shape, bc.off[1], bc.strides[1]);
  check_range(info.Env(), "binary out", out.length, 0, volume(bc.ndim, bc.shape));
  const float* ap = a.data + bc.off[0];
  const float* bp = b.data + bc.off[1];
  float* op_out = out.data;
  return {[=] { k::binary(op, bc.ndim, bc.shape, ap, bc.strides[0], bp, bc.strides[1], op_out); },
          {info[1], info[2], info[3]}};
}

Job parse_where(const Napi::CallbackInfo& info) {
  F32 c = get_f32(info, 0, "cond");
  F32 a = get_f32(info, 1, "a");
  F32 b = get_f32(info, 2, "b");
  F32 out = get_f32(info, 3, "out");
  Meta meta(info, 4);
  Broadcast bc = read_broadcast(info, meta, 3);
  check_view(info.Env(), "where cond", c.length, bc.ndim, bc.shape, bc.off[0], bc.strides[0]);
  check_view(info.Env(), "where a", a.length, bc.ndim, bc.shape, bc.off[1], bc.strides[1]);
  check_view(info.Env(), "where b", b.length, bc.ndim, bc.shape, bc.off[2], bc.strides[2]);
  check_range(info.Env(), "where out", out.length, 0, volume(bc.ndim, bc.shape));
  const float* cp = c.data + bc.off[0];
  const float* ap = a.data + bc.off[1];
  const float* bp = b.data + bc.off[2];
  float* o = out.data;
  return {[=] {
            k::where(bc.ndim, bc.shape, cp, bc.strides[0], ap, bc.strides[1], bp, bc.strides[2], o);
          },
          {info[0], info[1], info[2], info[3]}};
}

Job parse_strided_copy(const Napi::CallbackInfo& info) {
  int64_t src_len = 0, dst_len = 0;
  auto* src = static_cast<int32_t*>(get_any32(info, 0, "src", &src_len));
  auto* dst = static_cast<int32_t*>(get_any32(info, 1, "dst", &dst_len));
  Meta meta(info, 2);
  Broadcast bc = read_broadcast(info, meta, 2);
  check_view(info.Env(), "copy src", src_len, bc.ndim, bc.shape, bc.off[0], bc.strides[0]);
  check_view(info.Env(), "copy dst", dst_len, bc.ndim, bc.shape, bc.off[1], bc.strides[1]);
  const int32_t* sp = src + bc.off[0];
  int32_t* dp = dst + bc.off[1];
  return {[=] { k::strided_copy(bc.ndim, bc.shape, sp, bc.strides[0], dp, bc.strides[1]); },
          {info[0], info[1]}};
}

Job parse_fill(const Napi::CallbackInfo& info) {
  F32 y = get_f32(info, 0, "y");
  int64_t off = get_int(info, 1, "offset");
  int64_t n = get_int(info, 2, "n");
  float v = static_cast<float>(get_num(info, 3, "value"));
  check_range(info.Env(), "fill", y.length, off, n);
  float* p = y.data + off;
  return {[=] { k::fill(p, n, v); }, {info[0]}};
}

struct Rows {
  int64_t outer, len, inner;
};
Rows get_rows(const Napi::CallbackInfo& info, size_t i) {
  Rows r{get_int(info, i, "outer"), get_int(info, i + 1, "len"), get_int(info, i + 2, "inner")};
  if (r.outer < 0 || r.len < 0 || r.inner < 0) throw_range(info.Env(), "negative extent");
  return r;
}

Job parse_reduce(const Napi::CallbackInfo& info) {
  auto op = get_code(info, 0, k::ReduceOp::Count);
  F32 x = get_f32(info, 1, "x");
  int64_t off = get_int(info, 2, "x offset");
  Rows r = get_rows(info, 3);
  F32 out = get_f32(info, 6, "out");
  check_range(info.Env(), "reduce x", x.length, off, r.outer * r.len * r.inner);
  check_range(info.Env(), "reduce out", out.length, 0, r.outer * r.inner);
  const float* xp = x.data + off;
  float* o = out.data;
  return {[=] { k::reduce(op, xp, r.outer, r.len, r.inner, o); }, {info[1], info[6]}};
}

Job parse_arg_reduce(const Napi::CallbackInfo& info) {
  auto op = get_code(info, 0, k::ArgReduceOp::Count);
  F32 x = get_f32(info, 1, "x");
  int64_t off = get_int(info, 2, "x offset");
  Rows r = get_rows(info, 3);
  I32 out = get_i32(info, 6, "out");
  if (r.len < 1) throw_range(info.Env(), "arg reduction over an empty axis");
  check_range(info.Env(), "argReduce x", x.length, off, r.outer * r.len * r.inner);
  check_range(info.Env(), "argReduce out", out.length, 0, r.outer * r.inner);
  const float* xp = x.data + off;
  int32_t* o = out.data;
  return {[=] { k::arg_reduce(op, xp, r.outer, r.len, r.inner, o); }, {info[1], info[6]}};
}

Job parse_softmax(const Napi::CallbackInfo& info) {
  F32 x = get_f32(info, 0, "x");
  int64_t off = get_int(info, 1, "x offset");
  F32 y = get_f32(info, 2, "y");
  Rows r = get_rows(info, 3);
  bool log = info.Length() > 6 && info[6].ToBoolean().Value();
  int64_t n = r.outer * r.len * r.inner;
  check_range(info.Env(), "softmax x", x.length, off, n);
  check_range(info.Env(), "softmax y", y.length, 0, n);
  const float* xp = x.data + off;
  float* yp = y.data;
  return {[=] { k::softmax(xp, yp, r.outer, r.len, r.inner, log); }, {info[0], info[2]}};
}

// Index values are user data: every one is checked before the kernel may use it.
const int32_t* checked_indices(const Napi::CallbackInfo& info, size_t i, int64_t nidx,
                               int64_t axis_len) {
  I32 idx = get_i32(info, i, "indices");
  int64_t off = get_int(info, i + 1, "indices offset");
  check_range(info.Env(), "indices", idx.length, off, nidx);
  const int32_t* p = idx.data + off;
  for (int64_t j = 0; j < nidx; j++) {
    if (p[j] < 0 || p[j] >= axis_len) {
      throw_range(info.Env(), "index " + std::to_string(p[j]) + " is out of range [0, " +
                                  std::to_string(axis_len) + ")");
    }
  }
  return p;
}

Job parse_gather(const Napi::CallbackInfo& info) {
  int64_t x_len = 0, out_len = 0;
  auto* x = static_cast<int32_t*>(get_any32(info, 0, "x", &x_len));
  int64_t off = get_int(info, 1, "x offset");
  Rows r = get_rows(info, 2);
  int64_t nidx = get_int(info, 7, "nidx");
  const int32_t* idx = checked_indices(info, 5, nidx, r.len);
  auto* out = static_cast<int32_t*>(get_any32(info, 8, "out", &out_len));
  check_range(info.Env(), "gather x", x_len, off, r.outer * r.len * r.inner);
  check_range(info.Env(), "gather out", out_len, 0, r.outer * nidx * r.inner);
  const int32_t* xp = x + off;
  return {[=] { k::gather(xp, r.outer, r.len, r.inner, idx, nidx, out); },
          {info[0], info[5], info[8]}};
}

Job parse_scatter_add(const Napi::CallbackInfo& info) {
  F32 g = get_f32(info, 0, "g");
  Rows r = get_rows(info, 1);
  int64_t nidx = get_int(info, 6, "nidx");
  const int32_t* idx = checked_indices(info, 4, nidx, r.len);
  F32 out = get_f32(info, 7, "out");
  check_range(info.Env(), "scatterAdd g", g.length, 0, r.outer * nidx * r.inner);
  check_range(info.Env(), "scatterAdd out", out.length, 0, r.outer * r.len * r.inner);
  const float* gp = g.data;
  float* o = out.data;
  return {[=] { k::scatter_add(gp, r.outer, r.len, r.inner, idx, nidx, o); },
          {info[0], info[4], info[7]}};
}

Job parse_one_hot(const Napi::CallbackInfo& info) {
  I32 idx = get_i32(info, 0, "indices");
  int64_t off = get_int(info, 1, "indices offset");
  int64_t n = get_int(info, 2, "n");
  int64_t depth = get_int(info, 3, "depth");
  float on = static_cast<float>(get_num(info, 4, "onValue"));
  float offv = static_cast<float>(get_num(info, 5, "offValue"));
  F32 out = get_f32(info, 6, "out");
  if (depth < 0) throw_range(info.Env(), "negative depth");
  check_range(info.Env(), "oneHot indices", idx.length, off, n);
  check_range(info.Env(), "oneHot out", out.length, 0, n * depth);
  const int32_t* ip = idx.data + off;
  float* o = out.data;
  return {[=] { k::one_hot(ip, n, depth, on, offv, o); }, {info[0], info[6]}};
}

void check_matrix(Napi::Env env, const char* what, int64_t length, int64_t offset, int64_t rows,
                  int64_t cols, int64_t ld) {
  if (ld < cols || ld < 1) throw_range(env, std::string(what) + ": leading dimension too small");
  if (rows == 0 || cols == 0) return;
  if (offset < 0 || offset + (rows - 1) * ld + cols > length) {
    throw_range(env, std::string(what) + ": matrix exceeds its array");
  }
}

// gemm(a, b, c, meta, bias | null)
// meta: transA, transB, m, n, k, lda, ldb, ldc, alpha, beta, activation, batch,
//       aOffsets[batch], bOffsets[batch], cOffsets[batch]
Job parse_gemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 a = get_f32(info, 0, "a");
  F32 b = get_f32(info, 1, "b");
  F32 c = get_f32(info, 2, "c");
  Meta meta(info, 3);
  bool ta = meta.next() != 0, tb = meta.next() != 0;
  int64_t m = meta.next(), n = meta.next(), kk = meta.next();
  int64_t lda = meta.next(), ldb = meta.next(), ldc = meta.next();
  float alpha = static_cast<float>(meta.next_double());
  float beta = static_cast<float>(meta.next_double());
  int64_t act = meta.next();
  int64_t batch = meta.next();
  if (m < 0 || n < 0 || kk < 0 || batch < 0) throw_range(env, "gemm: negative size");
  if (act < 0 || act > 1) throw_range(env, "gemm: unknown activation");
  std::vector<int64_t> offs(static_cast<size_t>(batch) * 3);
  for (auto& o : offs) o = meta.next();
  int64_t a_rows = ta ? kk : m, a_cols = ta ? m : kk;
  int64_t b_rows = tb ? n : kk, b_cols = tb ? kk : n;
  for (int64_t i = 0; i < batch; i++) {
    check_matrix(env, "gemm a", a.length, offs[i], a_rows, a_cols, lda);
    check_matrix(env, "gemm b", b.length, offs[batch + i], b_rows, b_cols, ldb);
    check_matrix(env, "gemm c", c.length, offs[2 * batch + i], m, n, ldc);
  }
  const float* bias = nullptr;
  std::vector<Napi::Value> borrowed{info[0], info[1], info[2]};
  if (info.Length() > 4 && !info[4].IsNull() && !info[4].IsUndefined()) {
    F32 bs = get_f32(info, 4, "bias");
    check_range(env, "gemm bias", bs.length, 0, n);
    bias = bs.data;
    borrowed.push_back(info[4]);
  }
  k::GemmEpilogue ep;
  ep.bias = bias;
  ep.activation = static_cast<k::GemmActivation>(act);
  const float* ap = a.data;
  const float* bp = b.data;
  float* cp = c.data;
  return {[=, offs = std::move(offs)] {
            if (batch == 1) {
              k::sgemm(ta, tb, m, n, kk, alpha, ap + offs[0], lda, bp + offs[1], ldb, beta,
                       cp + offs[2], ldc, ep);
            } else {
              k::sgemm_batched(ta, tb, m, n, kk, alpha, ap, lda, offs.data(), bp, ldb,
                               offs.data() + batch, beta, cp, ldc, offs.data() + 2 * batch, batch, ep);
            }
          },
          std::move(borrowed)};
}

}  // namespace

void register_ops(Napi::Env env, Napi::Object exports) {
  export_job(env, exports, "unary", parse_unary);
  export_job(env, exports, "binary", parse_binary);
  export_job(env, exports, "where", parse_where);
  export_job(env, exports, "stridedCopy", parse_strided_copy);
  export_job(env, exports, "fill", parse_fill);
  export_job(env, exports, "reduce", parse_reduce);
  export_job(env, exports, "argReduce", parse_arg_reduce);
  export_job(env, exports, "softmax", parse_softmax);
  export_job(env, exports, "gather", parse_gather);
  export_job(env, exports, "scatterAdd", parse_scatter_add);
  export_job(env, exports, "oneHot", parse_one_hot);
  export_job(env, exports, "gemm", parse_gemm);
}

}  // namespace tf::binding
