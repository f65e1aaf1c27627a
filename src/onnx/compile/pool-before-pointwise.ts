// An average pool after a 1x1 convolution run before it instead: both are linear, the convolution
// per pixel and the pool per channel, so avgPool(conv1x1(x) + b) = conv1x1(avgPool(x)) + b when
// the pool averages only real pixels (no padding, no partial windows). DenseNet's transitions
// (1x1 convolution halving the channels, then a 2x2 average pool) then convolve a quarter of the
// pixels: about a tenth of the network's multiply-adds. The sums are reassociated: the results
// agree to rounding, not bit for bit.
import { type IrGraph, type IrNode, consumers, fixed, onlyUse } from './ir';

function pointwise(conv: IrNode): boolean {
  const w = fixed(conv.inputs[1] ?? null);
  if (!w || w.rank !== 4 || w.shape[2] !== 1 || w.shape[3] !== 1) return false;
  const a = conv.attrs!;
  if (a.string('auto_pad', 'NOTSET') !== 'NOTSET' && a.string('auto_pad', 'NOTSET') !== 'VALID') return false;
  return (a.ints('strides') ?? [1, 1]).every((s) => s === 1) && (a.ints('pads') ?? [0, 0, 0, 0]).every((p) => p === 0) &&
    conv.outputs.filter((o) => o >= 0).length === 1;
}

function plainAverage(pool: IrNode): boolean {
  const a = pool.attrs!;
  return a.string('auto_pad', 'NOTSET') === 'NOTSET' && a.flag('ceil_mode', 0) === 0 &&
    (a.ints('pads') ?? [0, 0, 0, 0]).every((p) => p === 0) && (a.ints('dilations') ?? [1, 1]).every((d) => d === 1) &&
    (a.ints('kernel_shape') ?? []).length === 2 && pool.outputs.length === 1;
}

/** Swaps every 1x1 Conv -> AveragePool pair it can (the pool first). Returns the count. */
export function poolBeforePointwise(g: IrGraph): number {
  const uses = consumers(g);
  const at = new Map<number, number>();
  g.nodes.forEach((n, k) => n.outputs.forEach((o) => o >= 0 && at.set(o, k)));
  let count = 0;
  g.nodes.forEach((pool, k) => {
    if (pool.op !== 'AveragePool' || !plainAverage(pool)) return;
    const y = pool.inputs[0];
    if (y?.kind !== 'value') return;
    const ck = at.get(y.id);
    if (ck === undefined) return;
    const conv = g.nodes[ck]!;
    const x = conv.inputs[0];
    if (conv.op !== 'Conv' || x?.kind !== 'value' || conv.outputs[0] !== y.id || !pointwise(conv) || !onlyUse(g, uses, y.id, k)) return;
    const xRec = g.recorded[x.id];
    if (!xRec || xRec.rank !== 4 || xRec.dtype !== 'float32') return;
    // The pooled input is a new value; its recorded tensor (for the later passes' shapes) is the
    // pool of the recorded input, computed once here.
    const pooled = g.valueCount++;
    g.recorded[pooled] = pool.run([xRec])[0]!;
    const out = pool.outputs[0]!;
    pool.inputs = [x];
    pool.outputs = [pooled];
    conv.inputs = [{ kind: 'value', id: pooled }, ...conv.inputs.slice(1)];
    conv.outputs = [out];
    // The pool reads only x, which is ready where the convolution was; the convolution's other
    // inputs are fixed. Nothing between them read the convolution's old output (the pool was its only reader).
    g.nodes[ck] = pool;
    g.nodes[k] = conv;
    count++;
  });
  return count;
}
