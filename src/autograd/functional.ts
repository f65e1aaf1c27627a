import { argError, describe } from '../errors';
import { Tensor } from '../tensor/tensor';
import { gradientsAndReach } from './backward';
import { zerosLike } from '../ops/creation';
import { scoped } from '../tensor/scope';
import { tensorLabel } from './labels';

/** Result of {@link valueAndGrad}: the function's value and the gradient of each argument. */
export interface ValueAndGrads {
  value: Tensor;
  grads: Tensor[];
  /** The first argument's gradient (tfjs `valueAndGrad` shape). */
  grad: Tensor;
}

function collectArgs(fn: string, args: unknown[]): { list: Tensor[]; asList: boolean } {
  const asList = args.length === 1 && Array.isArray(args[0]);
  const list = (asList ? (args[0] as unknown[]) : args) as unknown[];
  list.forEach((t, i) => {
    if (!(t instanceof Tensor)) argError(fn, `args[${i}]`, 'a Tensor', describe(t));
    if (t.dtype !== 'float32') argError(fn, `args[${i}]`, 'a float32 tensor', `dtype ${t.dtype}`);
  });
  return { list: list as Tensor[], asList };
}

/** Names argument `i` for gradient errors: its position, weight name when it has one, and shape. */
function describeTarget(list: readonly Tensor[], i: number, asList: boolean, withPosition = true): string {
  const label = tensorLabel(list[i]!);
  const where = asList || list.length > 1 ? `argument ${i}` : 'its argument';
  const what = `${label ? `weight '${label}', ` : ''}${describe(list[i])}`;
  return withPosition ? `${where} (${what})` : what;
}

/**
 * Everything f creates besides its value is disposed when the gradients are ready (as tfjs does),
 * so training loops reuse buffers at once; keep intermediates by returning them from a `tidy`
 * outside, or recompute them.
 */
function evaluate(name: string, f: (...xs: Tensor[]) => Tensor, args: unknown[], dy?: Tensor, keepValue = true): { value: Tensor; grads: Tensor[]; asList: boolean } {
  const { list, asList } = collectArgs(name, args);
  // grad/grads drop the value: keeping it would pin the forward output's buffer until the collector
  // runs, so every call of a synchronous loop would page-fault a fresh one.
  return scoped(() => evaluateInScope(name, f, list, asList, dy), (r) => (keepValue ? [r.value, ...r.grads] : r.grads));
}

function evaluateInScope(name: string, f: (...xs: Tensor[]) => Tensor, list: Tensor[], asList: boolean, dy?: Tensor): { value: Tensor; grads: Tensor[]; asList: boolean } {
  // Leaves are differentiated in place (so a function that closes over them, the GradientTape way,
  // works) with requiresGrad switched on for the call and restored after; a tensor that is the
  // output of earlier recorded ops is replaced by a fresh leaf sharing its memory.
  const targets = list.map((t) => (t.node ? t.detach() : t));
  const previous = targets.map((t) => t.requiresGrad);
  targets.forEach((t) => (t.requiresGrad = true));
  try {
    const value = f(...targets);
    if (!(value instanceof Tensor)) argError(name, 'f', 'a function returning a Tensor', describe(value));
    // tfjs throws here too: silent zeros would hide a forward pass run under noGrad (predict,
    // predictOnBatch) or a closure that never touches the argument.
    if (list.length === 0) return { value: value.detach(), grads: [], asList };
    if (!value.requiresGrad) {
      const which = list.length > 1 ? `any of its ${list.length} arguments (the first: ${describeTarget(list, 0, true, false)})` : describeTarget(list, 0, asList);
      throw new Error(`${name}: f's result does not depend on ${which}; `
        + 'it was made without recording gradients (inside noGrad, predict or predictOnBatch?) or from other tensors only. '
        + 'Compute it with ops on the arguments (for a model: model.apply(x, { training: true }))');
    }
    const { grads: found, reached } = gradientsAndReach(value, targets, dy);
    const missing = reached.findIndex((r) => !r);
    if (missing >= 0) {
      throw new Error(`${name}: f's result does not depend on ${describeTarget(list, missing, asList)}, so it has no gradient `
        + '(the function never used it, or used it only inside noGrad); pass only the tensors f computes with');
    }
    // Used only through ops without a gradient (a where condition, a comparison): zero, as the
    // function is locally constant in it.
    return { value: value.detach(), grads: found.map((g, i) => g ?? zerosLike(targets[i]!)), asList };
  } finally {
    targets.forEach((t, i) => (t.requiresGrad = previous[i]!));
  }
}

/**
 * Turns `f` into a function returning the gradient of f's output (summed, or weighted by `dy`)
 * with respect to its arguments. Call it as `grad(f)(x)` for one tensor (returns a Tensor) or
 * `grad(f)([x, y])` / `grad(f)(x, y)` for several (returns an array).
 */
export function grad(f: (...xs: Tensor[]) => Tensor): {
  (x: Tensor): Tensor;
  (xs: Tensor[]): Tensor[];
  (...xs: Tensor[]): Tensor[];
} {
  const wrapped = (...args: unknown[]): Tensor | Tensor[] => {
    const r = evaluate('grad', f, args, undefined, false);
    return !r.asList && args.length === 1 ? r.grads[0]! : r.grads;
  };
  return wrapped as ReturnType<typeof grad>;
}

/** tfjs name: gradients of `f` with respect to a list of tensors. */
export function grads(f: (...xs: Tensor[]) => Tensor): (xs: Tensor[], dy?: Tensor) => Tensor[] {
  return (xs, dy) => evaluate('grads', f, [xs], dy, false).grads;
}

/**
 * Like {@link grad} but also returns the value: `valueAndGrad(f)(x)` or `valueAndGrad(f)([x, y])`
 * gives `{ value, grads, grad }`.
 */
export function valueAndGrad(f: (...xs: Tensor[]) => Tensor): (...args: (Tensor | Tensor[])[]) => ValueAndGrads {
  return (...args) => {
    const r = evaluate('valueAndGrad', f, args);
    return { value: r.value, grads: r.grads, grad: r.grads[0]! };
  };
}

/** tfjs name of {@link valueAndGrad} over a list. */
export function valueAndGrads(f: (...xs: Tensor[]) => Tensor): (xs: Tensor[], dy?: Tensor) => ValueAndGrads {
  return (xs, dy) => {
    const r = evaluate('valueAndGrads', f, [xs], dy);
    return { value: r.value, grads: r.grads, grad: r.grads[0]! };
  };
}
