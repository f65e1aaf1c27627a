// Entry points of the pool kernels (filled in with the kernels themselves).
#include "binding/ops.h"

namespace tf::binding {
void register_pool_ops(Napi::Env, Napi::Object) {}
}  // namespace tf::binding
