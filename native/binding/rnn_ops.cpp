// Entry points of the recurrent-cell kernels (filled in with the kernels themselves).
#include "binding/ops.h"

namespace tf::binding {
void register_rnn_ops(Napi::Env, Napi::Object) {}
}  // namespace tf::binding
