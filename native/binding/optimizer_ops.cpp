// Entry points for the fused optimizer kernels. The TypeScript optimizers validate user options;
// the checks here only make sure a bad call can never touch memory outside its arrays.
#include <iterator>
#include <string>

#include "binding/job.h"
#include "binding/js_args.h"
#include "binding/ops.h"
#include "kernels/optimizer_update.h"

namespace tf::binding {
namespace k = tf::kernels;
namespace {

// Enum order of k::OptimizerKind; JS resolves codes by name once at load.
constexpr const char* kOptimizerNames[] = {"sgd", "adagrad", "rmsprop", "adam"};
static_assert(std::size(kOptimizerNames) == static_cast<size_t>(k::OptimizerKind::Count));

bool overlaps(const float* a, int64_t na, const float* b, int64_t nb) {
  return na > 0 && nb > 0 && a < b + nb && b < a + na;
}

// Reads meta = [paramOffset, gradOffset, n, lr, gradScale, clipValue, decay, h0, h1, h2, h3, h4]
// where h0..h4 depend on the kind:
//   sgd:     momentum, nesterov
//   adagrad: epsilon
//   rmsprop: rho, 1 - rho, momentum, centered, epsilon
//   adam:    1 - beta1, 1 - beta2, epsilon, alpha, amsgrad
k::OptimizerHyper read_hyper(k::OptimizerKind kind, Meta& meta) {
  k::OptimizerHyper h;
  h.kind = kind;
  h.lr = static_cast<float>(meta.next_double());
  h.grad_scale = static_cast<float>(meta.next_double());
  h.clip_value = static_cast<float>(meta.next_double());
  h.decay = static_cast<float>(meta.next_double());
  double p[5];
  for (double& v : p) v = meta.next_double();
  switch (kind) {
    case k::OptimizerKind::Sgd:
      h.momentum = static_cast<float>(p[0]);
      h.nesterov = p[1] != 0;
      break;
    case k::OptimizerKind::Adagrad:
      h.epsilon = static_cast<float>(p[0]);
      break;
    case k::OptimizerKind::Rmsprop:
      h.rho = static_cast<float>(p[0]);
      h.one_minus_rho = static_cast<float>(p[1]);
      h.momentum = static_cast<float>(p[2]);
      h.centered = p[3] != 0;
      h.epsilon = static_cast<float>(p[4]);
      break;
    case k::OptimizerKind::Adam:
      h.one_minus_beta1 = static_cast<float>(p[0]);
      h.one_minus_beta2 = static_cast<float>(p[1]);
      h.epsilon = static_cast<float>(p[2]);
      h.alpha = static_cast<float>(p[3]);
      h.amsgrad = p[4] != 0;
      break;
    default:
      break;
  }
  return h;
}

// optimizerStep(kind, param, grad, s0, s1, s2, meta): slots the configuration does not use may be
// null; the ones it uses are read from offset 0 and must hold n elements.
Napi::Value optimizer_step_entry(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  int64_t code = get_int(info, 0, "optimizer kind");
  if (code < 0 || code >= static_cast<int64_t>(k::OptimizerKind::Count)) throw_range(env, "unknown optimizer kind");
  const auto kind = static_cast<k::OptimizerKind>(code);
  F32 param = get_f32(info, 1, "param");
  F32 grad = get_f32(info, 2, "grad");
  Meta meta(info, 6);
  int64_t p_off = meta.next(), g_off = meta.next(), n = meta.next();
  const k::OptimizerHyper h = read_hyper(kind, meta);
  check_range(env, "optimizerStep param", param.length, p_off, n);
  check_range(env, "optimizerStep grad", grad.length, g_off, n);
  float* pp = param.data + p_off;
  const float* gp = grad.data + g_off;
  if (gp != pp && overlaps(pp, n, gp, n)) throw_range(env, "optimizerStep: grad partially overlaps param");

  static const char* const kSlotNames[] = {"optimizerStep state 0", "optimizerStep state 1", "optimizerStep state 2"};
  float* slot[3] = {nullptr, nullptr, nullptr};
  for (int s = 0; s < 3; s++) {
    if (!k::optimizer_uses_slot(h, s)) continue;
    F32 a = get_f32(info, 3 + s, kSlotNames[s]);
    check_range(env, kSlotNames[s], a.length, 0, n);
    if (overlaps(a.data, n, pp, n) || overlaps(a.data, n, gp, n)) {
      throw_range(env, std::string(kSlotNames[s]) + " overlaps the param or grad");
    }
    for (int t = 0; t < s; t++) {
      if (slot[t] && overlaps(a.data, n, slot[t], n)) throw_range(env, "optimizerStep: state arrays overlap");
    }
    slot[s] = a.data;
  }
  k::OptimizerSlots slots;
  slots.s0 = slot[0];
  slots.s1 = slot[1];
  slots.s2 = slot[2];
  return dispatch(info, async, [=] { k::optimizer_step(h, pp, gp, slots, n); }, {1, 2, 3, 4, 5});
}

// optimizerSumSquares(x, meta = [offset, n]) -> sum of x^2 in double. Synchronous only: the
// optimizers need the value before they can scale the update.
Napi::Value optimizer_sum_squares_fn(const Napi::CallbackInfo& info) {
  F32 x = get_f32(info, 0, "x");
  Meta meta(info, 1);
  int64_t off = meta.next(), n = meta.next();
  check_range(info.Env(), "optimizerSumSquares x", x.length, off, n);
  return Napi::Number::New(info.Env(), k::sum_squares(x.data + off, n));
}

}  // namespace

void register_optimizer_ops(Napi::Env env, Napi::Object exports) {
  Napi::Array names = Napi::Array::New(env, std::size(kOptimizerNames));
  for (uint32_t i = 0; i < std::size(kOptimizerNames); i++) names.Set(i, kOptimizerNames[i]);
  exports.Set("optimizerKinds", names);
  export_entry(env, exports, "optimizerStep", optimizer_step_entry);
  exports.Set("optimizerSumSquares",
              Napi::Function::New(env, optimizer_sum_squares_fn, "optimizerSumSquares"));
}

}  // namespace tf::binding
