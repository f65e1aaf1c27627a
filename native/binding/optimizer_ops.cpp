// Entry points for the fused optimizer kernels. The TypeScript optimizers validate user options;
// the checks here only make sure a bad call can never touch memory outside its arrays. Every meta
// field is read by the name optimizer_layouts.h gives it.
#include <iterator>
#include <string>

#include "binding/job.h"
#include "binding/js_args.h"
#include "binding/ops.h"
#include "binding/optimizer_layouts.h"
#include "kernels/optimizer/optimizer_update.h"

namespace tf::binding {
namespace k = tf::kernels;
namespace {

// Field types of the layouts: how each is stored and read.
#define TF_FIELD_TYPE_index int64_t
#define TF_FIELD_TYPE_real double
#define TF_FIELD_TYPE_flag bool
int64_t read_index(Meta& meta) { return meta.next(); }
double read_real(Meta& meta) { return meta.next_double(); }
bool read_flag(Meta& meta) { return meta.next_double() != 0; }

#define TF_DECLARE_FIELD(type, name) TF_FIELD_TYPE_##type name{};
#define TF_READ_FIELD(type, name) out.name = read_##type(meta);
#define TF_FIELD_NAME(type, name) #name,
#define TF_SLOT_NAME(name) #name,

struct StepCommon {
  TF_OPTIMIZER_STEP_COMMON(TF_DECLARE_FIELD)
};
StepCommon read_step_common(Meta& meta) {
  StepCommon out;
  TF_OPTIMIZER_STEP_COMMON(TF_READ_FIELD)
  return out;
}
constexpr const char* kStepCommonNames[] = {TF_OPTIMIZER_STEP_COMMON(TF_FIELD_NAME)};

struct SumSquaresArgs {
  TF_OPTIMIZER_SUM_SQUARES(TF_DECLARE_FIELD)
};
SumSquaresArgs read_sum_squares(Meta& meta) {
  SumSquaresArgs out;
  TF_OPTIMIZER_SUM_SQUARES(TF_READ_FIELD)
  return out;
}
constexpr const char* kSumSquaresNames[] = {TF_OPTIMIZER_SUM_SQUARES(TF_FIELD_NAME)};

// Per kind: a struct of its named fields, a reader, and the lists of field and slot names.
#define TF_KIND_DECLS(Kind, name, FIELDS, SLOTS)                                                  \
  struct Kind##Args {                                                                              \
    FIELDS(TF_DECLARE_FIELD)                                                                       \
  };                                                                                               \
  Kind##Args read_##name(Meta& meta) {                                                             \
    Kind##Args out;                                                                                \
    FIELDS(TF_READ_FIELD)                                                                          \
    return out;                                                                                    \
  }                                                                                                \
  constexpr const char* k##Kind##Fields[] = {FIELDS(TF_FIELD_NAME)};                               \
  constexpr const char* k##Kind##Slots[] = {SLOTS(TF_SLOT_NAME)};                                  \
  static_assert(std::size(k##Kind##Slots) <= 3, #name ": the kernel takes at most three state arrays");
TF_OPTIMIZER_KINDS(TF_KIND_DECLS)

// The kernel's parameter struct from each kind's fields, by name: renaming a field in the layout
// without updating its use here fails to compile.
float f(double v) { return static_cast<float>(v); }
void set_hyper(const SgdArgs& a, k::OptimizerHyper& h) {
  h.momentum = f(a.momentum);
  h.nesterov = a.nesterov;
}
void set_hyper(const AdagradArgs& a, k::OptimizerHyper& h) { h.epsilon = f(a.epsilon); }
void set_hyper(const RmspropArgs& a, k::OptimizerHyper& h) {
  h.rho = f(a.rho);
  h.one_minus_rho = f(a.oneMinusRho);
  h.momentum = f(a.momentum);
  h.centered = a.centered;
  h.epsilon = f(a.epsilon);
}
void set_hyper(const AdamArgs& a, k::OptimizerHyper& h) {
  h.one_minus_beta1 = f(a.oneMinusBeta1);
  h.one_minus_beta2 = f(a.oneMinusBeta2);
  h.epsilon = f(a.epsilon);
  h.alpha = f(a.alpha);
  h.amsgrad = a.amsgrad;
}

struct KindInfo {
  const char* name;
  k::OptimizerKind kind;
  void (*read_hyper)(Meta& meta, k::OptimizerHyper& h);
  const char* const* fields;
  size_t field_count;
  const char* const* slots;
  size_t slot_count;
};

#define TF_KIND_INFO(Kind, name, FIELDS, SLOTS)                                   \
  KindInfo{#name,                                                                 \
           k::OptimizerKind::Kind,                                                \
           [](Meta& meta, k::OptimizerHyper& h) { set_hyper(read_##name(meta), h); }, \
           k##Kind##Fields,                                                       \
           std::size(k##Kind##Fields),                                            \
           k##Kind##Slots,                                                        \
           std::size(k##Kind##Slots)},
// Indexed by the kind code JS passes (the position of the name in addon.optimizerKinds).
const KindInfo kKinds[] = {TF_OPTIMIZER_KINDS(TF_KIND_INFO)};
static_assert(std::size(kKinds) == static_cast<size_t>(k::OptimizerKind::Count),
              "every kernels::OptimizerKind needs a line in TF_OPTIMIZER_KINDS");

bool overlaps(const float* a, int64_t na, const float* b, int64_t nb) {
  return na > 0 && nb > 0 && a < b + nb && b < a + na;
}

// optimizerStep(kind, param, grad, s0, s1, s2, meta): slots the configuration does not use may be
// null; the ones it uses are read from offset 0 and must hold n elements.
Napi::Value optimizer_step_entry(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  int64_t code = get_int(info, 0, "optimizer kind");
  if (code < 0 || code >= static_cast<int64_t>(std::size(kKinds))) throw_range(env, "unknown optimizer kind");
  const KindInfo& kind = kKinds[code];
  F32 param = get_f32(info, 1, "param");
  F32 grad = get_f32(info, 2, "grad");
  Meta meta(info, 6);
  const StepCommon c = read_step_common(meta);
  k::OptimizerHyper h;
  h.kind = kind.kind;
  h.lr = f(c.lr);
  h.grad_scale = f(c.gradScale);
  h.clip_value = f(c.clipValue);
  h.decay = f(c.decay);
  kind.read_hyper(meta, h);
  const int64_t n = c.n;
  check_range(env, "optimizerStep param", param.length, c.paramOffset, n);
  check_range(env, "optimizerStep grad", grad.length, c.gradOffset, n);
  float* pp = param.data + c.paramOffset;
  const float* gp = grad.data + c.gradOffset;
  if (gp != pp && overlaps(pp, n, gp, n)) throw_range(env, "optimizerStep: grad partially overlaps param");

  float* slot[3] = {nullptr, nullptr, nullptr};
  for (int s = 0; s < 3; s++) {
    if (!k::optimizer_uses_slot(h, s)) continue;
    const std::string what = "optimizerStep state " + std::to_string(s) + " (" +
                             (static_cast<size_t>(s) < kind.slot_count ? kind.slots[s] : "?") + ")";
    F32 a = get_f32(info, 3 + s, what.c_str());
    check_range(env, what.c_str(), a.length, 0, n);
    if (overlaps(a.data, n, pp, n) || overlaps(a.data, n, gp, n)) throw_range(env, what + " overlaps the param or grad");
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

// optimizerSumSquares(x, meta) -> sum of x^2 in double. Synchronous only: the optimizers need the
// value before they can scale the update.
Napi::Value optimizer_sum_squares_fn(const Napi::CallbackInfo& info) {
  F32 x = get_f32(info, 0, "x");
  Meta meta(info, 1);
  const SumSquaresArgs a = read_sum_squares(meta);
  check_range(info.Env(), "optimizerSumSquares x", x.length, a.offset, a.n);
  return Napi::Number::New(info.Env(), k::sum_squares(x.data + a.offset, a.n));
}

Napi::Array name_list(Napi::Env env, std::initializer_list<std::pair<const char* const*, size_t>> parts) {
  Napi::Array out = Napi::Array::New(env);
  uint32_t i = 0;
  for (const auto& [names, count] : parts) {
    for (size_t j = 0; j < count; j++) out.Set(i++, names[j]);
  }
  return out;
}

// { step: { <kind>: { fields, slots } }, sumSquares: [...] }, fields being the whole meta of that
// kind (common fields first).
Napi::Object layouts(Napi::Env env) {
  Napi::Object step = Napi::Object::New(env);
  for (const KindInfo& kind : kKinds) {
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("fields", name_list(env, {{kStepCommonNames, std::size(kStepCommonNames)}, {kind.fields, kind.field_count}}));
    entry.Set("slots", name_list(env, {{kind.slots, kind.slot_count}}));
    step.Set(kind.name, entry);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("step", step);
  out.Set("sumSquares", name_list(env, {{kSumSquaresNames, std::size(kSumSquaresNames)}}));
  return out;
}

}  // namespace

void register_optimizer_ops(Napi::Env env, Napi::Object exports) {
  Napi::Array names = Napi::Array::New(env, std::size(kKinds));
  for (uint32_t i = 0; i < std::size(kKinds); i++) names.Set(i, kKinds[i].name);
  exports.Set("optimizerKinds", names);
  exports.Set("optimizerLayouts", layouts(env));
  export_entry(env, exports, "optimizerStep", optimizer_step_entry);
  exports.Set("optimizerSumSquares",
              Napi::Function::New(env, optimizer_sum_squares_fn, "optimizerSumSquares"));
}

}  // namespace tf::binding
