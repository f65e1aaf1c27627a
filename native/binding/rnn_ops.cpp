// Entry points of the fused recurrent-cell kernels (native/kernels/rnn.h). Every matrix arrives as
// (typed array, offset, row stride) and is checked here to lie inside its array; optional ones may be null.
#include <string>

#include "binding/job.h"
#include "binding/js_args.h"
#include "binding/ops.h"
#include "kernels/rnn.h"

namespace tf::binding {
namespace k = tf::kernels;
namespace {

constexpr int64_t kMaxExtent = int64_t{1} << 31;

struct Mat {
  float* p;
  int64_t ld;
};

// Reads offset (and row stride when has_ld, else the stride is cols) of a rows x cols matrix in argument i.
Mat read_mat(const Napi::CallbackInfo& info, size_t i, const char* what, Meta& meta, int64_t rows, int64_t cols,
             bool has_ld, bool optional) {
  Napi::Env env = info.Env();
  int64_t off = meta.next();
  int64_t ld = has_ld ? meta.next() : cols;
  if (optional && (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined())) return {nullptr, 0};
  F32 a = get_f32(info, i, what);
  if (ld < cols || ld < 0 || ld > kMaxExtent * 4) throw_range(env, std::string(what) + ": row stride too small");
  if (rows > 0 && cols > 0 && (off < 0 || off + (rows - 1) * ld + cols > a.length)) {
    throw_range(env, std::string(what) + ": matrix exceeds its array");
  }
  return {a.data + off, ld};
}

void read_sizes(Napi::Env env, Meta& meta, int64_t* batch, int64_t* units) {
  *batch = meta.next();
  *units = meta.next();
  if (*batch < 0 || *units < 0 || *batch > kMaxExtent || *units > kMaxExtent) throw_range(env, "rnn: size out of range");
}

k::RowMask row_mask(const Mat& m) { return k::RowMask{m.p, m.ld}; }

// lstmCellForward(xp, hp?, cPrev, hPrev?, mask?, h, c, gates, meta = [batch, units, xpOff, ldxp, hpOff, ldhp,
//   cpOff, ldcp, hprevOff, ldhprev, maskOff, ldmask, hOff, ldh, cOff, ldc, gatesOff])
Napi::Value lstm_forward_entry(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  Meta meta(info, 8);
  int64_t B, H;
  read_sizes(env, meta, &B, &H);
  Mat xp = read_mat(info, 0, "lstm xp", meta, B, 4 * H, true, false);
  Mat hp = read_mat(info, 1, "lstm hp", meta, B, 4 * H, true, true);
  Mat cp = read_mat(info, 2, "lstm cPrev", meta, B, H, true, false);
  Mat hprev = read_mat(info, 3, "lstm hPrev", meta, B, H, true, true);
  Mat mask = read_mat(info, 4, "lstm mask", meta, B, 1, true, true);
  Mat h = read_mat(info, 5, "lstm h", meta, B, H, true, false);
  Mat c = read_mat(info, 6, "lstm c", meta, B, H, true, false);
  Mat g = read_mat(info, 7, "lstm gates", meta, B, 4 * H, false, false);
  if (mask.p && !hprev.p) throw_range(env, "lstm: a mask needs hPrev");
  k::LstmForward a{B, H, xp.p, xp.ld, hp.p, hp.ld, cp.p, cp.ld, hprev.p, hprev.ld, row_mask(mask),
                   h.p, h.ld, c.p, c.ld, g.p};
  return dispatch(info, async, [=] { k::lstm_cell_forward(a); }, {0, 1, 2, 3, 4, 5, 6, 7});
}

// lstmCellBackward(gates, cPrev, c, dh1, dh2?, dc1?, dc2?, mask?, dz, dcPrev, dhPass?, meta = [batch, units,
//   gatesOff, cpOff, ldcp, cOff, ldc, dh1Off, lddh1, dh2Off, lddh2, dc1Off, lddc1, dc2Off, lddc2,
//   maskOff, ldmask, dzOff, lddz, dcpOff, lddcp, dhpOff, lddhp])
Napi::Value lstm_backward_entry(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  Meta meta(info, 11);
  int64_t B, H;
  read_sizes(env, meta, &B, &H);
  Mat g = read_mat(info, 0, "lstm gates", meta, B, 4 * H, false, false);
  Mat cp = read_mat(info, 1, "lstm cPrev", meta, B, H, true, false);
  Mat c = read_mat(info, 2, "lstm c", meta, B, H, true, false);
  Mat dh1 = read_mat(info, 3, "lstm dh", meta, B, H, true, false);
  Mat dh2 = read_mat(info, 4, "lstm dh2", meta, B, H, true, true);
  Mat dc1 = read_mat(info, 5, "lstm dc", meta, B, H, true, true);
  Mat dc2 = read_mat(info, 6, "lstm dc2", meta, B, H, true, true);
  Mat mask = read_mat(info, 7, "lstm mask", meta, B, 1, true, true);
  Mat dz = read_mat(info, 8, "lstm dz", meta, B, 4 * H, true, false);
  Mat dcp = read_mat(info, 9, "lstm dcPrev", meta, B, H, true, false);
  Mat dhp = read_mat(info, 10, "lstm dhPass", meta, B, H, true, true);
  k::LstmBackward a{B, H, g.p, cp.p, cp.ld, c.p, c.ld, dh1.p, dh1.ld, dh2.p, dh2.ld, dc1.p, dc1.ld, dc2.p, dc2.ld,
                    row_mask(mask), dz.p, dz.ld, dcp.p, dcp.ld, dhp.p, dhp.ld};
  return dispatch(info, async, [=] { k::lstm_cell_backward(a); }, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
}

// gruCellForward(xp, hp, hPrev, mask?, h, gates, meta = [batch, units, xpOff, ldxp, hpOff, ldhp,
//   hprevOff, ldhprev, maskOff, ldmask, hOff, ldh, gatesOff])
Napi::Value gru_forward_entry(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  Meta meta(info, 6);
  int64_t B, H;
  read_sizes(env, meta, &B, &H);
  Mat xp = read_mat(info, 0, "gru xp", meta, B, 3 * H, true, false);
  Mat hp = read_mat(info, 1, "gru hp", meta, B, 3 * H, true, false);
  Mat hprev = read_mat(info, 2, "gru hPrev", meta, B, H, true, false);
  Mat mask = read_mat(info, 3, "gru mask", meta, B, 1, true, true);
  Mat h = read_mat(info, 4, "gru h", meta, B, H, true, false);
  Mat g = read_mat(info, 5, "gru gates", meta, B, 3 * H, false, false);
  k::GruForward a{B, H, xp.p, xp.ld, hp.p, hp.ld, hprev.p, hprev.ld, row_mask(mask), h.p, h.ld, g.p};
  return dispatch(info, async, [=] { k::gru_cell_forward(a); }, {0, 1, 2, 3, 4, 5});
}

// gruCellBackward(gates, hp, hPrev, dh1, dh2?, mask?, dxp, dhp, dhDirect, meta = [batch, units, gatesOff,
//   hpOff, ldhp, hprevOff, ldhprev, dh1Off, lddh1, dh2Off, lddh2, maskOff, ldmask, dxpOff, lddxp,
//   dhpOff, lddhp, dhdOff, lddhd])
Napi::Value gru_backward_entry(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  Meta meta(info, 9);
  int64_t B, H;
  read_sizes(env, meta, &B, &H);
  Mat g = read_mat(info, 0, "gru gates", meta, B, 3 * H, false, false);
  Mat hp = read_mat(info, 1, "gru hp", meta, B, 3 * H, true, false);
  Mat hprev = read_mat(info, 2, "gru hPrev", meta, B, H, true, false);
  Mat dh1 = read_mat(info, 3, "gru dh", meta, B, H, true, false);
  Mat dh2 = read_mat(info, 4, "gru dh2", meta, B, H, true, true);
  Mat mask = read_mat(info, 5, "gru mask", meta, B, 1, true, true);
  Mat dxp = read_mat(info, 6, "gru dxp", meta, B, 3 * H, true, false);
  Mat dhp = read_mat(info, 7, "gru dhp", meta, B, 3 * H, true, false);
  Mat dhd = read_mat(info, 8, "gru dhDirect", meta, B, H, true, false);
  k::GruBackward a{B, H, g.p, hp.p, hp.ld, hprev.p, hprev.ld, dh1.p, dh1.ld, dh2.p, dh2.ld, row_mask(mask),
                   dxp.p, dxp.ld, dhp.p, dhp.ld, dhd.p, dhd.ld};
  return dispatch(info, async, [=] { k::gru_cell_backward(a); }, {0, 1, 2, 3, 4, 5, 6, 7, 8});
}

}  // namespace

void register_rnn_ops(Napi::Env env, Napi::Object exports) {
  export_entry(env, exports, "lstmCellForward", lstm_forward_entry);
  export_entry(env, exports, "lstmCellBackward", lstm_backward_entry);
  export_entry(env, exports, "gruCellForward", gru_forward_entry);
  export_entry(env, exports, "gruCellBackward", gru_backward_entry);
}

}  // namespace tf::binding
