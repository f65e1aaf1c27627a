// Splits feeds along dim 0 into chunks for the pool and joins the chunks' outputs back together.
import { argError } from '../../errors';
import type { FeedView } from './feeds';
import type { SessionValueMetadata } from './metadata';
import type { WireOutput } from './protocol';

/** The shared sample count of the feeds, checked to be splittable along dim 0. */
export function sampleCount(fn: string, views: readonly FeedView[], inputs: readonly SessionValueMetadata[], batchSize: number): number {
  let n: number | null = null;
  for (const v of views) {
    if (v.dims.length === 0) argError(fn, `feeds.${v.name}`, 'a tensor with a batch dimension (rank >= 1)', 'a scalar');
    const rows = v.dims[0]!;
    if (n !== null && rows !== n) {
      argError(fn, `feeds.${v.name}`, `the same number of samples (dim 0) as the other feeds (${n})`, `shape [${v.dims.join(',')}]`);
    }
    n = rows;
  }
  if (n === null) argError(fn, 'feeds', 'at least one input to split into batches', 'a model without inputs');
  if (n > batchSize) {
    for (const meta of inputs) {
      const first = meta.shape?.[0];
      if (typeof first === 'number') {
        argError(fn, 'batchSize', `at least ${n} (input '${meta.name}' has the fixed first dimension ${first}, so it cannot be split)`, String(batchSize));
      }
    }
  }
  return n;
}

/**
 * Concatenates each output's chunks along dim 0 into one array (the one copy batching adds).
 * `rows[k]` is chunk k's sample count: an output whose dim 0 is not the batch (e.g. an RNN's
 * time-major Y) cannot be joined, even when its shapes happen to line up.
 */
export function concatOutputs(fn: string, chunks: readonly Record<string, WireOutput>[], names: readonly string[], rows: readonly number[]): Record<string, WireOutput> {
  const out: Record<string, WireOutput> = {};
  for (const name of names) {
    const parts = chunks.map((c) => c[name]!);
    const first = parts[0]!;
    if (parts.length === 1) {
      out[name] = first;
      continue;
    }
    const tail = first.dims.slice(1);
    for (const [k, p] of parts.entries()) {
      const sameTail = p.dims.length === first.dims.length && p.dims.slice(1).every((d, i) => d === tail[i]);
      if (first.dims.length === 0 || !sameTail || p.dims[0] !== rows[k] || p.data.constructor !== first.data.constructor) {
        throw new Error(
          `${fn}: output '${name}' cannot be joined along dim 0: batches returned shapes ` +
            `[${first.dims.join(',')}] and [${p.dims.join(',')}]; run it without batching`,
        );
      }
    }
    const total = parts.reduce((a, p) => a + p.data.length, 0);
    const data = first.data instanceof Int32Array ? new Int32Array(total) : new Float32Array(total);
    let pos = 0;
    for (const p of parts) {
      data.set(p.data, pos);
      pos += p.data.length;
    }
    out[name] = { data, dims: [parts.reduce((a, p) => a + p.dims[0]!, 0), ...tail] };
  }
  return out;
}
