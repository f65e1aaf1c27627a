import { argError } from '../errors';
import { shapesEqual } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { add } from '../ops/binary';
import { ones } from '../ops/creation';
import { noGrad } from './tape';
import { scoped } from '../tensor/scope';

/**
 * Reverse-mode pass from `root`: visits the recorded graph in reverse topological order and
 * accumulates into `.grad` of every leaf that requires a gradient. `gradient` defaults to ones.
 */
export function backward(root: Tensor, gradient?: Tensor): void {
  if (!root.requiresGrad) {
    throw new Error('backward: the tensor does not require gradients (no input had requiresGrad = true)');
  }
  const seed = gradient ?? ones(root.shape);
  if (!shapesEqual(seed.shape, root.shape)) {
    argError('backward', 'gradient', `shape [${root.shape.join(',')}]`, `[${seed.shape.join(',')}]`);
  }
  // Iterative DFS: deep graphs (long training loops, RNNs) must not overflow the JS stack.
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
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
  const grads = new Map<Tensor, Tensor>([[root, seed]]);
  // Gradient temporaries are disposed as soon as the pass ends; only the leaves' .grad survive.
  const leaves = order.filter((t) => !t.node);
  scoped(
    () => runBackward(order, grads),
    () => leaves.map((t) => t.grad).filter((g): g is Tensor => g !== null),
  );
}

function runBackward(order: Tensor[], grads: Map<Tensor, Tensor>): void {
  noGrad(() => {
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i]!;
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      if (!t.node) {
        t.grad = t.grad ? add(t.grad, g) : g;
        continue;
      }
      const inputGrads = t.node.backward(g);
      t.node.inputs.forEach((input, k) => {
        const gi = inputGrads[k];
        if (!gi || !input.requiresGrad) return;
        const prev = grads.get(input);
        grads.set(input, prev ? add(prev, gi) : gi);
      });
    }
  });
}
