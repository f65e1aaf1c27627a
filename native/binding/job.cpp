#include "binding/job.h"

#include <exception>
#include <string>

namespace tf::binding {
namespace {

class JobWorker : public Napi::AsyncWorker {
 public:
  JobWorker(Napi::Env env, Job job)
      : Napi::AsyncWorker(env, "tensorforge:kernel"), deferred_(Napi::Promise::Deferred::New(env)),
        run_(std::move(job.run)) {
    pins_.reserve(job.borrowed.size());
    for (auto& v : job.borrowed) pins_.push_back(Napi::Persistent(v));
  }

  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      run_();
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::function<void()> run_;
  std::vector<Napi::Reference<Napi::Value>> pins_;  // released with the worker, after settling
};

}  // namespace

Napi::Value run_sync(const Napi::CallbackInfo& info, ParseFn parse) {
  Job job = parse(info);
  job.run();
  return info.Env().Undefined();
}

Napi::Value run_async(const Napi::CallbackInfo& info, ParseFn parse) {
  Job job = parse(info);
  auto* worker = new JobWorker(info.Env(), std::move(job));
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

void export_job(Napi::Env env, Napi::Object exports, const char* name, ParseFn parse) {
  // The parse function rides in the callback's data pointer so one C++ wrapper serves every op.
  auto data = reinterpret_cast<void*>(parse);
  exports.Set(name, Napi::Function::New(
                        env, [](const Napi::CallbackInfo& info) {
                          return run_sync(info, reinterpret_cast<ParseFn>(info.Data()));
                        },
                        name, data));
  std::string async_name = std::string(name) + "Async";
  exports.Set(async_name, Napi::Function::New(
                              env, [](const Napi::CallbackInfo& info) {
                                return run_async(info, reinterpret_cast<ParseFn>(info.Data()));
                              },
                              async_name, data));
}

}  // namespace tf::binding
