// Entry points of the fused recurrent-cell kernels (native/kernels/rnn/rnn.h). Every matrix arrives as a
// typed array plus its offset and row stride fields (binding/layouts.h) and is checked here to lie
// inside its array; optional ones may be null.
#include <string>

#include "binding/job.h"
#include "binding/layouts.h"
#include "binding/js_args.h"
#include "binding/ops.h"
#include "kernels/rnn/rnn.h"

namespace tf::binding {
namespace k = tf::kernels;
namespace {

constexpr int64_t kMaxExtent = int64_t{1} << 31;

struct Mat {
  float* p;
  int64_t ld;
};

constexpr int kDense = -1;  // a matrix with no row stride field: its rows are cols apart

// The rows x cols matrix in argument i, at the offset in field `off` with the row stride in field
// `ld` (or kDense); an optional one is {nullptr, 0} when the argument is null, its fields unread.
template <typename L>
Mat read_mat(const Napi::CallbackInfo& info, size_t i, const char* what, const Args<L>& args, typename L::Field off_field,
             int ld_field, int64_t rows, int64_t cols, bool optional) {
  Napi::Env env = info.Env();
  if (optional && (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined())) return {nullptr, 0};
  int64_t off = args.integer(off_field);
  int64_t ld = ld_field == kDense ? cols : args.integer(static_cast<typename L::Field>(ld_field));
  F32 a = get_f32(info, i, what);
  if (ld < cols || ld < 0 || ld > kMaxExtent * 4) throw_range(env, std::string(what) + ": row stride too small");
  if (rows > 0 && cols > 0) check_matrix(env, what, a.length, off, rows, cols, ld);
  return {a.data + off, ld};
}

template <typename L>
void read_sizes(const Args<L>& args, int64_t* batch, int64_t* units) {
  *batch = args.integer(L::batch, 0, kMaxExtent);
  *units = args.integer(L::units, 0, kMaxExtent);
}

k::RowMask row_mask(const Mat& m) { return k::RowMask{m.p, m.ld}; }

// lstmCellForward(xp, hp?, cPrev, hPrev?, mask?, h, c, gates, args)
Napi::Value lstm_forward_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::lstmCellForward;
  Napi::Env env = info.Env();
  Args<L> args(info, 8);
  int64_t B, H;
  read_sizes(args, &B, &H);
  Mat xp = read_mat(info, 0, "lstm xp", args, L::xpOffset, L::xpLd, B, 4 * H, false);
  Mat hp = read_mat(info, 1, "lstm hp", args, L::hpOffset, L::hpLd, B, 4 * H, true);
  Mat cp = read_mat(info, 2, "lstm cPrev", args, L::cPrevOffset, L::cPrevLd, B, H, false);
  Mat hprev = read_mat(info, 3, "lstm hPrev", args, L::hPrevOffset, L::hPrevLd, B, H, true);
  Mat mask = read_mat(info, 4, "lstm mask", args, L::maskOffset, L::maskLd, B, 1, true);
  Mat h = read_mat(info, 5, "lstm h", args, L::hOffset, L::hLd, B, H, false);
  Mat c = read_mat(info, 6, "lstm c", args, L::cOffset, L::cLd, B, H, false);
  Mat g = read_mat(info, 7, "lstm gates", args, L::gatesOffset, kDense, B, 4 * H, false);
  if (mask.p && !hprev.p) throw_range(env, "lstm: a mask needs hPrev");
  k::LstmForward a{B, H, xp.p, xp.ld, hp.p, hp.ld, cp.p, cp.ld, hprev.p, hprev.ld, row_mask(mask),
                   h.p, h.ld, c.p, c.ld, g.p};
  return dispatch(info, async, [=] { k::lstm_cell_forward(a); }, {0, 1, 2, 3, 4, 5, 6, 7});
}

// lstmCellBackward(gates, cPrev, c, dh, dh2?, dc?, dc2?, mask?, dz, dcPrev, dhPass?, args)
Napi::Value lstm_backward_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::lstmCellBackward;
  Args<L> args(info, 11);
  int64_t B, H;
  read_sizes(args, &B, &H);
  Mat g = read_mat(info, 0, "lstm gates", args, L::gatesOffset, kDense, B, 4 * H, false);
  Mat cp = read_mat(info, 1, "lstm cPrev", args, L::cPrevOffset, L::cPrevLd, B, H, false);
  Mat c = read_mat(info, 2, "lstm c", args, L::cOffset, L::cLd, B, H, false);
  Mat dh1 = read_mat(info, 3, "lstm dh", args, L::dhOffset, L::dhLd, B, H, false);
  Mat dh2 = read_mat(info, 4, "lstm dh2", args, L::dh2Offset, L::dh2Ld, B, H, true);
  Mat dc1 = read_mat(info, 5, "lstm dc", args, L::dcOffset, L::dcLd, B, H, true);
  Mat dc2 = read_mat(info, 6, "lstm dc2", args, L::dc2Offset, L::dc2Ld, B, H, true);
  Mat mask = read_mat(info, 7, "lstm mask", args, L::maskOffset, L::maskLd, B, 1, true);
  Mat dz = read_mat(info, 8, "lstm dz", args, L::dzOffset, L::dzLd, B, 4 * H, false);
  Mat dcp = read_mat(info, 9, "lstm dcPrev", args, L::dcPrevOffset, L::dcPrevLd, B, H, false);
  Mat dhp = read_mat(info, 10, "lstm dhPass", args, L::dhPassOffset, L::dhPassLd, B, H, true);
  k::LstmBackward a{B, H, g.p, cp.p, cp.ld, c.p, c.ld, dh1.p, dh1.ld, dh2.p, dh2.ld, dc1.p, dc1.ld, dc2.p, dc2.ld,
                    row_mask(mask), dz.p, dz.ld, dcp.p, dcp.ld, dhp.p, dhp.ld};
  return dispatch(info, async, [=] { k::lstm_cell_backward(a); }, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
}

// gruCellForward(xp, hp, hPrev, mask?, h, gates, args)
Napi::Value gru_forward_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::gruCellForward;
  Args<L> args(info, 6);
  int64_t B, H;
  read_sizes(args, &B, &H);
  Mat xp = read_mat(info, 0, "gru xp", args, L::xpOffset, L::xpLd, B, 3 * H, false);
  Mat hp = read_mat(info, 1, "gru hp", args, L::hpOffset, L::hpLd, B, 3 * H, false);
  Mat hprev = read_mat(info, 2, "gru hPrev", args, L::hPrevOffset, L::hPrevLd, B, H, false);
  Mat mask = read_mat(info, 3, "gru mask", args, L::maskOffset, L::maskLd, B, 1, true);
  Mat h = read_mat(info, 4, "gru h", args, L::hOffset, L::hLd, B, H, false);
  Mat g = read_mat(info, 5, "gru gates", args, L::gatesOffset, kDense, B, 3 * H, false);
  k::GruForward a{B, H, xp.p, xp.ld, hp.p, hp.ld, hprev.p, hprev.ld, row_mask(mask), h.p, h.ld, g.p};
  return dispatch(info, async, [=] { k::gru_cell_forward(a); }, {0, 1, 2, 3, 4, 5});
}

