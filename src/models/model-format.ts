// The saved-model format shared by saving (model-save.ts) and loading (model-load.ts): model.json
// (architecture and training config) beside model.safetensors (weights, named layer/weight).
import type { Layer, LayerConfig } from '../layers/layer';
import type { trainingConfig } from './training';

export const FORMAT = 'tensorforge-layers-model';
export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'model.safetensors';

export interface SavedLayer {
  className: string;
  name: string;
  config: LayerConfig;
  inboundNodes: { inputs: [string, number, number][]; listInput: boolean }[];
}
export interface SavedModel {
  format: string;
  formatVersion: number;
  modelTopology: { className: string; config: { name: string; layers: SavedLayer[]; inputLayers: [string, number, number][]; outputLayers: [string, number, number][] } };
  trainingConfig: ReturnType<typeof trainingConfig> | null;
  weightsFile: string;
}

/** The safetensors key of a layer's weight. */
export function weightName(layer: Layer, weight: string): string {
  return `${layer.name}/${weight}`;
}
