// Operators that move elements without arithmetic, as reshapes, transposes and broadcasts (so
// gradients come from those ops): Tile (PyTorch's repeat), DepthToSpace (PixelShuffle),
// SpaceToDepth (PixelUnshuffle) and Trilu (tril/triu, from opset 14).
import { tensor } from '../../../ops/creation';
import { broadcastTo, reshape, transpose } from '../../../ops/views';
import { where } from '../../../ops/where';
import type { Tensor } from '../../../tensor/tensor';
import { type OnnxOpSpec, type OpContext, need, unsupported } from '../op-spec';
import { checkCreatedShape, intValues } from '../values';

function tile(x: Tensor, repeats: number[], ctx: OpContext): Tensor {
  if (repeats.length !== x.rank) throw new Error(`${ctx.where}: repeats should have ${x.rank} values (the input's rank), got ${repeats.length}`);
  if (repeats.some((r) => !Number.isInteger(r) || r < 0)) throw new Error(`${ctx.where}: repeats should be non-negative integers, got [${repeats.join(',')}]`);
  const out = x.shape.map((d, i) => d * repeats[i]!);
  checkCreatedShape(out, ctx.where);
  // [d0, d1] -> [1, d0, 1, d1] -> [r0, d0, r1, d1] -> [r0 * d0, r1 * d1]
  const spread = x.shape.flatMap((d) => [1, d]);
  const wide = x.shape.flatMap((d, i) => [repeats[i]!, d]);
  return reshape(broadcastTo(reshape(x, spread), wide), out);
}

function blocksize(a: { int(name: string, d: number): number }, ctx: OpContext): number {
  const b = a.int('blocksize', 0);
  if (!(b >= 1)) throw new Error(`${ctx.where}: blocksize should be a positive integer, got ${b}`);
  return b;
}

function rank4(x: Tensor, ctx: OpContext): [number, number, number, number] {
  if (x.rank !== 4) throw new Error(`${ctx.where}: input should be [N, C, H, W], got shape [${x.shape.join(',')}]`);
  return x.shape as unknown as [number, number, number, number];
}

function depthToSpace(x: Tensor, b: number, mode: string, ctx: OpContext): Tensor {
  const [n, c, h, w] = rank4(x, ctx);
  if (c % (b * b) !== 0) throw new Error(`${ctx.where}: channels (${c}) should be a multiple of blocksize^2 (${b * b})`);
  const oc = c / (b * b);
  const moved = mode === 'DCR'
    ? transpose(reshape(x, [n, b, b, oc, h, w]), [0, 3, 4, 1, 5, 2])
    : transpose(reshape(x, [n, oc, b, b, h, w]), [0, 1, 4, 2, 5, 3]);
  return reshape(moved, [n, oc, h * b, w * b]);
}

function spaceToDepth(x: Tensor, b: number, ctx: OpContext): Tensor {
  const [n, c, h, w] = rank4(x, ctx);
  if (h % b !== 0 || w % b !== 0) throw new Error(`${ctx.where}: height and width (${h}, ${w}) should be multiples of blocksize ${b}`);
  const moved = transpose(reshape(x, [n, c, h / b, b, w / b, b]), [0, 3, 5, 1, 2, 4]);
  return reshape(moved, [n, c * b * b, h / b, w / b]);
}

/** Keeps the upper (j - i >= k) or lower (j - i <= k) triangle of the last two axes, zeros elsewhere. */
function trilu(x: Tensor, k: number, upper: boolean, ctx: OpContext): Tensor {
  if (x.rank < 2) throw new Error(`${ctx.where}: input should have rank >= 2, got shape [${x.shape.join(',')}]`);
  const [rows, cols] = [x.shape[x.rank - 2]!, x.shape[x.rank - 1]!];
  const keep = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) keep[i * cols + j] = (upper ? j - i >= k : j - i <= k) ? 1 : 0;
  if (x.dtype === 'int32') {
    const d = x.dataSync();
    const out = new Int32Array(d.length);
    for (let e = 0; e < d.length; e++) out[e] = keep[e % (rows * cols)] ? d[e]! : 0;
    return tensor(out, x.shape.slice(), 'int32');
  }
  return where(tensor(keep, [rows, cols]), x, 0);
}

/** Rearranging operators by ONNX name. */
export const rearrangeOps: Record<string, OnnxOpSpec> = {
  Tile: {
    attributes: [],
    run: (inputs, _a, ctx) => [tile(need(inputs, 0, ctx), intValues(need(inputs, 1, ctx), 'repeats', ctx.where), ctx)],
  },
  DepthToSpace: {
    attributes: ['blocksize', 'mode'],
    validate(a, ctx) {
      const mode = a.string('mode', 'DCR');
      if (mode !== 'DCR' && mode !== 'CRD') unsupported(ctx, `mode='${mode}'`);
    },
    run: (inputs, a, ctx) => [depthToSpace(need(inputs, 0, ctx), blocksize(a, ctx), a.string('mode', 'DCR'), ctx)],
  },
  SpaceToDepth: {
    attributes: ['blocksize'],
    run: (inputs, a, ctx) => [spaceToDepth(need(inputs, 0, ctx), blocksize(a, ctx), ctx)],
  },
  Trilu: {
    attributes: ['upper'],
    run(inputs, a, ctx) {
      const k = inputs[1] ? intValues(inputs[1], 'k', ctx.where)[0] ?? 0 : 0;
      return [trilu(need(inputs, 0, ctx), k, a.int('upper', 1) === 1, ctx)];
    },
  },
};