// gruCellBackward(gates, hp, hPrev, dh, dh2?, mask?, dxp, dhp, dhDirect, args)
Napi::Value gru_backward_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::gruCellBackward;
  Args<L> args(info, 9);
  int64_t B, H;
  read_sizes(args, &B, &H);
  Mat g = read_mat(info, 0, "gru gates", args, L::gatesOffset, kDense, B, 3 * H, false);
  Mat hp = read_mat(info, 1, "gru hp", args, L::hpOffset, L::hpLd, B, 3 * H, false);
  Mat hprev = read_mat(info, 2, "gru hPrev", args, L::hPrevOffset, L::hPrevLd, B, H, false);
  Mat dh1 = read_mat(info, 3, "gru dh", args, L::dhOffset, L::dhLd, B, H, false);
  Mat dh2 = read_mat(info, 4, "gru dh2", args, L::dh2Offset, L::dh2Ld, B, H, true);
  Mat mask = read_mat(info, 5, "gru mask", args, L::maskOffset, L::maskLd, B, 1, true);
  Mat dxp = read_mat(info, 6, "gru dxp", args, L::dxpOffset, L::dxpLd, B, 3 * H, false);
  Mat dhp = read_mat(info, 7, "gru dhp", args, L::dhpOffset, L::dhpLd, B, 3 * H, false);
  Mat dhd = read_mat(info, 8, "gru dhDirect", args, L::dhDirectOffset, L::dhDirectLd, B, H, false);
  k::GruBackward a{B, H, g.p, hp.p, hp.ld, hprev.p, hprev.ld, dh1.p, dh1.ld, dh2.p, dh2.ld, row_mask(mask),
                   dxp.p, dxp.ld, dhp.p, dhp.ld, dhd.p, dhd.ld};
  return dispatch(info, async, [=] { k::gru_cell_backward(a); }, {0, 1, 2, 3, 4, 5, 6, 7, 8});
}

