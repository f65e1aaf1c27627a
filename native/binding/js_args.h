#pragma once
// Reading JS values: the only place that knows how arguments arrive. Every pointer handed to a
// kernel is bounds-checked here against the typed array it came from, so a bad call from JS is a
// thrown RangeError, never a stray write.
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace tf::binding {

constexpr int kMaxDims = 8;

struct F32 {
  float* data;
  int64_t length;
};
struct I32 {
  int32_t* data;
  int64_t length;
};

F32 get_f32(const Napi::CallbackInfo& info, size_t i, const char* what);
I32 get_i32(const Napi::CallbackInfo& info, size_t i, const char* what);
// Either dtype: returns the raw 4-byte element pointer and length.
void* get_any32(const Napi::CallbackInfo& info, size_t i, const char* what, int64_t* length);
int64_t get_int(const Napi::CallbackInfo& info, size_t i, const char* what);
double get_num(const Napi::CallbackInfo& info, size_t i, const char* what);

// Reads a Float64Array of small integers (shapes, strides, offsets) written by the TS side.
class Meta {
 public:
  Meta(const Napi::CallbackInfo& info, size_t i);
  int64_t next();
  double next_double();
  int ndim();  // reads one value and checks 0 <= ndim <= kMaxDims
  void read(int n, int64_t* out);

 private:
  Napi::Env env_;
  const double* data_;
  size_t length_;
  size_t pos_ = 0;
};

// Throws unless every element a strided view reaches lies inside [0, length).
void check_view(Napi::Env env, const char* what, int64_t length, int ndim, const int64_t* shape,
                int64_t offset, const int64_t* strides);
void check_range(Napi::Env env, const char* what, int64_t length, int64_t offset, int64_t count);
[[noreturn]] void throw_range(Napi::Env env, const std::string& message);

}  // namespace tf::binding
