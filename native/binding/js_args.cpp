#include "binding/js_args.h"

#include <cmath>
#include <cstdio>

namespace tf::binding {

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

void throw_range(Napi::Env env, const std::string& message) {
  throw Napi::RangeError::New(env, "tensorforge native: " + message);
}

// One napi_get_typedarray_info call per argument: these run on every kernel call, and the
// node-addon-api wrappers would make three.
static void* typed(const Napi::CallbackInfo& info, size_t i, const char* what, napi_typedarray_type* type,
                   int64_t* length) {
  size_t len = 0;
  void* data = nullptr;
  if (i >= info.Length() ||
      napi_get_typedarray_info(info.Env(), info[i], type, &len, &data, nullptr, nullptr) != napi_ok) {
    // napi_get_typedarray_info may leave a pending exception on failure; replace it with ours.
    napi_value ignored;
    bool pending = false;
    napi_is_exception_pending(info.Env(), &pending);
    if (pending) napi_get_and_clear_last_exception(info.Env(), &ignored);
    throw Napi::TypeError::New(info.Env(), std::string("tensorforge native: ") + what + " must be a typed array");
  }
  *length = static_cast<int64_t>(len);
  return data;
}

F32 get_f32(const Napi::CallbackInfo& info, size_t i, const char* what) {
  napi_typedarray_type type;
  int64_t length;
  void* data = typed(info, i, what, &type, &length);
  if (type != napi_float32_array) {
    throw Napi::TypeError::New(info.Env(), std::string("tensorforge native: ") + what + " must be a Float32Array");
  }
  return {static_cast<float*>(data), length};
}

F32 f32_of(Napi::Env env, Napi::Value v, const std::string& what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(env, "tensorforge native: " + what + " must be a Float32Array");
  }
  Napi::Float32Array a = v.As<Napi::Float32Array>();
  return {a.Data(), static_cast<int64_t>(a.ElementLength())};
}

I32 get_i32(const Napi::CallbackInfo& info, size_t i, const char* what) {
  napi_typedarray_type type;
  int64_t length;
  void* data = typed(info, i, what, &type, &length);
  if (type != napi_int32_array) {
    throw Napi::TypeError::New(info.Env(), std::string("tensorforge native: ") + what + " must be an Int32Array");
  }
  return {static_cast<int32_t*>(data), length};
}

void* get_any32(const Napi::CallbackInfo& info, size_t i, const char* what, int64_t* length) {
  napi_typedarray_type type;
  void* data = typed(info, i, what, &type, length);
  if (type != napi_float32_array && type != napi_int32_array) {
    throw Napi::TypeError::New(info.Env(), std::string("tensorforge native: ") + what + " must be a Float32Array or Int32Array");
  }
  return data;
}

double get_num(const Napi::CallbackInfo& info, size_t i, const char* what) {
  double v = 0;
  if (i >= info.Length() || napi_get_value_double(info.Env(), info[i], &v) != napi_ok) {
    throw Napi::TypeError::New(info.Env(), std::string("tensorforge native: ") + what + " must be a number");
  }
  return v;
}

int64_t get_int(const Napi::CallbackInfo& info, size_t i, const char* what) {
  double v = get_num(info, i, what);
  if (!(std::floor(v) == v) || std::fabs(v) > 9.0e15) {
    throw_range(info.Env(), std::string(what) + " must be an integer");
  }
  return static_cast<int64_t>(v);
}

const double* try_f64(const Napi::CallbackInfo& info, size_t i, size_t* length) {
  napi_typedarray_type type;
  size_t len = 0;
  void* data = nullptr;
  if (i >= info.Length() ||
      napi_get_typedarray_info(info.Env(), info[i], &type, &len, &data, nullptr, nullptr) != napi_ok) {
    napi_value ignored;
    bool pending = false;
    napi_is_exception_pending(info.Env(), &pending);
    if (pending) napi_get_and_clear_last_exception(info.Env(), &ignored);
    return nullptr;
  }
  if (type != napi_float64_array) return nullptr;
  *length = len;
  return static_cast<const double*>(data);
}