// Sizes of a whole sequence; the products every matrix check multiplies stay far inside int64.
template <typename L>
void read_sequence_sizes(const Napi::CallbackInfo& info, const Args<L>& args, int64_t* batch, int64_t* time,
                         int64_t* units) {
  *batch = args.integer(L::batch, 0, kMaxExtent);
  *time = args.integer(L::time, 0, kMaxExtent);
  *units = args.integer(L::units, 0, kMaxExtent / 4);
  if (*batch * *time > kMaxExtent) throw_range(info.Env(), "recurrent sequence: batch * time exceeds 2^31");
}

// lstmSequenceForward(xp, u, h0, c0, mask?, y, gates, args)
Napi::Value lstm_sequence_forward_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::lstmSequenceForward;
  Args<L> args(info, 7);
  int64_t B, T, H;
  read_sequence_sizes(info, args, &B, &T, &H);
  Mat xp = read_mat(info, 0, "lstm xp", args, L::xpOffset, kDense, B * T, 4 * H, false);
  Mat u = read_mat(info, 1, "lstm recurrentKernel", args, L::uOffset, kDense, H, 4 * H, false);
  Mat h0 = read_mat(info, 2, "lstm h0", args, L::h0Offset, L::h0Ld, B, H, false);
  Mat c0 = read_mat(info, 3, "lstm c0", args, L::c0Offset, L::c0Ld, B, H, false);
  Mat mask = read_mat(info, 4, "lstm mask", args, L::maskOffset, kDense, B, T, true);
  Mat y = read_mat(info, 5, "lstm y", args, L::yOffset, kDense, B * T, 2 * H, false);
  Mat g = read_mat(info, 6, "lstm gates", args, L::gatesOffset, kDense, T * B, 4 * H, false);
  k::LstmSequenceForward a{B, T, H, xp.p, u.p, h0.p, h0.ld, c0.p, c0.ld, mask.p, y.p, g.p};
  return dispatch(info, async, [=] { k::lstm_sequence_forward(a); }, {0, 1, 2, 3, 4, 5, 6});
}

// lstmSequenceBackward(u, h0, c0, mask?, y, gates, dy, dxp, du, dh0, dc0, args)
Napi::Value lstm_sequence_backward_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::lstmSequenceBackward;
  Args<L> args(info, 11);
  int64_t B, T, H;
  read_sequence_sizes(info, args, &B, &T, &H);
  Mat u = read_mat(info, 0, "lstm recurrentKernel", args, L::uOffset, kDense, H, 4 * H, false);
  Mat h0 = read_mat(info, 1, "lstm h0", args, L::h0Offset, L::h0Ld, B, H, false);
  Mat c0 = read_mat(info, 2, "lstm c0", args, L::c0Offset, L::c0Ld, B, H, false);
  Mat mask = read_mat(info, 3, "lstm mask", args, L::maskOffset, kDense, B, T, true);
  Mat y = read_mat(info, 4, "lstm y", args, L::yOffset, kDense, B * T, 2 * H, false);
  Mat g = read_mat(info, 5, "lstm gates", args, L::gatesOffset, kDense, T * B, 4 * H, false);
  Mat dy = read_mat(info, 6, "lstm dy", args, L::dyOffset, kDense, B * T, 2 * H, false);
  Mat dxp = read_mat(info, 7, "lstm dxp", args, L::dxpOffset, kDense, B * T, 4 * H, false);
  Mat du = read_mat(info, 8, "lstm du", args, L::duOffset, kDense, H, 4 * H, false);
  Mat dh0 = read_mat(info, 9, "lstm dh0", args, L::dh0Offset, kDense, B, H, false);
  Mat dc0 = read_mat(info, 10, "lstm dc0", args, L::dc0Offset, kDense, B, H, false);
  k::LstmSequenceBackward a{B, T, H, u.p, h0.p, h0.ld, c0.p, c0.ld, mask.p, y.p, g.p, dy.p, dxp.p, du.p, dh0.p, dc0.p};
  return dispatch(info, async, [=] { k::lstm_sequence_backward(a); }, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
}

