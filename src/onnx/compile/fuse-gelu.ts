// Exact GELU as exporters write it before opset 20: 0.5·x·(1 + erf(x/√2)), five elementwise nodes
// (Div or Mul, Erf, Add, Mul, Mul, in either association of the two products). One gelu node
// replaces them, and fuseEpilogues can then move it into the linear layer or convolution before it,
// so a transformer's MLP activation costs no pass of its own.
import { type IrGraph, type IrNode, type Operand, consumers, fixed, onlyUse } from './ir';
import { unaryNode } from './fuse-activations';

const SQRT2 = Math.SQRT2;

function scalarOf(o: Operand): number | null {
  const t = fixed(o);
  return t && t.size === 1 && t.dtype === 'float32' ? t.dataSync()[0]! : null;
}

function near(v: number | null, want: number): boolean {
  return v !== null && Math.abs(v - want) <= 1e-4 * Math.abs(want);
}

/** The value operand of a two-input node whose other input is the scalar `want` (either side). */
function withScalar(n: IrNode, want: number): Operand | null {
  if (n.inputs.length !== 2) return null;
  for (const side of [0, 1]) {
    const v = n.inputs[side]!;
    if (v?.kind === 'value' && near(scalarOf(n.inputs[1 - side]!), want)) return v;
  }
  return null;
}

const sameValue = (a: Operand | null | undefined, b: Operand | null | undefined): boolean =>
  a?.kind === 'value' && b?.kind === 'value' && a.id === b.id;

/** Replaces each exact-GELU sub-graph with one gelu node. Returns the count. */
export function fuseErfGelu(g: IrGraph): number {
  const uses = consumers(g);
  const producer = new Map<number, number>();
  g.nodes.forEach((n, k) => n.outputs.forEach((o) => o >= 0 && producer.set(o, k)));
  const node = (o: Operand | null | undefined): { n: IrNode; k: number } | null => {
    if (o?.kind !== 'value') return null;
    const k = producer.get(o.id);
    return k === undefined ? null : { n: g.nodes[k]!, k };
  };
  /** The single reader of node k's only output, if it is read once and is not a graph output. */
  const soleReader = (k: number): { n: IrNode; k: number } | null => {
    const out = g.nodes[k]!.outputs[0]!;
    const u = uses[out]!;
    return u.length === 1 && onlyUse(g, uses, out, u[0]!) ? { n: g.nodes[u[0]!]!, k: u[0]! } : null;
  };
  let count = 0;
  g.nodes.forEach((erf, ek) => {
    if (erf.op !== 'Erf' || erf.outputs.length !== 1) return;
    // x/√2 or x·(1/√2)
    const scaled = node(erf.inputs[0]);
    if (!scaled || scaled.n.outputs.length !== 1 || soleReader(scaled.k)?.k !== ek) return;
    let x: Operand | null = null;
    if (scaled.n.op === 'Div' && near(scalarOf(scaled.n.inputs[1]!), SQRT2) && scaled.n.inputs[0]?.kind === 'value') x = scaled.n.inputs[0];
    if (scaled.n.op === 'Mul') x = withScalar(scaled.n, 1 / SQRT2);
    if (!x || x.kind !== 'value') return;
    const rec = g.recorded[x.id];
    if (!rec || rec.dtype !== 'float32') return;
    // 1 + erf
    const plus = soleReader(ek);
    if (!plus || plus.n.op !== 'Add' || plus.n.outputs.length !== 1 || !sameValue(withScalar(plus.n, 1), erf.outputs[0] !== undefined ? { kind: 'value', id: erf.outputs[0] } : null)) return;
    // Either (x · (1+erf)) · 0.5, or (0.5·x) · (1+erf), or x · ((1+erf) · 0.5).
    const prod = soleReader(plus.k);
    if (!prod || prod.n.op !== 'Mul' || prod.n.inputs.length !== 2 || prod.n.outputs.length !== 1) return;
    const other = prod.n.inputs[sameValue(prod.n.inputs[0], { kind: 'value', id: plus.n.outputs[0]! }) ? 1 : 0];
    const dead: number[] = [scaled.k, ek, plus.k];
    let last: { n: IrNode; k: number };
    if (sameValue(other, x)) {
      const half = soleReader(prod.k);
      if (!half || half.n.op !== 'Mul' || half.n.outputs.length !== 1 || !sameValue(withScalar(half.n, 0.5), { kind: 'value', id: prod.n.outputs[0]! })) return;
      dead.push(prod.k);
      last = half;
    } else {
      const halfX = node(other);
      if (!halfX || halfX.n.op !== 'Mul' || halfX.n.outputs.length !== 1 || !sameValue(withScalar(halfX.n, 0.5), x)) return;
      if (soleReader(halfX.k)?.k !== prod.k) return;
      dead.push(halfX.k);
      last = prod;
    }
    g.nodes[last.k] = unaryNode('gelu', last.n, x, last.n.outputs.slice());
    for (const k of dead) g.nodes[k]!.outputs = g.nodes[k]!.outputs.map(() => -1);
    count++;
  });
  if (count) g.nodes = g.nodes.filter((n) => n.outputs.some((o) => o >= 0));
  return count;
}
