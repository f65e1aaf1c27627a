#pragma once
// Every kernel entry point comes in two forms from one parse: synchronous (run now, on the JS
// thread, with no heap allocation) and async (run on a libuv worker while the borrowed arrays stay
// pinned by persistent references, so GC cannot free them mid-flight).
#include <napi.h>

#include <functional>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace tf::binding {

using EntryFn = Napi::Value (*)(const Napi::CallbackInfo& info, bool async);

// Queues `run` on the libuv pool, pinning the arguments at the given indices; returns a Promise.
Napi::Value queue_async(const Napi::CallbackInfo& info, std::function<void()> run,
                        std::initializer_list<size_t> borrowed_args);

// The same, also pinning `values` (the elements of array arguments, which the caller could drop
// from their arrays while the job runs).
Napi::Value queue_async(const Napi::CallbackInfo& info, std::function<void()> run,
                        std::initializer_list<size_t> borrowed_args, const std::vector<Napi::Value>& values);

// Runs `run` now, or off the JS thread when `async`.
template <typename F>
Napi::Value dispatch(const Napi::CallbackInfo& info, bool async, F&& run,
                     std::initializer_list<size_t> borrowed_args) {
  if (!async) {
    run();
    return info.Env().Undefined();
  }
  return queue_async(info, std::function<void()>(std::forward<F>(run)), borrowed_args);
}

// Registers `name` (sync) and `nameAsync` (returns a Promise) on exports.
void export_entry(Napi::Env env, Napi::Object exports, const char* name, EntryFn entry);

// Sets exports.layouts[name] (creating exports.layouts on first use) to a list of field names.
void publish_layout(Napi::Env env, Napi::Object exports, const char* name, const std::vector<std::string>& fields);

// Publishes layout L (binding/layouts.h) as the argument block of the function `name`: the fixed
// fields, then each tail array as "name[count]".
template <typename L>
void publish_layout(Napi::Env env, Napi::Object exports, const char* name) {
  std::vector<std::string> fields(L::kFields.begin(), L::kFields.end());
  for (const char* t : L::kTail) fields.push_back(std::string(t) + "[" + L::kTailLengthName + "]");
  publish_layout(env, exports, name, fields);
}

// Registers an entry point (sync and async) whose argument block has layout L, publishing L under
// the entry's name.
template <typename L>
void export_entry(Napi::Env env, Napi::Object exports, const char* name, EntryFn entry) {
  publish_layout<L>(env, exports, name);
  export_entry(env, exports, name, entry);
}

}  // namespace tf::binding
