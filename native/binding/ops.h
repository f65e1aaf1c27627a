#pragma once
#include <napi.h>

namespace tf::binding {
void register_ops(Napi::Env env, Napi::Object exports);
}
