// tfjs-node's model API over tensorforge's models: the same LayersModel underneath, with tfjs's
// return conventions (synchronous predict/evaluate returning tensors, fit resolving to a History
// whose metric keys include tfjs's 'acc'), datasets of { xs, ys }, and save('file://...') writing
// tfjs's model.json + weights.bin.
import { argError, describe } from '../errors';
import type { Callback, Logs } from '../callbacks/callback';
import type { Layer } from '../layers/layer';
import { type SymbolicTensor, type ShapeWithBatch } from '../layers/symbolic-tensor';
import { input as makeInput } from '../layers/input-layer';
import { LayersModel } from '../models/layers-model';
import { Sequential } from '../models/sequential';
import type { History } from '../models/history';
import type { BatchSource, CompileArgs, FitArgs } from '../models/training';
import { asTensorList, sampleCount, takeRows } from '../models/batching';
import { concat } from '../ops/movement';
import { Tensor } from '../tensor/tensor';
import type { DType } from '../tensor/dtype';
import { loadLayersModel as loadModelFile, type TfjsLoadHandler } from '../io/tfjs-format-load';
import { saveTfjsModel, toTfjsArtifacts, type TfjsArtifacts } from '../io/tfjs-format-save';
import { type TfjsEvaluateArgs, evaluateSync, logsToScalars } from './evaluate';

type Tensors = Tensor | Tensor[];
type DataElementLike = { xs: unknown; ys?: unknown } | [unknown, unknown];

/** Logs under tfjs's names too: tfjs reports the 'accuracy' metric as 'acc'. */
const tfjsLogNames: Callback = {
  onEpochEnd: (_e, logs) => alias(logs),
  onBatchEnd: (_b, logs) => alias(logs),
};

function alias(logs: Logs | undefined): void {
  if (!logs) return;
  for (const [ours, theirs] of [['accuracy', 'acc'], ['val_accuracy', 'val_acc']] as const) {
    if (ours in logs && !(theirs in logs)) logs[theirs] = logs[ours]!;
  }
}

function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> {
  return typeof v === 'object' && v !== null && !(v instanceof Tensor) && Symbol.asyncIterator in v;
}

/** tfjs's `{ xs, ys }` (or `[xs, ys]`) elements as the main API's `{ x, y }` batches; object inputs map by input name. */
function asBatchSource(model: LayersModel, dataset: AsyncIterable<unknown>, fn: string): BatchSource {
  const pick = (v: unknown, names: string[], what: string): Tensors => {
    if (v instanceof Tensor || Array.isArray(v)) return v as Tensors;
    if (v && typeof v === 'object') {
      const rec = v as Record<string, Tensor>;
      return names.map((n) => {
        if (!(rec[n] instanceof Tensor)) argError(fn, `dataset element ${what}`, `a tensor for '${n}'`, describe(Object.keys(rec)));
        return rec[n]!;
      });
    }
    return argError(fn, `dataset element ${what}`, 'a Tensor, an array of tensors or an object of tensors by name', describe(v));
  };
  return {
    async *[Symbol.asyncIterator]() {
      for await (const e of dataset) {
        const el = e as DataElementLike;
        const [xs, ys] = Array.isArray(el) ? el : el && typeof el === 'object' && 'xs' in el ? [el.xs, el.ys] : [undefined, undefined];
        if (xs === undefined) argError(fn, 'dataset', 'elements { xs, ys } (batched)', describe(e));
        yield {
          x: pick(xs, model.inputs.map((t) => t.sourceLayer.name), 'xs'),
          y: ys === undefined ? undefined : pick(ys, model.outputNames, 'ys'),
        };
      }
    },
  };
}

/** tfjs fit options (the main API's FitArgs plus tfjs's dataset validation and unused knobs). */
export interface TfjsFitArgs extends Omit<FitArgs, 'validationData'> {
  validationData?: FitArgs['validationData'] | AsyncIterable<unknown>;
  batchesPerEpoch?: number;
  validationBatches?: number;
  yieldEvery?: unknown;
}

/** What tfjs's `save` resolves to. */
export interface SaveResult {
  modelArtifactsInfo: { dateSaved: Date; modelTopologyType: 'JSON'; modelTopologyBytes: number; weightSpecsBytes: number; weightDataBytes: number };
}

/** A tfjs IOHandler with `save` (tf.io.withSaveHandler, custom handlers). */
export interface TfjsSaveHandler {
  save?: (artifacts: TfjsArtifacts) => Promise<unknown> | unknown;
}

