// ScatterND: a copy of `data` with the slices that `indices` address replaced by `updates`. PyTorch
// exports item assignment on tensors this way (Swin's shifted-window attention mask is built by
// `mask[h, w] = count`). Float data stays differentiable: the written rows are gathered from the
// updates and the others kept from the data, so gradients reach both.
import { gather } from '../../../ops/movement';
import { reshape } from '../../../ops/views';
import { where } from '../../../ops/where';
import { tensor } from '../../../ops/creation';
import type { Tensor } from '../../../tensor/tensor';
import { type OnnxOpSpec, type OpContext, need, unsupported } from '../op-spec';

/** The row of data (its first k dimensions flattened) each index tuple addresses. */
function targetRows(data: Tensor, indices: Tensor, ctx: OpContext): { rows: Int32Array; k: number } {
  if (indices.rank < 1) throw new Error(`${ctx.where}: indices should have rank >= 1, got a scalar`);
  const k = indices.shape[indices.rank - 1]!;
  if (k < 1 || k > data.rank) {
    throw new Error(`${ctx.where}: the last dimension of indices (${k}) should be between 1 and the data's rank ${data.rank}`);
  }
  const idx = indices.dataSync();
  const rows = new Int32Array(indices.size / k);
  for (let u = 0; u < rows.length; u++) {
    let row = 0;
    for (let j = 0; j < k; j++) {
      const dim = data.shape[j]!;
      const raw = Math.trunc(idx[u * k + j]!);
      const i = raw < 0 ? raw + dim : raw;
      if (!(i >= 0 && i < dim)) throw new Error(`${ctx.where}: index ${raw} is out of range for data dimension ${j} of size ${dim}`);
      row = row * dim + i;
    }
    rows[u] = row;
  }
  return { rows, k };
}

function scatterND(data: Tensor, indices: Tensor, updates: Tensor, ctx: OpContext): Tensor {
  const { rows, k } = targetRows(data, indices, ctx);
  const slice = data.shape.slice(k);
  const want = [...indices.shape.slice(0, -1), ...slice];
  if (updates.rank !== want.length || updates.shape.some((d, i) => d !== want[i])) {
    throw new Error(`${ctx.where}: updates should have shape [${want.join(',')}] (indices' leading dimensions, then data's after the first ${k}), got [${updates.shape.join(',')}]`);
  }
  if (updates.dtype !== data.dtype) throw new Error(`${ctx.where}: updates should be ${data.dtype} like the data, got ${updates.dtype}`);
  const outer = data.shape.slice(0, k).reduce((a, d) => a * d, 1);
  const inner = slice.reduce((a, d) => a * d, 1);
  // The update each data row takes (the last one, when several name it), or -1.
  const source = new Int32Array(outer).fill(-1);
  rows.forEach((row, u) => (source[row] = u));
  if (data.dtype !== 'float32') {
    const out = data.dataSync().slice();
    const up = updates.dataSync();
    source.forEach((u, row) => {
      if (u >= 0) for (let e = 0; e < inner; e++) out[row * inner + e] = up[u * inner + e]!;
    });
    return tensor(out, data.shape.slice(), data.dtype);
  }
  if (rows.length === 0) return data;
  const written = tensor(Float32Array.from(source, (u) => (u >= 0 ? 1 : 0)), [outer, 1]);
  const taken = gather(reshape(updates, [rows.length, inner]), tensor(Int32Array.from(source, (u) => Math.max(u, 0)), [outer], 'int32'), 0);
  return reshape(where(written, taken, reshape(data, [outer, inner])), data.shape.slice());
}

/** ScatterND by ONNX name (reduction 'none', the form exporters emit for item assignment). */
export const scatterOps: Record<string, OnnxOpSpec> = {
  ScatterND: {
    attributes: ['reduction'],
    validate(a, ctx) {
      const reduction = a.string('reduction', 'none');
      if (reduction !== 'none') unsupported(ctx, `reduction='${reduction}'`);
    },
    run: (inputs, _a, ctx) => [scatterND(need(inputs, 0, ctx), need(inputs, 1, ctx), need(inputs, 2, ctx), ctx)],
  },
};
