// tf.pruning.pruneChannels: structured pruning that returns a smaller model.
import { Tensor } from '../tensor/tensor';
import type { LayersModel } from '../models/layers-model';
import { type PruneChannelsOptions, planChannels } from './channel-plan';
import { rebuildModel } from './rebuild-model';

/** The elements of `t` whose index along `axis` is in `kept` (ascending), as a new tensor. */
export function takeAlong(t: Tensor, axis: number, kept: number[]): Tensor {
  const c = t.contiguousCopy();
  const src = c.buffer.subarray(c.offset, c.offset + c.size) as Float32Array;
  const shape = t.shape.slice();
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const C = shape[axis]!;
  const out = new Float32Array(outer * kept.length * inner);
  let k = 0;
  for (let o = 0; o < outer; o++) {
    for (const j of kept) {
      const from = (o * C + j) * inner;
      out.set(src.subarray(from, from + inner), k);
      k += inner;
    }
  }
  shape[axis] = kept.length;
  return Tensor.fromArray(out, shape);
}

/**
 * Structured pruning: removes the `fraction` of filters (convolutions) or units (Dense) with the
 * smallest L1/L2 kernel norm from every prunable layer, together with what only they fed: their
 * bias entries, the matching BatchNormalization parameters and depthwise filters on the way, and
 * the matching input channels (kernel rows) of the layers that read them. Returns a new, smaller
 * model (compiled like the original) whose outputs equal the original's with those channels'
 * contributions zeroed; fine-tune it to recover accuracy. The original is unchanged.
 *
 * Safe rule: a layer is pruned only if its channels reach no model output, no shared layer and no
 * layer without a channel rule. Layers whose channels meet at residual merges (Add, ...) are pruned
 * together, keeping the same channels, when every input of those merges comes from one of them;
 * otherwise (e.g. an identity skip from the input) they are refused. Concatenate keeps each input's
 * remaining channels at its offset (a concatenation feeding an Add is refused). Without
 * `layers`, a refused layer is an Error (`skipUnsafe: true` leaves it unpruned); with `layers`, a
 * tied group must be named whole. {@link channelPlan} shows the decision without pruning.
 */
export function pruneChannels(model: LayersModel, options: PruneChannelsOptions): LayersModel {
  const { edits } = planChannels(model, options);
  return rebuildModel('pruning.pruneChannels', model, (layer) => {
    const e = edits.get(layer);
    if (!e) return null;
    // The copy's setWeights copies the values, so untouched weights can be handed over as they are.
    const weights = layer.weightsInfo.map((w) => {
      let t = w.value;
      for (const [axis, kept] of e.slices.get(w.name) ?? []) t = takeAlong(t, axis, kept);
      return t;
    });
    return { config: e.config, weights };
  });
}