/**
 * A model with tfjs-node's method conventions, wrapping a tensorforge {@link LayersModel}
 * (available as `.model` for the main API).
 */
export class TfjsLayersModel {
  constructor(readonly model: LayersModel) {}

  get name(): string { return this.model.name; }
  get layers(): Layer[] { return this.model.layers; }
  get inputs(): readonly SymbolicTensor[] { return this.model.inputs; }
  get outputs(): readonly SymbolicTensor[] { return this.model.outputs; }
  get inputLayers(): Layer[] { return this.model.inputs.map((t) => t.sourceLayer); }
  get outputLayers(): Layer[] { return this.model.outputs.map((t) => t.sourceLayer); }
  get outputNames(): string[] { return this.model.outputNames; }
  get inputShape(): ShapeWithBatch | ShapeWithBatch[] { const s = this.model.inputShapes; return s.length === 1 ? s[0]! : s; }
  get outputShape(): ShapeWithBatch | ShapeWithBatch[] { const s = this.model.outputShapes; return s.length === 1 ? s[0]! : s; }
  get stopTraining(): boolean { return this.model.stopTraining; }
  set stopTraining(v: boolean) { this.model.stopTraining = v; }
  get optimizer(): LayersModel['optimizer'] { return this.model.optimizer; }
  get weights(): Tensor[] { return this.model.weights; }
  get trainableWeights(): Tensor[] { return this.model.trainableWeights; }
  get nonTrainableWeights(): Tensor[] { return this.model.nonTrainableWeights; }
  get trainable(): boolean { return this.model.layers.every((l) => l.trainable); }
  set trainable(v: boolean) { for (const l of this.model.layers) l.trainable = v; }

  /** Appends a layer (Sequential models). */
  add(layer: Layer): void {
    if (!(this.model instanceof Sequential)) throw new Error(`add: model '${this.name}' is not a Sequential model`);
    this.model.add(layer);
  }

  pop(): void {
    if (!(this.model instanceof Sequential)) throw new Error(`pop: model '${this.name}' is not a Sequential model`);
    this.model.pop();
  }

  compile(args: CompileArgs): void {
    this.model.compile(args);
  }

  summary(lineLength?: number, _positions?: number[], printFn?: (line: string) => void): void {
    this.model.summary(lineLength, printFn);
  }

  getLayer(name?: string, index?: number): Layer {
    return this.model.getLayer(name ?? (index as number));
  }

  getWeights(): Tensor[] { return this.model.getWeights(); }
  setWeights(weights: Tensor[]): void { this.model.setWeights(weights); }
  countParams(): number { return this.model.countParams(); }

  private fitArgs(args: TfjsFitArgs, fn: string): FitArgs {
    const { validationData, callbacks, batchesPerEpoch: _b, validationBatches: _v, yieldEvery: _y, ...rest } = args;
    const user = Array.isArray(callbacks) ? callbacks : callbacks ? [callbacks] : [];
    return {
      ...rest,
      callbacks: [tfjsLogNames, ...user],
      validationData: isAsyncIterable(validationData) ? asBatchSource(this.model, validationData, fn) : validationData,
    };
  }

  /** Trains on tensors (or a dataset of `{ xs, ys }`); resolves to a History (`history.history.loss`, `.acc`, ...). */
  fit(x: Tensors | AsyncIterable<unknown>, y?: Tensors | TfjsFitArgs, args: TfjsFitArgs = {}): Promise<History> {
    if (isAsyncIterable(x)) return this.fitDataset(x, (y ?? {}) as TfjsFitArgs);
    return this.model.fit(x as Tensors, y as Tensors, this.fitArgs(args, 'fit'));
  }

  /** Trains on a dataset of batched `{ xs, ys }` elements. */
  fitDataset(dataset: AsyncIterable<unknown>, args: TfjsFitArgs = {}): Promise<History> {
    if (!isAsyncIterable(dataset)) argError('fitDataset', 'dataset', 'a dataset of { xs, ys } batches', describe(dataset));
    return this.model.fit(asBatchSource(this.model, dataset, 'fitDataset'), this.fitArgs(args, 'fitDataset'));
  }

  /** Loss (then metrics) as scalars, synchronously; one Scalar when there are no metrics. */
  evaluate(x: Tensors, y: Tensors, args?: TfjsEvaluateArgs): Tensor | Tensor[] {
    return evaluateSync(this.model, x, y, args);
  }

