#include "binding/job.h"

#include <exception>
#include <string>
#include <vector>

namespace tf::binding {
namespace {

class JobWorker : public Napi::AsyncWorker {
 public:
  JobWorker(const Napi::CallbackInfo& info, std::function<void()> run,
            std::initializer_list<size_t> borrowed_args)
      : Napi::AsyncWorker(info.Env(), "tensorforge:kernel"),
        deferred_(Napi::Promise::Deferred::New(info.Env())),
        run_(std::move(run)) {
    pins_.reserve(borrowed_args.size());
    for (size_t i : borrowed_args) {
      if (i < info.Length() && info[i].IsObject()) pins_.push_back(Napi::Persistent(info[i]));
    }
  }

  void pin(Napi::Value v) {
    if (v.IsObject()) pins_.push_back(Napi::Persistent(v));
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

Napi::Value queue_async(const Napi::CallbackInfo& info, std::function<void()> run,
                        std::initializer_list<size_t> borrowed_args) {
  auto* worker = new JobWorker(info, std::move(run), borrowed_args);
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

Napi::Value queue_async(const Napi::CallbackInfo& info, std::function<void()> run,
                        std::initializer_list<size_t> borrowed_args, const std::vector<Napi::Value>& values) {
  auto* worker = new JobWorker(info, std::move(run), borrowed_args);
  for (const Napi::Value& v : values) worker->pin(v);
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

void export_entry(Napi::Env env, Napi::Object exports, const char* name, EntryFn entry) {
  // The entry rides in the callback's data pointer so one C++ wrapper serves every op.
  auto data = reinterpret_cast<void*>(entry);
  exports.Set(name, Napi::Function::New(
                        env, [](const Napi::CallbackInfo& info) {
                          return reinterpret_cast<EntryFn>(info.Data())(info, false);
                        },
                        name, data));
  std::string async_name = std::string(name) + "Async";
  exports.Set(async_name, Napi::Function::New(
                              env, [](const Napi::CallbackInfo& info) {
                                return reinterpret_cast<EntryFn>(info.Data())(info, true);
                              },
                              async_name, data));
}

void publish_layout(Napi::Env env, Napi::Object exports, const char* name, const std::vector<std::string>& fields) {
  if (!exports.Has("layouts")) exports.Set("layouts", Napi::Object::New(env));
  Napi::Array list = Napi::Array::New(env, fields.size());
  for (uint32_t i = 0; i < fields.size(); i++) list.Set(i, fields[i]);
  exports.Get("layouts").As<Napi::Object>().Set(name, list);
}

}  // namespace tf::binding
