#pragma once
#include <napi.h>

namespace tf::binding {
void register_ops(Napi::Env env, Napi::Object exports);
void register_optimizer_ops(Napi::Env env, Napi::Object exports);
void register_conv_ops(Napi::Env env, Napi::Object exports);
void register_pool_ops(Napi::Env env, Napi::Object exports);
void register_rnn_ops(Napi::Env env, Napi::Object exports);
void register_attention_ops(Napi::Env env, Napi::Object exports);
void register_quant_ops(Napi::Env env, Napi::Object exports);
}
