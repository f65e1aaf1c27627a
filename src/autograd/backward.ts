import { argError } from '../errors';
import { shapesEqual } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { add } from '../ops/binary';
import { ones } from '../ops/creation';
import { noGrad } from './tape';
import { closeScope, openScope, scoped } from '../tensor/scope';

/** Tensors reachable from `root` through recorded ops, inputs before the ops that use them. */
function topologicalOrder(root: Tensor): Tensor[] {
  // Iterative DFS: deep graphs (long training loops, RNNs) must not overflow the JS stack.
  const order: Tensor[] = [];
  const seen = new Set<Tensor>([root]);
  const stack: [Tensor, number][] = [[root, 0]];
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    const inputs = t.node?.inputs ?? [];
    if (i < inputs.length) {
      top[1] = i + 1;
      const child = inputs[i]!;
      if (child.requiresGrad && !seen.has(child)) {
        seen.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}

/**
 * Runs the backward rules in reverse topological order, handing each leaf its total gradient.
 * A gradient the pass made is disposed once its node's rule has consumed it, and so is whatever a
 * rule made but did not return, as PyTorch frees each gradient after use: a training step's peak
 * memory is then its activations plus the gradients in flight, not plus every gradient, and later
 * rules write into memory that is still in cache (the step's arena reuses the regions).
 */
function propagate(order: Tensor[], root: Tensor, seed: Tensor, onLeaf: (leaf: Tensor, g: Tensor) => void): void {
  const grads = new Map<Tensor, Tensor>([[root, seed]]);
  // Tensors the pass made, and how many entries of `grads` hold each (a rule may hand one
  // gradient to several inputs, or pass its own gradient through).
  const owned = new Set<Tensor>();
  const holders = new Map<Tensor, number>();
  const hold = (g: Tensor, by: number): void => {
    if (owned.has(g)) holders.set(g, (holders.get(g) ?? 0) + by);
  };
  const drop = (g: Tensor): void => {
    if (owned.has(g) && !holders.get(g)) {
      owned.delete(g);
      g.dispose();
    }
  };
  const made: Tensor[] = [];
  const parent = openScope(made);
  try {
    noGrad(() => {
      for (let i = order.length - 1; i >= 0; i--) {
        const t = order[i]!;
        const g = grads.get(t);
        if (!g) continue;
        grads.delete(t);
        hold(g, -1);
        if (!t.node) {
          owned.delete(g);
          onLeaf(t, g);
          continue;
        }
        const start = made.length;
        const inputGrads = t.node.backward(g);
        for (let k = start; k < made.length; k++) owned.add(made[k]!);
        t.node.inputs.forEach((input, k) => {
          const gi = inputGrads[k];
          if (!gi || !input.requiresGrad) return;
          const prev = grads.get(input);
          if (!prev) {
            grads.set(input, gi);
            hold(gi, 1);
            return;
          }
          const sum = add(prev, gi);
          owned.add(sum);
          grads.set(input, sum);
          hold(sum, 1);
          hold(prev, -1);
          drop(prev);
          drop(gi);
        });
        drop(g);
        // Temporaries of the rule that no input kept.
        for (let k = start; k < made.length; k++) {
          const m = made[k]!;
          if (!holders.get(m)) drop(m);
        }
      }
    });
  } finally {
    closeScope(parent);
    if (parent) for (const m of made) parent.push(m);
  }
}

function seedFor(fn: string, root: Tensor, gradient?: Tensor): Tensor {
  if (!root.requiresGrad) {
    throw new Error(`${fn}: the tensor does not require gradients (no input had requiresGrad = true)`);
  }
  const seed = gradient ?? ones(root.shape.slice());
  if (!shapesEqual(seed.shape, root.shape)) {
    argError(fn, 'gradient', `shape [${root.shape.join(',')}]`, `[${seed.shape.join(',')}]`);
  }
  return seed;
}

/**
 * Reverse-mode pass from `root`: visits the recorded graph in reverse topological order and
 * accumulates into `.grad` of every leaf that requires a gradient. `gradient` defaults to ones.
 */
export function backward(root: Tensor, gradient?: Tensor): void {
  const seed = seedFor('backward', root, gradient);
  const order = topologicalOrder(root);
  const leaves = order.filter((t) => !t.node);
  // Gradient temporaries are disposed as soon as the pass ends; only the leaves' .grad survive.
  scoped(
    () => propagate(order, root, seed, (leaf, g) => {
      leaf.grad = leaf.grad ? add(leaf.grad, g) : g;
    }),
    () => leaves.map((t) => t.grad).filter((g): g is Tensor => g !== null),
    true,
  );
}

/**
 * Gradients of `root` with respect to `targets` (leaf tensors), without touching `.grad`
 * (PyTorch's `torch.autograd.grad`). A target the root does not depend on gets null.
 * @internal used by training loops; the caller owns the returned tensors.
 */
export function gradientsOf(root: Tensor, targets: readonly Tensor[]): (Tensor | null)[] {
  return gradientsOfWithSeed(root, targets);
}

/** @internal {@link gradientsOf} with an explicit output gradient (default ones). */
export function gradientsOfWithSeed(root: Tensor, targets: readonly Tensor[], gradient?: Tensor): (Tensor | null)[] {
  return gradientsAndReach(root, targets, gradient).grads;
}

/**
 * @internal gradients of `root` for `targets`, and whether each target is on the recorded graph at
 * all: a target reached only through ops without a gradient (a `where` condition, a comparison) has
 * a zero gradient, one not reached was never used.
 */
export function gradientsAndReach(root: Tensor, targets: readonly Tensor[], gradient?: Tensor): { grads: (Tensor | null)[]; reached: boolean[] } {
  const seed = seedFor('gradientsOf', root, gradient);
  const order = topologicalOrder(root);
  const onGraph = new Set(order);
  const found = new Map<Tensor, Tensor>();
  propagate(order, root, seed, (leaf, g) => found.set(leaf, g));
  return { grads: targets.map((t) => found.get(t) ?? null), reached: targets.map((t) => onGraph.has(t)) };
}
