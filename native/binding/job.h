#pragma once
// A parsed kernel call: the work to run plus the JS arrays it borrows. The same parse serves the
// synchronous entry (run now, on the JS thread) and the async one (run on a libuv worker while the
// arrays stay pinned by persistent references, so GC cannot free them mid-flight).
#include <napi.h>

#include <functional>
#include <vector>

namespace tf::binding {

struct Job {
  std::function<void()> run;
  std::vector<Napi::Value> borrowed;
};

using ParseFn = Job (*)(const Napi::CallbackInfo& info);

Napi::Value run_sync(const Napi::CallbackInfo& info, ParseFn parse);
Napi::Value run_async(const Napi::CallbackInfo& info, ParseFn parse);

// Registers `name` (sync) and `nameAsync` (returns a Promise) on exports.
void export_job(Napi::Env env, Napi::Object exports, const char* name, ParseFn parse);

}  // namespace tf::binding
