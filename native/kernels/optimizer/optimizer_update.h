#pragma once
#include <cstdint>

// Fused optimizer updates: one pass over a parameter reads param, gradient and the optimizer's
// state slots and writes param and state, instead of a chain of tensor ops that would each stream
// the whole parameter through memory. Raw pointers only: the binding validates every size.
namespace tf::kernels {

// Wire format with the binding, which publishes the names to JS (camelCase of the enumerator).
enum class OptimizerKind : int { Sgd, Adagrad, Rmsprop, Adam, Count };

// Per-call scalars. Everything that depends only on the step (bias corrections, 1 - beta) is
// precomputed by the caller in double and rounded once, so the kernel and the JS reference start
// from the same constants.
struct OptimizerHyper {
  OptimizerKind kind = OptimizerKind::Sgd;
  float lr = 0;          // step size (SGD, Adagrad, RMSprop; Adam folds it into alpha)
  float grad_scale = 1;  // applied to the gradient first: norm clipping's factor, 1 when off
  float clip_value = 0;  // > 0: clamps the scaled gradient to [-clip_value, clip_value]
  float decay = 0;       // > 0: decoupled weight decay p -= p * decay (decay = lr * weight_decay)
  float momentum = 0;    // SGD, RMSprop; a momentum slot is used when > 0
  bool nesterov = false; // SGD
  float rho = 0;         // RMSprop
  float one_minus_rho = 0;
  bool centered = false; // RMSprop: keeps an average-gradient slot
  float one_minus_beta1 = 0, one_minus_beta2 = 0;  // Adam
  float alpha = 0;       // Adam: lr * sqrt(1 - beta2^t) / (1 - beta1^t)
  bool amsgrad = false;  // Adam: keeps a max-velocity slot
  float epsilon = 0;     // Adagrad, RMSprop, Adam
};

// Up to three state arrays, each as long as the parameter. Which ones a configuration reads is
// given by optimizer_uses_slot; the others may be null.
//   SGD:     s0 = momentum (momentum > 0)
//   Adagrad: s0 = accumulator
//   RMSprop: s0 = velocity, s1 = momentum (momentum > 0), s2 = average gradient (centered)
//   Adam:    s0 = first moment, s1 = second moment, s2 = max second moment (amsgrad)
struct OptimizerSlots {
  float* s0 = nullptr;
  float* s1 = nullptr;
  float* s2 = nullptr;
};

// The single source of truth for which slots a configuration touches (the binding checks exactly
// these, so the kernel never dereferences an unchecked pointer).
bool optimizer_uses_slot(const OptimizerHyper& h, int slot);

// Updates param[0, n) in place. grad must not partially overlap param or the slots.
void optimizer_step(const OptimizerHyper& h, float* param, const float* grad, const OptimizerSlots& slots,
                    int64_t n);

// One parameter of a many-parameter update (optimizer_step_many), with its own scalars (norm
// clipping scales each parameter's gradient by its own factor).
struct OptimizerTarget {
  OptimizerHyper h;
  float* param = nullptr;
  const float* grad = nullptr;
  OptimizerSlots slots;
  int64_t n = 0;
};

// Updates every target as optimizer_step would, the elements of all of them split across the pool
// as one range: a training step's many small parameters (biases, normalization scales and shifts)
// no longer each run on one thread between two calls from JS. An element's update reads only its
// own param, gradient and slots, so the split changes no result. Targets must not overlap (the
// binding checks).
void optimizer_step_many(const OptimizerTarget* targets, int64_t count);

// Sum of x[i]^2 in double, for clipping by norm. The summation order depends only on n (not on the
// thread count or SIMD level), so the result is reproducible bit for bit.
double sum_squares(const float* x, int64_t n);

}  // namespace tf::kernels