// gruSequenceForward(xp, u, bias?, h0, mask?, y, gates, hp, args)
Napi::Value gru_sequence_forward_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::gruSequenceForward;
  Args<L> args(info, 8);
  int64_t B, T, H;
  read_sequence_sizes(info, args, &B, &T, &H);
  Mat xp = read_mat(info, 0, "gru xp", args, L::xpOffset, kDense, B * T, 3 * H, false);
  Mat u = read_mat(info, 1, "gru recurrentKernel", args, L::uOffset, kDense, H, 3 * H, false);
  Mat bias = read_mat(info, 2, "gru recurrentBias", args, L::biasOffset, kDense, 1, 3 * H, true);
  Mat h0 = read_mat(info, 3, "gru h0", args, L::h0Offset, L::h0Ld, B, H, false);
  Mat mask = read_mat(info, 4, "gru mask", args, L::maskOffset, kDense, B, T, true);
  Mat y = read_mat(info, 5, "gru y", args, L::yOffset, kDense, B * T, H, false);
  Mat g = read_mat(info, 6, "gru gates", args, L::gatesOffset, kDense, T * B, 3 * H, false);
  Mat hp = read_mat(info, 7, "gru hp", args, L::hpOffset, kDense, T * B, 3 * H, false);
  k::GruSequenceForward a{B, T, H, xp.p, u.p, bias.p, h0.p, h0.ld, mask.p, y.p, g.p, hp.p};
  return dispatch(info, async, [=] { k::gru_sequence_forward(a); }, {0, 1, 2, 3, 4, 5, 6, 7});
}

// gruSequenceBackward(u, h0, mask?, y, gates, hp, dy, dxp, du, db?, dh0, args)
Napi::Value gru_sequence_backward_entry(const Napi::CallbackInfo& info, bool async) {
  using L = layout::gruSequenceBackward;
  Args<L> args(info, 11);
  int64_t B, T, H;
  read_sequence_sizes(info, args, &B, &T, &H);
  Mat u = read_mat(info, 0, "gru recurrentKernel", args, L::uOffset, kDense, H, 3 * H, false);
  Mat h0 = read_mat(info, 1, "gru h0", args, L::h0Offset, L::h0Ld, B, H, false);
  Mat mask = read_mat(info, 2, "gru mask", args, L::maskOffset, kDense, B, T, true);
  Mat y = read_mat(info, 3, "gru y", args, L::yOffset, kDense, B * T, H, false);
  Mat g = read_mat(info, 4, "gru gates", args, L::gatesOffset, kDense, T * B, 3 * H, false);
  Mat hp = read_mat(info, 5, "gru hp", args, L::hpOffset, kDense, T * B, 3 * H, false);
  Mat dy = read_mat(info, 6, "gru dy", args, L::dyOffset, kDense, B * T, H, false);
  Mat dxp = read_mat(info, 7, "gru dxp", args, L::dxpOffset, kDense, B * T, 3 * H, false);
  Mat du = read_mat(info, 8, "gru du", args, L::duOffset, kDense, H, 3 * H, false);
  Mat db = read_mat(info, 9, "gru db", args, L::dbOffset, kDense, 1, 3 * H, true);
  Mat dh0 = read_mat(info, 10, "gru dh0", args, L::dh0Offset, kDense, B, H, false);
  k::GruSequenceBackward a{B, T, H, u.p, h0.p, h0.ld, mask.p, y.p, g.p, hp.p, dy.p, dxp.p, du.p, db.p, dh0.p};
  return dispatch(info, async, [=] { k::gru_sequence_backward(a); }, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
}

}  // namespace

void register_rnn_ops(Napi::Env env, Napi::Object exports) {
  export_entry<layout::lstmCellForward>(env, exports, "lstmCellForward", lstm_forward_entry);
  export_entry<layout::lstmCellBackward>(env, exports, "lstmCellBackward", lstm_backward_entry);
  export_entry<layout::gruCellForward>(env, exports, "gruCellForward", gru_forward_entry);
  export_entry<layout::gruCellBackward>(env, exports, "gruCellBackward", gru_backward_entry);
  export_entry<layout::lstmSequenceForward>(env, exports, "lstmSequenceForward", lstm_sequence_forward_entry);
  export_entry<layout::lstmSequenceBackward>(env, exports, "lstmSequenceBackward", lstm_sequence_backward_entry);
  export_entry<layout::gruSequenceForward>(env, exports, "gruSequenceForward", gru_sequence_forward_entry);
  export_entry<layout::gruSequenceBackward>(env, exports, "gruSequenceBackward", gru_sequence_backward_entry);
}

}  // namespace tf::binding