Meta::Meta(const Napi::CallbackInfo& info, size_t i) : env_(info.Env()) {
  data_ = try_f64(info, i, &length_);
  if (!data_) throw Napi::TypeError::New(env_, "tensorforge native: meta must be a Float64Array");
}

double Meta::next_double() {
  if (pos_ >= length_) throw_range(env_, "meta is too short");
  return data_[pos_++];
}

int64_t Meta::next() {
  double v = next_double();
  if (!is_integer(v)) throw_range(env_, "meta holds a non-integer");
  return static_cast<int64_t>(v);
}

int64_t checked_mul(Napi::Env env, const char* what, int64_t a, int64_t b) {
  int64_t r = 0;
  if (a < 0 || b < 0) throw_range(env, std::string(what) + ": negative extent");
  if (__builtin_mul_overflow(a, b, &r) || r > kMaxElements) {
    throw_range(env, std::string(what) + ": size " + std::to_string(a) + " x " + std::to_string(b) +
                         " exceeds 2^53 elements");
  }
  return r;
}

int64_t checked_add(Napi::Env env, const char* what, int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r) || r > kMaxElements || r < -kMaxElements) {
    throw_range(env, std::string(what) + ": offset arithmetic exceeds 2^53");
  }
  return r;
}

int64_t checked_volume(Napi::Env env, const char* what, std::initializer_list<int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims) n = checked_mul(env, what, n, d);
  return n;
}

int64_t checked_volume(Napi::Env env, const char* what, int ndim, const int64_t* shape) {
  int64_t n = 1;
  for (int d = 0; d < ndim; d++) n = checked_mul(env, what, n, shape[d]);
  return n;
}

void check_range(Napi::Env env, const char* what, int64_t length, int64_t offset, int64_t count) {
  // Written as count > length - offset: offset + count could wrap.
  if (offset < 0 || count < 0 || offset > length || count > length - offset) {
    int64_t end = 0;
    const std::string end_text = __builtin_add_overflow(offset, count, &end) ? "overflow" : std::to_string(end);
    throw_range(env, std::string(what) + ": range [" + std::to_string(offset) + ", " + end_text +
                         ") is outside an array of length " + std::to_string(length));
  }
}

void check_matrix(Napi::Env env, const char* what, int64_t length, int64_t offset, int64_t rows, int64_t cols,
                  int64_t ld) {
  if (rows < 0 || cols < 0) throw_range(env, std::string(what) + ": negative size");
  if (ld < cols || ld < 1) throw_range(env, std::string(what) + ": leading dimension too small");
  if (rows == 0 || cols == 0) return;
  const int64_t last = checked_add(env, what, checked_mul(env, what, rows - 1, ld), cols);
  if (offset < 0 || offset > length || last > length - offset) {
    throw_range(env, std::string(what) + ": matrix exceeds its array (" + std::to_string(rows) + " x " +
                         std::to_string(cols) + ", row stride " + std::to_string(ld) + ", offset " +
                         std::to_string(offset) + ", array length " + std::to_string(length) + ")");
  }
}

void check_view(Napi::Env env, const char* what, int64_t length, int ndim, const int64_t* shape,
                int64_t offset, const int64_t* strides) {
  int64_t lo = offset, hi = offset;
  for (int d = 0; d < ndim; d++) {
    if (shape[d] < 0) throw_range(env, std::string(what) + ": negative dimension");
    if (shape[d] == 0) return;  // empty view touches nothing
  }
  for (int d = 0; d < ndim; d++) {
    int64_t span = 0;
    if (__builtin_mul_overflow(shape[d] - 1, strides[d], &span)) {
      throw_range(env, std::string(what) + ": view extent overflows");
    }
    if (span < 0) lo = checked_add(env, what, lo, span);
    else hi = checked_add(env, what, hi, span);
  }
  if (lo < 0 || hi >= length) {
    throw_range(env, std::string(what) + ": view reaches elements [" + std::to_string(lo) + ", " +
                         std::to_string(hi) + "] of an array of length " + std::to_string(length));
  }
}

}  // namespace tf::binding
