// The saved-model format shared by saving (model-save.ts) and loading (model-load.ts): model.json
// (architecture and training config) beside model.safetensors (weights, named layer/weight) and,
// for a trained compiled model, optimizer.safetensors (its state, so training resumes).
import type { Layer, LayerConfig } from '../layers/layer';
import type { Tensor } from '../tensor/tensor';
import type { LayersModel } from './layers-model';
import type { trainingConfig } from './training';

export const FORMAT = 'tensorforge-layers-model';
export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'model.safetensors';
export const OPTIMIZER_FILE = 'optimizer.safetensors';

export interface SavedLayer {
  className: string;
  name: string;
  config: LayerConfig;
  inboundNodes: { inputs: [string, number, number][]; listInput: boolean; training?: boolean }[];
}
export interface SavedModel {
  format: string;
  formatVersion: number;
  modelTopology: { className: string; config: { name: string; layers: SavedLayer[]; inputLayers: [string, number, number][]; outputLayers: [string, number, number][] } };
  trainingConfig: ReturnType<typeof trainingConfig> | null;
  weightsFile: string;
  /** The optimizer's state (slots by weight name, iterations), when the model was saved compiled and trained. */
  optimizerWeightsFile?: string;
  /** fit()'s training seed (shuffles and dropout masks derive from it and the step count; see training-rng.ts). */
  trainingSeed?: number;
}

/** The safetensors key of a layer's weight. */
export function weightName(layer: Layer, weight: string): string {
  return `${layer.name}/${weight}`;
}

/** Every weight of the model under its safetensors key, in layer order. */
export function namedWeights(model: LayersModel): [string, Tensor][] {
  return model.layers.flatMap((l) => l.weightsInfo.map((w) => [weightName(l, w.name), w.value] as [string, Tensor]));
}
