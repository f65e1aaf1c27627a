// Entry points for the fused optimizer kernels. The TypeScript optimizers validate user options;
// the checks here only make sure a bad call can never touch memory outside its arrays. Every meta
// field is read by the name optimizer_layouts.h gives it.
#include <algorithm>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

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

const KindInfo& kind_of(const Napi::CallbackInfo& info) {
  int64_t code = get_int(info, 0, "optimizer kind");
  if (code < 0 || code >= static_cast<int64_t>(std::size(kKinds))) throw_range(info.Env(), "unknown optimizer kind");
  return kKinds[code];
}

// One parameter's update from its arrays and its meta block (read from `meta`'s current position),
// every pointer checked against the array it came from. slot_of(s) is state array s (called only
// for the slots the configuration uses); `what` prefixes the messages.
template <typename SlotOf>
k::OptimizerTarget read_target(Napi::Env env, const KindInfo& kind, F32 param, F32 grad, SlotOf&& slot_of, Meta& meta,
                               const std::string& what) {
  const StepCommon c = read_step_common(meta);
  k::OptimizerTarget t;
  k::OptimizerHyper& h = t.h;
  h.kind = kind.kind;
  h.lr = f(c.lr);
  h.grad_scale = f(c.gradScale);
  h.clip_value = f(c.clipValue);
  h.decay = f(c.decay);
  kind.read_hyper(meta, h);
  const int64_t n = c.n;
  check_range(env, (what + " param").c_str(), param.length, c.paramOffset, n);
  check_range(env, (what + " grad").c_str(), grad.length, c.gradOffset, n);
  float* pp = param.data + c.paramOffset;
  const float* gp = grad.data + c.gradOffset;
  if (gp != pp && overlaps(pp, n, gp, n)) throw_range(env, what + ": grad partially overlaps param");
  float* slot[3] = {nullptr, nullptr, nullptr};
  for (int s = 0; s < 3; s++) {
    if (!k::optimizer_uses_slot(h, s)) continue;
    const std::string sw = what + " state " + std::to_string(s) + " (" +
                           (static_cast<size_t>(s) < kind.slot_count ? kind.slots[s] : "?") + ")";
    F32 a = slot_of(s, sw);
    check_range(env, sw.c_str(), a.length, 0, n);
    if (overlaps(a.data, n, pp, n) || overlaps(a.data, n, gp, n)) throw_range(env, sw + " overlaps the param or grad");
    for (int u = 0; u < s; u++) {
      if (slot[u] && overlaps(a.data, n, slot[u], n)) throw_range(env, what + ": state arrays overlap");
    }
    slot[s] = a.data;
  }
  t.param = pp;
  t.grad = gp;
  t.slots.s0 = slot[0];
  t.slots.s1 = slot[1];
  t.slots.s2 = slot[2];
  t.n = n;
  return t;
}

// optimizerStep(kind, param, grad, s0, s1, s2, meta): slots the configuration does not use may be
// null; the ones it uses are read from offset 0 and must hold n elements.
Napi::Value optimizer_step_entry(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  const KindInfo& kind = kind_of(info);
  F32 param = get_f32(info, 1, "param");
  F32 grad = get_f32(info, 2, "grad");
  Meta meta(info, 6);
  const k::OptimizerTarget t = read_target(
      env, kind, param, grad, [&](int s, const std::string& what) { return get_f32(info, 3 + s, what.c_str()); }, meta,
      "optimizerStep");
  return dispatch(info, async, [=] { k::optimizer_step(t.h, t.param, t.grad, t.slots, t.n); }, {1, 2, 3, 4, 5});
}

