#pragma once
// The elementwise op families, declared once. Each list is an X-macro over one line per op; the
// enum (its order is the wire format with the binding), the names the addon publishes (JS finds
// kernels by name), the threading grain and the devtools references all expand from these lines,
// so a name, a kernel or a reference cannot drift from the enum. The per-ISA bodies instantiate
// one kernel per line, and a line without a vector implementation does not compile.
//
// References are double-precision expressions of x, p0, p1 (unary) or a, b (binary). They mirror
// the float64 refs in src/ops/unary.ts, NaN and infinity behaviour included, and are only
// expanded by the devtools checks (which include <cmath>).

// X(Enum, "jsName", heavy, (p0, p1, p0', p1'), reference)
//   heavy: transcendental, worth splitting across threads at a smaller size.
//   (p0, p1, p0', p1'): two parameter pairs the devtools check runs, the JS default first
//   (zeros for ops without parameters).
#define TF_UNARY_OPS(X)                                                                             \
  X(Neg, "neg", false, (0, 0, 0, 0), -x)                                                            \
  X(Exp, "exp", true, (0, 0, 0, 0), std::exp(x))                                                    \
  X(Log, "log", true, (0, 0, 0, 0), std::log(x))                                                    \
  X(Sqrt, "sqrt", false, (0, 0, 0, 0), std::sqrt(x))                                                \
  X(Abs, "abs", false, (0, 0, 0, 0), std::fabs(x))                                                  \
  X(Relu, "relu", false, (0, 0, 0, 0), std::isnan(x) ? x : (x > 0 ? x : 0.0))                       \
  X(LeakyRelu, "leakyRelu", false, (0.2, 0, 0.01, 0), x > 0 ? x : p0 * x)                           \
  X(Sigmoid, "sigmoid", true, (0, 0, 0, 0), 1.0 / (1.0 + std::exp(-x)))                             \
  X(Tanh, "tanh", true, (0, 0, 0, 0), std::tanh(x))                                                 \
  X(Elu, "elu", true, (1, 0, 0.3, 0), x > 0 ? x : p0 * std::expm1(x))                               \
  X(Gelu, "gelu", true, (0, 0, 0, 0), 0.5 * x * std::erfc(-x / std::sqrt(2.0)))                     \
  X(Softplus, "softplus", true, (0, 0, 0, 0),                                                       \
    x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)))                                 \
  X(Erf, "erf", true, (0, 0, 0, 0), std::erf(x))                                                    \
  X(Sign, "sign", false, (0, 0, 0, 0), std::isnan(x) ? x : (x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0)))    \
  X(Square, "square", false, (0, 0, 0, 0), x * x)                                                   \
  X(Reciprocal, "reciprocal", false, (0, 0, 0, 0), 1.0 / x)                                         \
  X(Clip, "clip", false, (-0.5, 2, 0, 6), std::isnan(x) ? x : std::fmin(std::fmax(x, p0), p1))      \
  X(HardSwish, "hardSwish", false, (0, 0, 0, 0), x * std::fmin(std::fmax(x + 3, 0.0), 6.0) / 6)     \
  X(Mish, "mish", true, (0, 0, 0, 0),                                                               \
    x * std::tanh(std::fmax(x, 0.0) + std::log1p(std::exp(-std::fabs(x)))))                         \
  X(Softsign, "softsign", false, (0, 0, 0, 0), x / (1 + std::fabs(x)))                              \
  X(HardSigmoid, "hardSigmoid", false, (0.2, 0.5, 0.15, 0.55),                                      \
    std::isnan(p0 * x + p1) ? NAN : std::fmax(0.0, std::fmin(1.0, p0 * x + p1)))                    \
  X(Selu, "selu", true, (1.6732632423543772, 1.0507009873554805, 1.2, 0.9), x > 0 ? p1 * x : p1 * p0 * std::expm1(x)) \
  X(Silu, "silu", true, (0, 0, 0, 0),                                                               \
    x * (x >= 0 ? 1 / (1 + std::exp(-x)) : std::exp(x) / (1 + std::exp(x))))                        \
  X(Sin, "sin", true, (0, 0, 0, 0), std::sin(x))                                                    \
  X(Cos, "cos", true, (0, 0, 0, 0), std::cos(x))                                                    \
  X(Tan, "tan", true, (0, 0, 0, 0), std::tan(x))                                                    \
  X(Asin, "asin", true, (0, 0, 0, 0), std::asin(x))                                                 \
  X(Acos, "acos", true, (0, 0, 0, 0), std::acos(x))                                                 \
  X(Atan, "atan", true, (0, 0, 0, 0), std::atan(x))                                                 \
  X(Sinh, "sinh", true, (0, 0, 0, 0), std::sinh(x))                                                 \
  X(Cosh, "cosh", true, (0, 0, 0, 0), std::cosh(x))                                                 \
  X(Floor, "floor", false, (0, 0, 0, 0), std::floor(x))                                             \
  X(Ceil, "ceil", false, (0, 0, 0, 0), std::ceil(x))                                                \
  X(Round, "round", false, (0, 0, 0, 0), std::nearbyint(x))

// X(Enum, "jsName", reference). Comparisons produce 1.0f / 0.0f.
#define TF_BINARY_OPS(X)                                                                            \
  X(Add, "add", a + b)                                                                              \
  X(Sub, "sub", a - b)                                                                              \
  X(Mul, "mul", a * b)                                                                              \
  X(Div, "div", a / b)                                                                              \
  X(Pow, "pow", std::pow(a, b))                                                                     \
  X(Maximum, "maximum", (std::isnan(a) || std::isnan(b)) ? NAN : std::fmax(a, b))                   \
  X(Minimum, "minimum", (std::isnan(a) || std::isnan(b)) ? NAN : std::fmin(a, b))                   \
  X(Equal, "equal", a == b)                                                                         \
  X(NotEqual, "notEqual", a != b)                                                                   \
  X(Greater, "greater", a > b)                                                                      \
  X(GreaterEqual, "greaterEqual", a >= b)                                                           \
  X(Less, "less", a < b)                                                                            \
  X(LessEqual, "lessEqual", a <= b)

// X(Enum, "jsName")
#define TF_REDUCE_OPS(X) X(Sum, "sum") X(Mean, "mean") X(Max, "max") X(Min, "min")
#define TF_ARG_REDUCE_OPS(X) X(ArgMax, "argmax") X(ArgMin, "argmin")
