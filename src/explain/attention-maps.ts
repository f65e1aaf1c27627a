import { argError, describe } from '../errors';
import type { LayersModel } from '../models/layers-model';
import { MultiHeadAttention } from '../layers/attention';
import type { Tensor } from '../tensor/tensor';
import { noGrad } from '../autograd/tape';
import { checkCall, runModel } from './target';

/** Options of {@link attentionMaps}. */
export interface AttentionMapsOptions {
  /** Only this multiHeadAttention layer (default: every one the model calls). */
  layerName?: string;
}

/**
 * The attention weights of the model's multiHeadAttention layers on `x`: per layer name a
 * `[batch, heads, queryTime, keyTime]` tensor whose rows sum to 1 (a layer called several times
 * reports its first call).
 */
export async function attentionMaps(model: LayersModel, x: Tensor, options: AttentionMapsOptions = {}): Promise<Record<string, Tensor>> {
  const fn = 'explain.attentionMaps';
  checkCall(fn, model, x, options);
  const wanted = options.layerName;
  if (wanted !== undefined && typeof wanted !== 'string') argError(fn, 'layerName', 'a layer name (string)', describe(wanted));
  const maps: Record<string, Tensor> = {};
  noGrad(() =>
    runModel(model, x, (layer, inputs, outputs) => {
      if (!(layer instanceof MultiHeadAttention) || (wanted !== undefined && layer.name !== wanted) || layer.name in maps) return;
      if (layer.returnAttentionScores && Array.isArray(outputs)) {
        maps[layer.name] = outputs[1]!;
        return;
      }
      const list = Array.isArray(inputs) ? inputs : [inputs];
      const mask = layer.attentionMaskInput ? list[list.length - 1]! : null;
      const rest = layer.attentionMaskInput ? list.slice(0, -1) : list;
      const [query, value, key] = rest;
      maps[layer.name] = layer.attend(query!, value ?? query!, { key: key ?? value ?? query!, attentionMask: mask, training: false }).scores;
    }),
  );
  if (wanted !== undefined && !(wanted in maps)) {
    argError(fn, 'layerName', 'the name of a multiHeadAttention layer the model calls', describe(wanted));
  }
  if (Object.keys(maps).length === 0) argError(fn, 'model', 'a model with a multiHeadAttention layer', `${model.layers.length} layers, none of them multiHeadAttention`);
  return maps;
}