  /** Loss and metrics over a dataset of `{ xs, ys }` batches. */
  async evaluateDataset(dataset: AsyncIterable<unknown>, _args?: unknown): Promise<Tensor | Tensor[]> {
    return logsToScalars(await this.model.evaluate(asBatchSource(this.model, dataset, 'evaluateDataset')));
  }

  /** Inference, synchronously, in batches of `batchSize` (default 32). */
  predict(x: Tensors, args: { batchSize?: number; verbose?: boolean } = {}): Tensors {
    const batchSize = args.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1) argError('predict', 'batchSize', 'a positive integer', describe(batchSize));
    const xs = asTensorList('predict', 'x', x);
    const n = sampleCount('predict', [{ name: 'x', tensors: xs }]);
    if (n <= batchSize) return this.model.predictOnBatch(xs);
    const parts: Tensor[][] = [];
    for (let start = 0; start < n; start += batchSize) {
      const out = this.model.predictOnBatch(takeRows(xs, null, start, Math.min(batchSize, n - start)));
      (Array.isArray(out) ? out : [out]).forEach((o, i) => (parts[i] ??= []).push(o));
    }
    const joined = parts.map((p) => concat(p, 0));
    return joined.length === 1 ? joined[0]! : joined;
  }

  predictOnBatch(x: Tensors): Tensors {
    return this.model.predictOnBatch(x);
  }

  /** One optimizer step; resolves to the loss, or [loss, ...metrics]. */
  async trainOnBatch(x: Tensors, y: Tensors): Promise<number | number[]> {
    const logs = await this.model.trainOnBatch(x, y);
    const values = Object.values(logs);
    return values.length === 1 ? values[0]! : values;
  }

  /** The model as a layer in another model's graph (symbolic inputs) or on tensors. */
  apply(inputs: Tensors): Tensors {
    if (inputs instanceof Tensor || (Array.isArray(inputs) && inputs.every((t) => t instanceof Tensor))) return this.predictOnBatch(inputs);
    return argError('apply', 'inputs', 'tensors (nesting a model in another model is not supported here)', describe(inputs));
  }

  /**
   * tfjs-node's save: `'file://dir'` (or a plain path) writes dir/model.json + dir/weights.bin in
   * tfjs's format; an IOHandler with `save` receives the artifacts.
   */
  async save(handlerOrUrl: string | TfjsSaveHandler, _config?: unknown): Promise<SaveResult> {
    const a = toTfjsArtifacts(this.model, 'save');
    if (typeof handlerOrUrl === 'string') await saveTfjsModel(this.model, handlerOrUrl, 'save');
    else if (handlerOrUrl && typeof handlerOrUrl.save === 'function') await handlerOrUrl.save(a);
    else argError('save', 'handlerOrURL', "a 'file://' URL, a path or an IOHandler with save()", describe(handlerOrUrl));
    return {
      modelArtifactsInfo: {
        dateSaved: new Date(),
        modelTopologyType: 'JSON',
        modelTopologyBytes: JSON.stringify(a.modelTopology).length,
        weightSpecsBytes: JSON.stringify(a.weightSpecs).length,
        weightDataBytes: a.weightData.byteLength,
      },
    };
  }

  toString(): string {
    return this.model.toString();
  }
}

/** tfjs `sequential(config?)`. */
export function sequential(config: { layers?: Layer[]; name?: string } = {}): TfjsLayersModel {
  return new TfjsLayersModel(new Sequential(config));
}

/** tfjs `model({ inputs, outputs, name? })`. */
export function model(args: { inputs: SymbolicTensor | SymbolicTensor[]; outputs: SymbolicTensor | SymbolicTensor[]; name?: string }): TfjsLayersModel {
  return new TfjsLayersModel(new LayersModel(args));
}

/** tfjs `input({ shape | batchShape, name?, dtype? })`. */
export function input(config: { shape?: number[]; batchShape?: ShapeWithBatch; batchSize?: number; name?: string; dtype?: DType }): SymbolicTensor {
  return makeInput(config);
}

/** tfjs `loadLayersModel('file://.../model.json')` (or an IOHandler). */
export async function loadLayersModel(pathOrHandler: string | URL | TfjsLoadHandler, _options?: unknown): Promise<TfjsLayersModel> {
  return new TfjsLayersModel(await loadModelFile(pathOrHandler));
}
