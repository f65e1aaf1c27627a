// Module entry: publishes the kernel entry points, the op-code tables and build facts.
#include <napi.h>

#include <cstdint>
#include <string>

#include "binding/js_args.h"
#include "source_hash.h"
#include "binding/ops.h"
#include "kernels/common/cpu_features.h"
#include "kernels/common/thread_pool.h"
#include "kernels/elementwise/elementwise.h"
#include "kernels/gemm/gemm.h"

namespace tf::binding {
namespace {
namespace k = tf::kernels;

// Expanded from the same lines as the enums (kernels/elementwise/op_tables.h), so index i is
// always enumerator i; JS resolves codes by name once at load.
#define TF_OP_NAME(e, name, ...) name,
constexpr const char* kUnaryNames[] = {TF_UNARY_OPS(TF_OP_NAME)};
constexpr const char* kBinaryNames[] = {TF_BINARY_OPS(TF_OP_NAME)};
constexpr const char* kReduceNames[] = {TF_REDUCE_OPS(TF_OP_NAME)};
constexpr const char* kArgReduceNames[] = {TF_ARG_REDUCE_OPS(TF_OP_NAME)};
#undef TF_OP_NAME

template <size_t N>
Napi::Array names(Napi::Env env, const char* const (&list)[N]) {
  Napi::Array a = Napi::Array::New(env, N);
  for (uint32_t i = 0; i < N; i++) a.Set(i, list[i]);
  return a;
}

Napi::Value info_fn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("simd", k::simd_level_name(k::simd_level()));
  o.Set("hardwareSimd", k::simd_level_name(k::hardware_simd_level()));
  o.Set("threads", k::num_threads());
  o.Set("buildHash", TF_SOURCE_HASH);
  o.Set("napiVersion", NAPI_VERSION);
  return o;
}

Napi::Value set_num_threads_fn(const Napi::CallbackInfo& info) {
  int64_t n = get_int(info, 0, "threads");
  if (n < 1 || n > 1024) throw_range(info.Env(), "threads must be between 1 and 1024");
  k::set_num_threads(static_cast<int>(n));
  return Napi::Number::New(info.Env(), k::num_threads());
}

// poolStats(enable): the thread pool's counters since the last call (then reset), and whether
// they are counted from now on.
Napi::Value pool_stats_fn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsBoolean()) throw Napi::TypeError::New(env, "tensorforge native: enable must be a boolean");
  const k::PoolStats s = k::pool_stats_take();
  k::pool_stats_enable(info[0].As<Napi::Boolean>().Value());
  Napi::Object o = Napi::Object::New(env);
  const auto set = [&](const char* name, int64_t v) { o.Set(name, Napi::Number::New(env, static_cast<double>(v))); };
  set("serialCalls", s.serial_calls);
  set("serialNs", s.serial_ns);
  set("splitCalls", s.split_calls);
  set("splitNs", s.split_ns);
  set("callerNs", s.caller_ns);
  set("workerNs", s.worker_ns);
  set("callerChunks", s.caller_chunks);
  set("workerChunks", s.worker_chunks);
  set("coldStarts", s.cold_starts);
  return o;
}

Napi::Value set_simd_level_fn(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString()) {
    throw Napi::TypeError::New(info.Env(), "tensorforge native: level must be a string");
  }
  std::string s = info[0].As<Napi::String>();
  k::SimdLevel level;
  if (s == "scalar") level = k::SimdLevel::Scalar;
  else if (s == "avx2") level = k::SimdLevel::Avx2;
  else if (s == "avx512") level = k::SimdLevel::Avx512;
  else throw_range(info.Env(), "unknown SIMD level '" + s + "'");
  return Napi::String::New(info.Env(), k::simd_level_name(k::set_simd_level(level)));
}

// JS cannot see addresses, and large ArrayBuffers come from malloc 16 bytes past a page, so a
// Float32Array over one starts mid cache line: the GEMV's loads of the matrix then split lines
// (784x512 at batch 1: 22-26 us vs 12-17 us aligned). Storage asks for this once per buffer and
// offsets its view to a 64-byte boundary; backing stores never move, so the answer stays true.
Napi::Value address_mod64_fn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  void* data = nullptr;
  size_t length = 0;
  if (info.Length() < 1 || !info[0].IsArrayBuffer() ||
      napi_get_arraybuffer_info(env, info[0], &data, &length) != napi_ok) {
    throw Napi::TypeError::New(env, "tensorforge native: buffer must be an ArrayBuffer");
  }
  return Napi::Number::New(env, static_cast<double>(reinterpret_cast<uintptr_t>(data) % 64));
}

// The GEMM panel width of the active instruction set: what gemmPackB packs to and conv2d's packed
// filter must have been packed at.
Napi::Value gemm_pack_width_fn(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(k::sgemm_pack_b_width()));
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("info", Napi::Function::New(env, info_fn, "info"));
  exports.Set("setNumThreads", Napi::Function::New(env, set_num_threads_fn, "setNumThreads"));
  exports.Set("setSimdLevel", Napi::Function::New(env, set_simd_level_fn, "setSimdLevel"));
  exports.Set("poolStats", Napi::Function::New(env, pool_stats_fn, "poolStats"));
  exports.Set("addressMod64", Napi::Function::New(env, address_mod64_fn, "addressMod64"));
  exports.Set("gemmPackWidth", Napi::Function::New(env, gemm_pack_width_fn, "gemmPackWidth"));
  exports.Set("unaryOps", names(env, kUnaryNames));
  exports.Set("binaryOps", names(env, kBinaryNames));
  exports.Set("reduceOps", names(env, kReduceNames));
  exports.Set("argReduceOps", names(env, kArgReduceNames));
  register_ops(env, exports);
  register_optimizer_ops(env, exports);
  register_conv_ops(env, exports);
  register_pool_ops(env, exports);
  register_rnn_ops(env, exports);
  register_attention_ops(env, exports);
  register_quant_ops(env, exports);
  return exports;
}

}  // namespace
}  // namespace tf::binding

// The registration macro pastes its argument into an identifier, so it needs an unqualified name.
static Napi::Object InitTensorforge(Napi::Env env, Napi::Object exports) {
  return tf::binding::init(env, exports);
}
NODE_API_MODULE(tensorforge, InitTensorforge)