// Throws unless no target writes memory another target reads or writes: parameters and state
// arrays pairwise disjoint, and each gradient clear of every other target's writes (a gradient may
// be its own parameter, as in optimizerStep).
void check_disjoint(Napi::Env env, const std::vector<k::OptimizerTarget>& targets) {
  struct Span {
    const float* lo;
    const float* hi;
    size_t owner;
  };
  std::vector<Span> writes;
  for (size_t i = 0; i < targets.size(); i++) {
    const k::OptimizerTarget& t = targets[i];
    if (t.n <= 0) continue;
    for (const float* p : {static_cast<const float*>(t.param), static_cast<const float*>(t.slots.s0),
                           static_cast<const float*>(t.slots.s1), static_cast<const float*>(t.slots.s2)}) {
      if (p) writes.push_back({p, p + t.n, i});
    }
  }
  std::sort(writes.begin(), writes.end(), [](const Span& a, const Span& b) { return a.lo < b.lo; });
  // Each span against the one reaching furthest among those before it (a target's own spans are
  // disjoint already, read_target checked them).
  for (size_t j = 1, far = 0; j < writes.size(); j++) {
    if (writes[j].lo < writes[far].hi) {
      throw_range(env, "optimizerSteps: targets " + std::to_string(writes[far].owner) + " and " +
                           std::to_string(writes[j].owner) + " overlap");
    }
    if (writes[j].hi > writes[far].hi) far = j;
  }
  for (size_t i = 0; i < targets.size(); i++) {
    const k::OptimizerTarget& t = targets[i];
    if (t.n <= 0) continue;
    const float* lo = t.grad;
    const float* hi = t.grad + t.n;
    // Writes are sorted by start and pairwise disjoint (across targets), so only the last one
    // starting before hi, and those just before it, can reach into [lo, hi).
    auto it = std::lower_bound(writes.begin(), writes.end(), hi, [](const Span& a, const float* v) { return a.lo < v; });
    while (it != writes.begin()) {
      --it;
      if (it->hi <= lo) break;
      if (it->owner != i) {
        throw_range(env, "optimizerSteps: the grad of target " + std::to_string(i) + " overlaps target " +
                             std::to_string(it->owner));
      }
    }
  }
}

// optimizerSteps(kind, params, grads, s0s, s1s, s2s, meta): optimizerStep for every parameter of a
// training step in one call, split across the pool as one range of elements. params and grads are
// arrays of Float32Arrays, s0s .. s2s arrays of state arrays (null where a slot is unused), all of
// one length; meta holds one optimizerStep block per parameter, in order.
Napi::Value optimizer_steps_entry(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  const KindInfo& kind = kind_of(info);
  auto list = [&](size_t i, const char* what) {
    if (i >= info.Length() || !info[i].IsArray()) {
      throw Napi::TypeError::New(env, std::string("tensorforge native: optimizerSteps ") + what + " must be an array");
    }
    return info[i].As<Napi::Array>();
  };
  const Napi::Array params = list(1, "params");
  const Napi::Array grads = list(2, "grads");
  const Napi::Array states[3] = {list(3, "s0s"), list(4, "s1s"), list(5, "s2s")};
  const uint32_t count = params.Length();
  if (grads.Length() != count || states[0].Length() != count || states[1].Length() != count || states[2].Length() != count) {
    throw_range(env, "optimizerSteps: params, grads and state lists differ in length");
  }
  if (count == 0) return async ? queue_async(info, [] {}, {}) : env.Undefined();
  Meta meta(info, 6);
  std::vector<k::OptimizerTarget> targets;
  targets.reserve(count);
  std::vector<Napi::Value> borrowed;
  for (uint32_t i = 0; i < count; i++) {
    const std::string what = "optimizerSteps target " + std::to_string(i);
    const Napi::Value pv = params.Get(i), gv = grads.Get(i);
    const F32 param = f32_of(env, pv, what + " param");
    const F32 grad = f32_of(env, gv, what + " grad");
    borrowed.push_back(pv);
    borrowed.push_back(gv);
    targets.push_back(read_target(
        env, kind, param, grad,
        [&](int s, const std::string& sw) {
          const Napi::Value v = states[s].Get(i);
          borrowed.push_back(v);
          return f32_of(env, v, sw);
        },
        meta, what));
  }
  check_disjoint(env, targets);
  auto run = [targets = std::move(targets)] { k::optimizer_step_many(targets.data(), static_cast<int64_t>(targets.size())); };
  if (!async) {
    run();
    return env.Undefined();
  }
  return queue_async(info, std::function<void()>(std::move(run)), {1, 2, 3, 4, 5}, borrowed);
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
  export_entry(env, exports, "optimizerSteps", optimizer_steps_entry);
  exports.Set("optimizerSumSquares",
              Napi::Function::New(env, optimizer_sum_squares_fn, "optimizerSumSquares"));
}

}  // namespace tf::binding
