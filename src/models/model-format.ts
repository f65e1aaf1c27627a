// The saved-model format shared by saving (model-save.ts) and loading (model-load.ts): model.json
// (architecture and training config) beside model.safetensors (weights, named layer/weight) and,
// for a trained compiled model, optimizer.safetensors (its state, so training resumes).
import type { Layer, LayerConfig } from '../layers/layer';
import type { Tensor } from '../tensor/tensor';
import { type SafetensorsDType, defaultStoredDtype } from '../io/safetensors';
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
  /** Weights stored narrower than their layer's in-memory dtype at the model's request (float16 models). */
  weightDtypes?: Record<string, SafetensorsDType>;
}

/** The safetensors key of a layer's weight. */
export function weightName(layer: Layer, weight: string): string {
  return `${layer.name}/${weight}`;
}

/** A layer that declares the stored dtypes of its weights (int8 layers of a quantized model). */
interface DeclaresStoredDtypes {
  storedWeightDtypes(): Readonly<Record<string, SafetensorsDType>>;
}

/**
 * The safetensors dtype each weight of the model is saved as, by key: what its layer declares
 * (int8 weights as I8), else the model's `weightStorage` (float16 models), else F32 / I32.
 */
export function storedDtypes(model: LayersModel, modelLevel: Readonly<Record<string, SafetensorsDType>> = model.weightStorage): Map<string, SafetensorsDType> {
  const out = new Map<string, SafetensorsDType>();
  for (const l of model.layers) {
    const declared = typeof (l as Partial<DeclaresStoredDtypes>).storedWeightDtypes === 'function' ? (l as unknown as DeclaresStoredDtypes).storedWeightDtypes() : {};
    for (const w of l.weightsInfo) {
      const key = weightName(l, w.name);
      out.set(key, declared[w.name] ?? modelLevel[key] ?? defaultStoredDtype(w.value.dtype));
    }
  }
  return out;
}

/** Every weight of the model under its safetensors key, in layer order. */
export function namedWeights(model: LayersModel): [string, Tensor][] {
  return model.layers.flatMap((l) => l.weightsInfo.map((w) => [weightName(l, w.name), w.value] as [string, Tensor]));
}
