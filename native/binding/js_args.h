#pragma once
// Reading JS values: the only place that knows how arguments arrive. Every pointer handed to a
// kernel is bounds-checked here against the typed array it came from, so a bad call from JS is a
// thrown RangeError, never a stray write.
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <initializer_list>
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
// The same for a value that is not itself an argument (an element of an array argument).
F32 f32_of(Napi::Env env, Napi::Value v, const std::string& what);
I32 get_i32(const Napi::CallbackInfo& info, size_t i, const char* what);
// Either dtype: returns the raw 4-byte element pointer and length.
void* get_any32(const Napi::CallbackInfo& info, size_t i, const char* what, int64_t* length);
int64_t get_int(const Napi::CallbackInfo& info, size_t i, const char* what);
double get_num(const Napi::CallbackInfo& info, size_t i, const char* what);

// Opens entry point argument i as the Float64Array block of layout L (see binding/layouts.h),
// checking its type and that it holds every fixed field. Fields are read by name; reading an integer
// field checks that it holds one, and errors name the layout and the field.
template <typename L>
class Args {
 public:
  Args(const Napi::CallbackInfo& info, size_t i);

  double number(typename L::Field f) const { return data_[f]; }
  int64_t integer(typename L::Field f) const;
  // An integer field that must lie in [lo, hi].
  int64_t integer(typename L::Field f, int64_t lo, int64_t hi) const;
  // The common length of the tail arrays (the value of L's count field), checked to lie in
  // [0, max_count] and to fit in the block.
  int64_t tail_length(int64_t max_count) const;
  // Copies tail array t, `count` integers long (count from tail_length), into out.
  void tail(typename L::Tail t, int64_t count, int64_t* out) const;

 private:
  [[noreturn]] void fail(int index, const std::string& expected) const;
  Napi::Env env_;
  const double* data_;
  size_t length_;
};

// Positional reader of a Float64Array block; only the optimizer entry points still use it.
class Meta {
 public:
  Meta(const Napi::CallbackInfo& info, size_t i);
  int64_t next();
  double next_double();

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
// Throws unless a rows x cols matrix with row stride ld at offset lies inside [0, length).
void check_matrix(Napi::Env env, const char* what, int64_t length, int64_t offset, int64_t rows, int64_t cols,
                  int64_t ld);

// Extents arrive as doubles from JS and their products are taken here, so a product that wraps
// int64 (or exceeds 2^53, past any array JS can hold) would pass a bounds check it must fail. These
// throw a RangeError naming `what` instead: for a negative extent, or a result above 2^53.
constexpr int64_t kMaxElements = int64_t{1} << 53;
int64_t checked_mul(Napi::Env env, const char* what, int64_t a, int64_t b);
int64_t checked_add(Napi::Env env, const char* what, int64_t a, int64_t b);
int64_t checked_volume(Napi::Env env, const char* what, std::initializer_list<int64_t> dims);
int64_t checked_volume(Napi::Env env, const char* what, int ndim, const int64_t* shape);
[[noreturn]] void throw_range(Napi::Env env, const std::string& message);

// The Float64Array in argument i, or nullptr when the argument is anything else.
const double* try_f64(const Napi::CallbackInfo& info, size_t i, size_t* length);
// A number as error messages show it: 9, 2.5, nan.
std::string number_text(double v);
// value is an integer (in the range a double holds exactly).
inline bool is_integer(double v) { return std::floor(v) == v && std::fabs(v) <= 9.0e15; }

template <typename L>
Args<L>::Args(const Napi::CallbackInfo& info, size_t i) : env_(info.Env()) {
  data_ = try_f64(info, i, &length_);
  if (!data_) {
    throw Napi::TypeError::New(env_, std::string("tensorforge native: ") + L::kName + " arguments must be a Float64Array");
  }
  if (length_ < static_cast<size_t>(L::kFieldCount)) {
    throw_range(env_, std::string(L::kName) + " arguments are too short: " + std::to_string(length_) +
                          " values for " + std::to_string(static_cast<int>(L::kFieldCount)) + " fields");
  }
}

template <typename L>
void Args<L>::fail(int index, const std::string& expected) const {
  const char* name = index < static_cast<int>(L::kFieldCount) ? L::kFields[static_cast<size_t>(index)] : "?";
  throw_range(env_, std::string(L::kName) + "." + name + " must be " + expected + ", got " +
                        number_text(data_[index]));
}

template <typename L>
int64_t Args<L>::integer(typename L::Field f) const {
  const double v = data_[f];
  if (!is_integer(v)) fail(f, "an integer");
  return static_cast<int64_t>(v);
}

template <typename L>
int64_t Args<L>::integer(typename L::Field f, int64_t lo, int64_t hi) const {
  const double v = data_[f];
  if (!is_integer(v) || v < static_cast<double>(lo) || v > static_cast<double>(hi)) {
    fail(f, "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return static_cast<int64_t>(v);
}

template <typename L>
int64_t Args<L>::tail_length(int64_t max_count) const {
  static_assert(L::kTailLengthField >= 0, "this layout has no tail");
  const int64_t count = integer(static_cast<typename L::Field>(L::kTailLengthField), 0, max_count);
  const auto needed = static_cast<size_t>(L::kFieldCount) + static_cast<size_t>(L::kTailCount * count);
  if (length_ < needed) {
    throw_range(env_, std::string(L::kName) + " arguments are too short: " + std::to_string(length_) +
                          " values for " + std::to_string(needed) + " with " + L::kTailLengthName + " = " +
                          std::to_string(count));
  }
  return count;
}

template <typename L>
void Args<L>::tail(typename L::Tail t, int64_t count, int64_t* out) const {
  const double* p = data_ + L::kFieldCount + static_cast<size_t>(t) * static_cast<size_t>(count);
  for (int64_t j = 0; j < count; j++) {
    if (!is_integer(p[j])) {
      throw_range(env_, std::string(L::kName) + "." + L::kTail[t] + "[" + std::to_string(j) +
                            "] must be an integer, got " + number_text(p[j]));
    }
    out[j] = static_cast<int64_t>(p[j]);
  }
}

}  // namespace tf::binding
