// The optimizer update loops, compiled once per instruction set (tf_kernel_family, see
// common/isa.h), each copy with its level's flags and in its own namespace.
//
// Everything here has internal linkage (anonymous namespace) and calls no inline library function
// (std::sqrt, std::max, ...): an inline function with external linkage compiled with AVX-512 flags
// in one file could be the copy the linker keeps for every file, and the baseline path would then
// fault on CPUs without AVX-512. Builtins and plain operators only.
//
// Each loop is a template over the configuration's flags so the hot loop has no branches and the
// compiler vectorizes it; the formulas follow Keras 3 operation for operation.
#include <cstdint>
#include <type_traits>

#include "kernels/common/isa.h"
#include "kernels/optimizer/optimizer_update_internal.h"

namespace tf::kernels::opt::TF_ISA_NS {
namespace {

using tf::kernels::OptimizerHyper;
using tf::kernels::OptimizerKind;
using tf::kernels::OptimizerSlots;

// NaN-preserving: a NaN gradient stays NaN, as with Keras's clip_by_value.
template <bool Clip>
inline float prepare_grad(float g, float scale, float clip) {
  g = g * scale;
  if (Clip) g = g < -clip ? -clip : (g > clip ? clip : g);
  return g;
}

// Decoupled weight decay before the update, as Keras applies it (p -= p * wd * lr).
template <bool Decay>
inline float decayed(float p, float decay) {
  return Decay ? p - p * decay : p;
}

template <bool Clip, bool Decay, bool Momentum, bool Nesterov>
void sgd_loop(const OptimizerHyper& h, float* __restrict p, const float* __restrict g, float* __restrict m,
              int64_t n) {
  const float scale = h.grad_scale, clip = h.clip_value, decay = h.decay, lr = h.lr, mu = h.momentum;
  for (int64_t i = 0; i < n; i++) {
    const float gi = prepare_grad<Clip>(g[i], scale, clip);
    const float pi = decayed<Decay>(p[i], decay);
    if (Momentum) {
      const float mi = mu * m[i] - lr * gi;
      m[i] = mi;
      p[i] = Nesterov ? pi + mu * mi - lr * gi : pi + mi;
    } else {
      p[i] = pi - lr * gi;
    }
  }
}

template <bool Clip, bool Decay>
void adagrad_loop(const OptimizerHyper& h, float* __restrict p, const float* __restrict g, float* __restrict acc,
                  int64_t n) {
  const float scale = h.grad_scale, clip = h.clip_value, decay = h.decay, lr = h.lr, eps = h.epsilon;
  for (int64_t i = 0; i < n; i++) {
    const float gi = prepare_grad<Clip>(g[i], scale, clip);
    const float pi = decayed<Decay>(p[i], decay);
    const float ai = acc[i] + gi * gi;
    acc[i] = ai;
    p[i] = pi - (lr * gi) / __builtin_sqrtf(ai + eps);
  }
}

template <bool Clip, bool Decay, bool Momentum, bool Centered>
void rmsprop_loop(const OptimizerHyper& h, float* __restrict p, const float* __restrict g, float* __restrict vel,
                  float* __restrict mom, float* __restrict avg, int64_t n) {
  const float scale = h.grad_scale, clip = h.clip_value, decay = h.decay, lr = h.lr, eps = h.epsilon;
  const float rho = h.rho, omr = h.one_minus_rho, mu = h.momentum;
  for (int64_t i = 0; i < n; i++) {
    const float gi = prepare_grad<Clip>(g[i], scale, clip);
    const float pi = decayed<Decay>(p[i], decay);
    const float vi = rho * vel[i] + omr * (gi * gi);
    vel[i] = vi;
    float den;
    if (Centered) {
      const float ai = rho * avg[i] + omr * gi;
      avg[i] = ai;
      den = vi - ai * ai + eps;
    } else {
      den = vi + eps;
    }
    const float inc = (lr * gi) / __builtin_sqrtf(den);
    if (Momentum) {
      const float mi = mu * mom[i] + inc;
      mom[i] = mi;
      p[i] = pi - mi;
    } else {
      p[i] = pi - inc;
    }
  }
}

template <bool Clip, bool Decay, bool Amsgrad>
void adam_loop(const OptimizerHyper& h, float* __restrict p, const float* __restrict g, float* __restrict m,
               float* __restrict v, float* __restrict vmax, int64_t n) {
  const float scale = h.grad_scale, clip = h.clip_value, decay = h.decay, eps = h.epsilon;
  const float b1 = h.one_minus_beta1, b2 = h.one_minus_beta2, alpha = h.alpha;
  for (int64_t i = 0; i < n; i++) {
    const float gi = prepare_grad<Clip>(g[i], scale, clip);
    const float pi = decayed<Decay>(p[i], decay);
    const float mi = m[i] + (gi - m[i]) * b1;
    float vi = v[i] + (gi * gi - v[i]) * b2;
    m[i] = mi;
    v[i] = vi;
    if (Amsgrad) {
      const float hi = vmax[i] < vi ? vi : vmax[i];
      vmax[i] = hi;
      vi = hi;
    }
    p[i] = pi - (mi * alpha) / (__builtin_sqrtf(vi) + eps);
  }
}

// Turns run-time flags into template arguments: with_flag(b, f) calls f(std::true_type{}) or
// f(std::false_type{}), so nested calls pick one fully specialized loop.
template <class F>
inline void with_flag(bool b, F&& f) {
  if (b) f(std::true_type{});
  else f(std::false_type{});
}

void step_impl(const OptimizerHyper& h, float* p, const float* g, const OptimizerSlots& s, int64_t n) {
  // The same predicates as optimizer_uses_slot (optimizer_update.cpp).
  const bool clip = h.clip_value > 0, decay = h.decay > 0, momentum = h.momentum > 0;
  with_flag(clip, [&](auto C) {
    with_flag(decay, [&](auto D) {
      constexpr bool kC = decltype(C)::value, kD = decltype(D)::value;
      switch (h.kind) {
        case OptimizerKind::Sgd:
          if (!momentum) sgd_loop<kC, kD, false, false>(h, p, g, nullptr, n);
          else if (h.nesterov) sgd_loop<kC, kD, true, true>(h, p, g, s.s0, n);
          else sgd_loop<kC, kD, true, false>(h, p, g, s.s0, n);
          break;
        case OptimizerKind::Adagrad:
          adagrad_loop<kC, kD>(h, p, g, s.s0, n);
          break;
        case OptimizerKind::Rmsprop:
          with_flag(momentum, [&](auto M) {
            with_flag(h.centered, [&](auto Z) {
              rmsprop_loop<kC, kD, decltype(M)::value, decltype(Z)::value>(h, p, g, s.s0, s.s1, s.s2, n);
            });
          });
          break;
        case OptimizerKind::Adam:
          with_flag(h.amsgrad, [&](auto A) { adam_loop<kC, kD, decltype(A)::value>(h, p, g, s.s0, s.s1, s.s2, n); });
          break;
        default:
          break;
      }
    });
  });
}

// Eight independent double accumulators: the products of floats are exact in double, so the only
// rounding is in the adds, whose order is fixed here whatever the vector width.
double sum_squares_impl(const float* x, int64_t n) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; j++) {
      const double d = x[i + j];
      acc[j] += d * d;
    }
  }
  for (int j = 0; i < n; i++, j++) {
    const double d = x[i];
    acc[j] += d * d;
  }
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

}  // namespace

const Kernels& table() {
  static const Kernels k{step_impl, sum_squares_impl};
  return k;
}

}  // namespace tf::kernels::opt::TF_ISA_NS
