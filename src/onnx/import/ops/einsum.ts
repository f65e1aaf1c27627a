// Einsum with one or two operands and explicit letters (what PyTorch exports for torch.einsum
// without '...'), lowered to sums, transposes and one batched matmul, so gradients come from those.
// Two operands: letters in both and in the output are batch axes, in both but not the output are
// contracted, in one only are that operand's free axes (summed first when not in the output).
import { matmul } from '../../../ops/matmul';
import { sum } from '../../../ops/reduce';
import { reshape, transpose } from '../../../ops/views';
import type { Tensor } from '../../../tensor/tensor';
import { type OnnxOpSpec, type OpContext, asFloat, need, unsupported } from '../op-spec';

interface Term {
  x: Tensor;
  letters: string[];
}

function parse(equation: string, count: number, ctx: OpContext): { inputs: string[][]; output: string[] } {
  const eq = equation.replace(/\s+/g, '');
  if (eq.includes('.')) unsupported(ctx, `equation '${equation}' with '...'`);
  const [lhs, rhs] = eq.split('->') as [string, string | undefined];
  const inputs = lhs.split(',').map((t) => [...t]);
  if (inputs.length !== count) throw new Error(`${ctx.where}: equation '${equation}' names ${inputs.length} operands, the node has ${count}`);
  for (const t of inputs) {
    if (t.some((c) => !/[a-zA-Z]/.test(c))) throw new Error(`${ctx.where}: equation '${equation}' should use letters only`);
    if (new Set(t).size !== t.length) unsupported(ctx, `equation '${equation}' (a letter repeated in one operand: diagonals)`);
  }
  // Implicit output: the letters seen once, in alphabetical order.
  const all = inputs.flat();
  const output = rhs !== undefined ? [...rhs] : [...new Set(all)].filter((c) => all.indexOf(c) === all.lastIndexOf(c)).sort();
  for (const c of output) if (!all.includes(c)) throw new Error(`${ctx.where}: output letter '${c}' of '${equation}' is in no operand`);
  return { inputs, output };
}

/** Sums out the letters of a term that no one else needs. */
function sumOut(t: Term, keep: ReadonlySet<string>): Term {
  const axes = t.letters.map((c, i) => (keep.has(c) ? -1 : i)).filter((i) => i >= 0);
  if (!axes.length) return t;
  return { x: sum(t.x, axes), letters: t.letters.filter((c) => keep.has(c)) };
}

/** The term's axes in `order`, as a [batch, rows, cols] (or any grouping) reshape. */
function arrange(t: Term, groups: string[][]): Tensor {
  const order = groups.flat();
  const moved = transpose(t.x, order.map((c) => t.letters.indexOf(c)));
  const dim = (c: string) => t.x.shape[t.letters.indexOf(c)]!;
  return reshape(moved, groups.map((g) => g.reduce((p, c) => p * dim(c), 1)));
}

function toOutput(x: Tensor, letters: string[], output: string[]): Tensor {
  return output.every((c, i) => letters[i] === c) ? x : transpose(x, output.map((c) => letters.indexOf(c)));
}

function einsum(equation: string, operands: Tensor[], ctx: OpContext): Tensor {
  const { inputs, output } = parse(equation, operands.length, ctx);
  const terms = operands.map((x, i) => {
    if (x.rank !== inputs[i]!.length) throw new Error(`${ctx.where}: operand ${i} has rank ${x.rank}, '${equation}' gives it ${inputs[i]!.length} letters`);
    return { x: asFloat(x), letters: inputs[i]! };
  });
  const size = new Map<string, number>();
  terms.forEach((t, i) => t.letters.forEach((c, k) => {
    const d = t.x.shape[k]!;
    if (size.has(c) && size.get(c) !== d) throw new Error(`${ctx.where}: letter '${c}' of '${equation}' is ${size.get(c)} in one operand and ${d} in operand ${i}`);
    size.set(c, d);
  }));
  if (terms.length === 1) {
    const t = sumOut(terms[0]!, new Set(output));
    return toOutput(t.x, t.letters, output);
  }
  if (terms.length !== 2) unsupported(ctx, `Einsum of ${terms.length} operands`);
  const [a0, b0] = terms as [Term, Term];
  const a = sumOut(a0, new Set([...output, ...b0.letters]));
  const b = sumOut(b0, new Set([...output, ...a0.letters]));
  const inB = new Set(b.letters);
  const inA = new Set(a.letters);
  const inOut = new Set(output);
  const batch = a.letters.filter((c) => inB.has(c) && inOut.has(c));
  const contract = a.letters.filter((c) => inB.has(c) && !inOut.has(c));
  const aFree = a.letters.filter((c) => !inB.has(c));
  const bFree = b.letters.filter((c) => !inA.has(c));
  const product = matmul(arrange(a, [batch, aFree, contract]), arrange(b, [batch, contract, bFree]));
  const letters = [...batch, ...aFree, ...bFree];
  return toOutput(reshape(product, letters.map((c) => size.get(c)!)), letters, output);
}

/** Einsum by ONNX name. */
export const einsumOps: Record<string, OnnxOpSpec> = {
  Einsum: {
    attributes: ['equation'],
    run(inputs, a, ctx) {
      const operands = inputs.map((_, i) => need(inputs, i, ctx));
      return [einsum(a.string('equation', ''), operands, ctx)];
    },
  },
};
