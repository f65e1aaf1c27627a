// Residual connections: Add(conv(x), r) becomes the convolution with r as its residual operand, so
// the sum is formed while the output tile is still in registers (and a ReLU after it joins the same
// epilogue through fuseEpilogues). ResNet-style blocks otherwise write the convolution's output,
// read it back with r, and write the sum: two extra passes over the largest tensors of the block.
// A transformer's Add(x, proj(attn)) and Add(x, mlp(x)) join the linear layer the same way (the
// GEMM starts from r: one step instead of two, twice per block).
import { type IrGraph, consumers, onlyUse } from './ir';

function sameShape(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  return a !== undefined && b !== undefined && a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Fuses each Add of a lowered convolution's or linear layer's output and a same-shaped value into that kernel. Returns the count. */
export function fuseResidualAdds(g: IrGraph): number {
  const uses = consumers(g);
  const producerIndex = new Map<number, number>();
  g.nodes.forEach((n, k) => n.outputs.forEach((o) => o >= 0 && producerIndex.set(o, k)));
  let count = 0;
  g.nodes.forEach((add, k) => {
    if (add.op !== 'Add' || add.inputs.length !== 2 || add.outputs.filter((o) => o >= 0).length !== 1) return;
    const out = add.outputs[0]!;
    const outShape = g.recorded[out]?.shape;
    for (const side of [0, 1]) {
      const y = add.inputs[side];
      const r = add.inputs[1 - side];
      if (y?.kind !== 'value' || r?.kind !== 'value' || y.id === r.id) continue;
      const pk = producerIndex.get(y.id);
      if (pk === undefined) continue;
      const p = g.nodes[pk]!;
      const kernel = p.kernel;
      if ((kernel?.kind !== 'conv2d' && kernel?.kind !== 'linear') || kernel.residual || kernel.activation !== 'linear' || p.outputs[0] !== y.id) continue;
      if (!onlyUse(g, uses, y.id, k)) continue;
      // No broadcasting: the residual is read as a tensor of exactly the output's shape.
      const yRec = g.recorded[y.id];
      const rRec = g.recorded[r.id];
      if (!yRec || !rRec || yRec.dtype !== 'float32' || rRec.dtype !== 'float32') continue;
      if (!sameShape(yRec.shape, rRec.shape) || !sameShape(yRec.shape, outShape)) continue;
      // The residual must exist when the convolution runs: computed before it, or a graph input.
      const rk = producerIndex.get(r.id);
      if (rk !== undefined && rk > pk) continue;
      if (rk === undefined && !g.inputs.includes(r.id)) continue;
      p.inputs = [p.inputs[0]!, r];
      kernel.residual = true;
      p.outputs[0] = out;
      producerIndex.set(out, pk);
      add.outputs = add.outputs.map(() => -1);
      count++;
      return;
    }
  });
  if (count) g.nodes = g.nodes.filter((n) => n.outputs.some((o) => o >= 0));
  return count;
}
