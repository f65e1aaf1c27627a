// Entry points of the conv kernels (filled in with the kernels themselves).
#include "binding/ops.h"

namespace tf::binding {
void register_conv_ops(Napi::Env, Napi::Object) {}
}  // namespace tf::binding
