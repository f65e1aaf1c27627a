#pragma once
// Named argument layouts of the optimizer entry points. Each Float64Array an entry point reads is
// declared once here as a list of field names; optimizer_ops.cpp reads the fields by these names
// and publishes them (addon.optimizerLayouts), and src/optimizers/fused-layouts.ts declares the
// same names and checks them against the addon before it sends the first fused update. Adding or
// reordering a field therefore changes both sides at once or is refused at load, never misread.
//
// X(type, name): type is `index` (an integer offset or count), `real` or `flag` (0 or 1).

// optimizerStep: the fields every kind reads first.
#define TF_OPTIMIZER_STEP_COMMON(X) \
  X(index, paramOffset)             \
  X(index, gradOffset)              \
  X(index, n)                       \
  X(real, lr)                       \
  X(real, gradScale)                \
  X(real, clipValue)                \
  X(real, decay)

// Then each kind's own hyper-parameters. Step-dependent values (Adam's bias-corrected alpha) and
// complements (1 - beta) are computed by the caller in double and rounded once.
#define TF_OPTIMIZER_SGD_FIELDS(X) X(real, momentum) X(flag, nesterov)
#define TF_OPTIMIZER_ADAGRAD_FIELDS(X) X(real, epsilon)
#define TF_OPTIMIZER_RMSPROP_FIELDS(X) \
  X(real, rho) X(real, oneMinusRho) X(real, momentum) X(flag, centered) X(real, epsilon)
#define TF_OPTIMIZER_ADAM_FIELDS(X) \
  X(real, oneMinusBeta1) X(real, oneMinusBeta2) X(real, epsilon) X(real, alpha) X(flag, amsgrad)

// The state arrays a kind takes, in argument order (s0, s1, s2), named as the TypeScript
// optimizers name their slots (Keras slot names).
#define TF_OPTIMIZER_SGD_SLOTS(S) S(momentum)
#define TF_OPTIMIZER_ADAGRAD_SLOTS(S) S(accumulator)
#define TF_OPTIMIZER_RMSPROP_SLOTS(S) S(velocity) S(momentum) S(average_gradient)
#define TF_OPTIMIZER_ADAM_SLOTS(S) S(momentum) S(velocity) S(velocity_hat)

// K(kernels::OptimizerKind enumerator, published name, fields, slots). The published order gives
// the kind codes JS passes; it need not match the enum's.
#define TF_OPTIMIZER_KINDS(K)                                                 \
  K(Sgd, sgd, TF_OPTIMIZER_SGD_FIELDS, TF_OPTIMIZER_SGD_SLOTS)                \
  K(Adagrad, adagrad, TF_OPTIMIZER_ADAGRAD_FIELDS, TF_OPTIMIZER_ADAGRAD_SLOTS) \
  K(Rmsprop, rmsprop, TF_OPTIMIZER_RMSPROP_FIELDS, TF_OPTIMIZER_RMSPROP_SLOTS) \
  K(Adam, adam, TF_OPTIMIZER_ADAM_FIELDS, TF_OPTIMIZER_ADAM_SLOTS)

// optimizerSumSquares(x, meta).
#define TF_OPTIMIZER_SUM_SQUARES(X) X(index, offset) X(index, n)
